// Secret contents in the skip key, safely. BuildKit does not key a step on
// the secrets it mounts, so a new CA would not rebuild the bases; docker esb
// keys each secret file a target mounts by HMAC-SHA256(salt, content), never
// by the content or a plain hash of it (a short secret's plain hash can be
// brute-forced from the records in `.<slug>/inputs/`). The salt is 32 random
// bytes in `.<slug>/inputs/secret-salt` (mode 0600), made once when a real
// build or up first keys a target that mounts a secret file (a run that
// fails before, or a project without secrets, writes none); a dry run only
// reads it, and without it such a target is "always built" in the plan.
// The key a build registry is asked by (skip/bykey.ts) must be the same on
// every machine, so there a secret enters as an HMAC keyed with a fixed
// string: whoever can read the registry's key tags and has the repo could
// test guesses of a short secret against it (docs/caching.md says so).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { BakeTarget } from '../docker/bakefile.ts'
import { guardPath, stateMkdir, stateTemp } from '../project/statefs.ts'

export const SALT_FILE = 'secret-salt'
/** The HMAC key of secrets in the key shared between machines (skip/bykey.ts). */
const SHARED_SALT = 'docker-esb shared key v1'
const SALT_BYTES = 32

export const saltPath = (dir: string) => path.join(dir, SALT_FILE)

/** The folders this process may make a salt in: set by a real run before its skip check (run/plan-run.ts), never by a dry run. */
const mayMake = new Set<string>()
export function allowSalt(dir: string): void {
  mayMake.add(path.resolve(dir))
}

/** The salt in `dir`, or null when there is none (or it is not 32 bytes). */
export function readSalt(dir: string): Buffer | null {
  try {
    const b = fs.readFileSync(saltPath(dir))
    return b.length === SALT_BYTES ? b : null
  } catch {
    return null
  }
}

/**
 * The salt in `dir`, made if absent: written whole to a temp file (0600),
 * then hard-linked to its name, which fails if a parallel run made it first
 * (a rename would replace that run's salt under the keys it just computed).
 */
export function ensureSalt(dir: string): Buffer {
  const file = saltPath(dir)
  // never read or made through a link in the state folder
  guardPath(file)
  const had = readSalt(dir)
  if (had) return had
  stateMkdir(dir)
  const tmp = stateTemp(file, crypto.randomBytes(SALT_BYTES), 0o600)
  try {
    try {
      fs.linkSync(tmp, file)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      // a file of another size (cut short, or not ours): replaced, as no key could use it
      if (!readSalt(dir)) fs.renameSync(tmp, file)
    }
  } finally {
    fs.rmSync(tmp, { force: true })
  }
  const salt = readSalt(dir)
  if (!salt) throw new Error(`${file}: the secret salt could not be written`)
  return salt
}

export interface SecretRef {
  id: string
  /** the file it is read from (bake `src`/`file`), or null for an `env=` secret */
  src: string | null
}

/** A target's secrets, in either form bake gives them: `"id=x,src=path"` or `{ id, src }`. */
export function secretRefs(def: BakeTarget): SecretRef[] {
  const out: SecretRef[] = []
  const list: unknown[] = Array.isArray(def.secret) ? def.secret : []
  for (const x of list) {
    const kv: Record<string, string> = {}
    if (typeof x === 'string')
      for (const part of x.split(',')) {
        const eq = part.indexOf('=')
        if (eq > 0) kv[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
      }
    else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) if (typeof v === 'string') kv[k] = v
    const src = kv.src ?? kv.source ?? kv.file ?? null
    const id = kv.id ?? (src ? path.basename(src) : null)
    if (id) out.push({ id, src: kv.env && !src ? null : src })
  }
  return out
}

/**
 * `secret <id>` -> `hmac-sha256:<hex>` for each secret file `def` mounts
 * (`missing` when it cannot be read: bake fails on it anyway). `env=`
 * secrets are not keyed (their value is not known here). `never`: there are
 * secret files but no salt in `saltDir` (a dry run before the first real run).
 */
export function secretInputs(
  projectDir: string,
  def: BakeTarget,
  saltDir: string | undefined,
): { files: Record<string, string>; shared: Record<string, string>; never: string | null } {
  const refs = secretRefs(def).filter((r) => r.src !== null)
  if (!refs.length) return { files: {}, shared: {}, never: null }
  const salt = !saltDir ? null : mayMake.has(path.resolve(saltDir)) ? ensureSalt(saltDir) : readSalt(saltDir)
  if (!salt)
    return {
      files: {},
      shared: {},
      never: `its secret ${refs[0].id} is keyed with a salt the first real build or up makes (${saltDir ? saltPath(saltDir) : 'no state folder'}), none yet`,
    }
  const files: Record<string, string> = {}
  const shared: Record<string, string> = {}
  const hmac = (key: Buffer | string, content: Buffer) =>
    `hmac-sha256:${crypto.createHmac('sha256', key).update(content).digest('hex')}`
  for (const r of refs) {
    let content: Buffer
    try {
      content = fs.readFileSync(path.resolve(projectDir, r.src!))
    } catch {
      files[`secret ${r.id}`] = shared[`secret ${r.id}`] = 'missing'
      continue
    }
    files[`secret ${r.id}`] = hmac(salt, content)
    shared[`secret ${r.id}`] = hmac(SHARED_SALT, content)
  }
  return { files, shared, never: null }
}
