// The build args docker esb gives every target it builds: [bake.args] with
// `${VAR}` expanded, and [bake.arg_hashes] as the md5 hex of a file (as the
// real ESB repo's tooling computes ROOT_CA_FINGERPRINT: BuildKit does not key
// on a secret's content, an arg does). Read once per Settings, so every
// bake file, compose override and skip key of one run sees the same values.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import { insideProject, realTarget } from './guard.ts'
import { substitute } from '../project/envfile.ts'
import { stackEnv } from '../plan/env.ts'

export interface BuildArgs {
  /** NAME -> value, for every bake target and compose service build */
  args: Record<string, string>
  /** one line per thing the plan should say (a hashed file that is missing) */
  notes: string[]
}

const memo = new WeakMap<Settings, BuildArgs>()

/** `${VAR}` as docker sees it: the stack environment over the user's own (docker/runner.ts). */
function expand(s: Settings, where: string, value: string): string {
  const env = { ...s.bake.argEnv, ...stackEnv(s) }
  try {
    return substitute(value, (n) => env[n])
  } catch (e) {
    const t = e as Error & { what?: string; fix?: string }
    throw new UsageError(`${where}: ${t.what ?? t.message} in ${JSON.stringify(value)}; ${t.fix ?? 'set it'}`)
  }
}

/** The md5 hex of a file's bytes (as md5sum and Python's hashlib.md5().hexdigest() give it), or null when it cannot be read. */
export function md5File(file: string): string | null {
  try {
    return crypto.createHash('md5').update(fs.readFileSync(file)).digest('hex')
  } catch {
    return null
  }
}

export function buildArgs(s: Settings): BuildArgs {
  const had = memo.get(s)
  if (had) return had
  const b = s.bake
  const args: Record<string, string> = {}
  const notes: string[] = []
  for (const [name, v] of Object.entries(b.args ?? {})) args[name] = expand(s, b.argWhere[name], v)
  for (const [name, v] of Object.entries(b.argHashes ?? {})) {
    const file = path.resolve(s.projectDir, expand(s, b.argWhere[name], v))
    // a repo must not learn a host file's hash (or that it exists) through a build arg a RUN step can send out
    if (!insideProject(s, file))
      throw new UsageError(
        `${b.argWhere[name]}: ${realTarget(s.projectDir, file)} is outside the project ${s.projectDir}; hash a file inside the project`,
      )
    const md5 = md5File(file)
    args[name] = md5 ?? ''
    if (md5 === null) notes.push(`build arg ${name} is empty: ${file} (${b.argWhere[name]}) cannot be read`)
  }
  const out = { args, notes }
  memo.set(s, out)
  return out
}

/** The plan's `notes` about the args (none: no key, so plans without notes stay as they were). */
export function argNotes(s: Settings): { notes?: string[] } {
  const { notes } = buildArgs(s)
  return notes.length ? { notes } : {}
}
