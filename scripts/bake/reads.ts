// What bake may read besides the project: only folders the user names
// himself, on the command line (`--allow-read DIR`, repeatable) or in his own
// environment (`<PREFIX>_ALLOW_READ`, a `:`-separated list). Never from the
// repo's files: the environment read here is the process's, not .env's.
import path from 'node:path'
import { UsageError } from '../errors.ts'

export const ALLOW_READ_FLAG: [string, string] = [
  '--allow-read DIR',
  'let bake read DIR too (repeatable; also <PREFIX>_ALLOW_READ=DIR[:DIR]), e.g. an artifact_root outside the project',
]

/** The granted folders, absolute (relative ones from the current folder). */
export function readGrants(flag: unknown, env: Record<string, string | undefined>, prefix: string, cwd: string): string[] {
  const given = ([] as unknown[]).concat(flag ?? []).map(String)
  const fromEnv = (env[`${prefix}_ALLOW_READ`] ?? '').split(':').filter(Boolean)
  const out: string[] = []
  for (const d of [...given, ...fromEnv]) {
    if (d.trim() === '' || d.includes(','))
      throw new UsageError(`--allow-read ${JSON.stringify(d)}: give one folder per flag (no commas)`)
    out.push(path.resolve(cwd, d))
  }
  return [...new Set(out)]
}
