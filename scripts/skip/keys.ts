// Input keys per target, what changed since the last build, and which
// targets can be skipped. Pure: files, digests and registry answers come in
// as data (skip/gather.ts, skip/check.ts).
import crypto from 'node:crypto'
import type { TargetInputs } from '../plan/records.ts'

export type { TargetInputs }

/** Everything that decides a target's result, as gathered from disk. */
export interface Gathered {
  /** the bake definition without caches (tags, labels, target, platforms, secret ids...) */
  definition: Record<string, unknown>
  args: Record<string, string>
  /** sha256 of the Dockerfile text */
  dockerfile: string
  /** `<context>:<path>` -> `<type><mode>:<hash>`; the main context is `.` */
  files: Record<string, string>
  /** named context -> target it builds on (`target:<name>`) */
  targets: Record<string, string>
  /** image references the target builds on (FROM, COPY --from, docker-image:// contexts) */
  images: string[]
  /** the frontend image: the target's BUILDKIT_SYNTAX build arg, else the `# syntax=` directive, or null */
  syntax?: string | null
  /** the Dockerfile's stage names, lowercased: never pinned over (a named context of that name replaces the stage) */
  stages?: string[]
  /** named context -> image of its `docker-image://` value: pinned under that name */
  imageContexts?: Record<string, string>
  /** why it must always be built, or null */
  never: string | null
  /** `secret <id>` -> its HMAC with the fixed key of the shared key (skip/bykey.ts), in place of the salted one in `files` */
  sharedSecrets?: Record<string, string>
  /** not in the key: why it keys more than its sources (skip/gather.ts), said with a rebuild */
  notes?: string[]
}

/** What a key is made of; kept with the record so a rebuild can be explained. */

export interface TargetKey {
  key: string | null
  inputs: TargetInputs
  never: string | null
}

/** What docker esb keeps per pushed tag (`.<slug>/inputs/`). */
export interface InputRecord {
  target: string
  tag: string
  key: string
  digest: string
  inputs: TargetInputs
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex')

/** JSON with sorted keys, so equal values give equal text. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  return JSON.stringify(v ?? null)
}

/**
 * Keys for all gathered targets; a target's key includes the keys of the
 * targets it builds on and the digests of the images and the frontend it reads
 * (`digests`; null: not resolved, `why` says why).
 */
export function computeKeys(
  g: Record<string, Gathered>,
  digests: Record<string, string | null>,
  why: Record<string, string> = {},
  /** a target's own digest for a dep (`<ref>` or `frontend:<ref>`), over `digests`: offline, the one its last build used */
  own: (target: string, dep: string) => string | undefined = () => undefined,
): Record<string, TargetKey> {
  const out: Record<string, TargetKey> = {}
  const visit = (t: string, stack: string[]): TargetKey => {
    if (out[t]) return out[t]
    const x = g[t]
    const deps: Record<string, string> = {}
    let never = x.never
    for (const dep of Object.values(x.targets).sort()) {
      if (!g[dep] || stack.includes(dep)) {
        never ??= `it builds on target ${dep}, which cannot be keyed`
        continue
      }
      const k = visit(dep, [...stack, t])
      if (k.key === null) never ??= `it builds on ${dep}, which is always built`
      else deps[`target:${dep}`] = k.key
    }
    for (const ref of x.images) {
      const d = own(t, ref) ?? digests[ref]
      if (d) deps[ref] = d
      else never ??= `its base ${ref} cannot be resolved${why[ref] ? ` (${why[ref]})` : ' without a pull'}`
    }
    if (x.syntax) {
      const d = own(t, `frontend:${x.syntax}`) ?? digests[x.syntax]
      if (d) deps[`frontend:${x.syntax}`] = d
      else never ??= `its # syntax= frontend ${x.syntax} cannot be resolved${why[x.syntax] ? ` (${why[x.syntax]})` : ''}`
    }
    const inputs: TargetInputs = {
      definition: sha(stableJson(x.definition)),
      args: x.args,
      dockerfile: x.dockerfile,
      files: x.files,
      deps,
    }
    out[t] = { key: never ? null : sha(stableJson(inputs)), inputs, never }
    return out[t]
  }
  for (const t of Object.keys(g).sort()) visit(t, [])
  return out
}

function listChanges(what: string, prev: Record<string, string>, cur: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(prev), ...Object.keys(cur)])].sort().filter((k) => prev[k] !== cur[k])
  return names.map((k) => `${what}${k}${prev[k] === undefined ? ' (new)' : cur[k] === undefined ? ' (removed)' : ''}`)
}

