// What to tell the user when bake fails: the first real error line, and the
// fix where one is known. Pure.
import type { Settings } from '../project/config.ts'

/** The first line of bake's stderr that says what went wrong. */
export function firstError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  return (lines.find((l) => /^ERROR\b|error:|failed to/i.test(l)) ?? lines.pop() ?? 'no output').replace(/^ERROR:\s*/, '')
}

/** A one-line message with a way forward for a failed `bake --print` (or bake). */
export function bakeFailure(s: Settings, stderr: string, groups: string[], command = 'docker buildx bake'): string {
  const err = firstError(stderr)
  const files = s.bake.files.join(', ')
  let fix = ''
  const missing = /failed to stat (\S+?):/.exec(err)?.[1]
  if (missing && /cert|\.crt|\.pem|secret/i.test(missing)) {
    fix = `; a secret file is missing: create it (the repo's own setup task makes certs), or point CERT_DIR at the folder that holds it (now ${s.certDir})`
  } else if (missing) {
    fix = `; ${missing} is missing: create it or fix the path in ${files}`
  } else if (/failed to find target (\S+)/.exec(err)) {
    const t = /failed to find target (\S+)/.exec(err)![1]
    fix = `; ${files} has no target or group ${t} (asked for ${groups.join(', ')}): set [bake] groups in esb.toml to groups the file defines`
  }
  return `'${command}' failed for ${files}: ${err}${fix}`
}