const short = (d: string) => `${d.slice(0, 19)}…`

/** What moved among the targets, images and frontend a target builds on. */
function depChanges(prev: Record<string, string>, cur: Record<string, string>): string[] {
  const names = [...new Set([...Object.keys(prev), ...Object.keys(cur)])].sort().filter((k) => prev[k] !== cur[k])
  return names.map((k) => {
    if (k.startsWith('target:')) return `base ${k.slice(7)}`
    const [what, ref] = k.startsWith('frontend:') ? ['frontend', k.slice(9)] : ['image', k]
    if (prev[k] === undefined) return `${what} ${ref} (new)`
    if (cur[k] === undefined) return `${what} ${ref} (removed)`
    return `${what === 'image' ? 'base' : what} ${ref} moved ${short(prev[k])} -> ${short(cur[k])}`
  })
}

/** Why a target's key changed, in words: `functions/hello/handler`, `build arg X`, `base lambda-base`. */
export function explain(prev: TargetInputs, cur: TargetInputs): string[] {
  const out: string[] = []
  if (prev.dockerfile !== cur.dockerfile) out.push('Dockerfile')
  const files = listChanges('', prev.files, cur.files).map((f) => f.replace(/^\.:/, ''))
  out.push(...(files.length > 5 ? [...files.slice(0, 5), `${files.length - 5} more files`] : files))
  out.push(...listChanges('build arg ', prev.args, cur.args))
  out.push(...depChanges(prev.deps, cur.deps))
  if (prev.definition !== cur.definition) out.push('bake definition (tags, labels, target, platforms, secrets...)')
  // a Dockerfile inside its context is named once
  return out.length ? [...new Set(out)] : ['inputs']
}

export interface RegistryState {
  /** digest the registry holds at the target's tag, or null */
  digest: string | null
  /** the target's cache is there to import */
  cache: boolean
}

export interface Decision {
  /** target -> the digest its tag holds (unchanged targets) */
  skip: Record<string, string>
  /** target -> why it goes to bake */
  rebuild: Record<string, string[]>
  /** of `skip`: those taken from the build registry by their key (skip/bykey.ts), not from this machine's records */
  reused?: string[]
}

/**
 * Skip a target when its key equals the last build's, the registry still
 * holds that digest at its tag, and its cache exists; rebuild everything
 * that builds on a rebuilt target.
 */
/** Why a target whose image is gone (or replaced) must be rebuilt; `where` holds the images (the registry, or the engine for compose services). */
export type GoneReason = (target: string, replaced: boolean) => string
const inRegistry: GoneReason = (_t, replaced) =>
  replaced ? 'the registry holds another image at its tag' : 'its image is not in the registry'

export function decide(
  targets: string[],
  keys: Record<string, TargetKey>,
  records: Record<string, InputRecord | null>,
  reg: Record<string, RegistryState>,
  deps: Record<string, string[]>,
  gone: GoneReason = inRegistry,
  /** target -> the image the build registry holds for its key (skip/bykey.ts): used instead of building it */
  byKey: Record<string, string> = {},
): Decision {
  const skip: Record<string, string> = {}
  const rebuild: Record<string, string[]> = {}
  const reused = new Set<string>()
  for (const t of targets) {
    const k = keys[t]
    const r = records[t]
    if (!k || k.never || k.key === null) rebuild[t] = [`always built: ${k?.never ?? 'no key'}`]
    else if (r?.key === k.key && reg[t]?.digest === r.digest && reg[t]?.cache) skip[t] = r.digest
    else if (byKey[t]) {
      skip[t] = byKey[t]
      reused.add(t)
    } else if (!r) rebuild[t] = ['not built before']
    else if (r.key !== k.key) rebuild[t] = explain(r.inputs, k.inputs)
    else if (reg[t]?.digest !== r.digest) rebuild[t] = [gone(t, !!reg[t]?.digest)]
    else rebuild[t] = ['its cache is missing']
  }
  // what builds on a rebuilt target is rebuilt, to the end of the chain
  let moved = true
  while (moved) {
    moved = false
    for (const t of Object.keys(skip)) {
      const b = (deps[t] ?? []).find((d) => rebuild[d])
      if (b) {
        delete skip[t]
        reused.delete(t)
        rebuild[t] = [`base ${b} is rebuilt`]
        moved = true
      }
    }
  }
  return reused.size ? { skip, rebuild, reused: [...reused].sort() } : { skip, rebuild }
}
