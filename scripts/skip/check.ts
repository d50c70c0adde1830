// Which targets a build can skip: gathers each target's inputs, resolves the
// images and frontend it reads to digests (skip/images.ts: the project's
// registry, and every other one through the builder's mirrors), and asks the
// registry whether the last build's image and cache are still there. Says
// which outside image each target reads (what a bump would rebuild) and how
// to pin it, so the build uses exactly the digests it was keyed with.
import fs from 'node:fs'
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import type { BakeTarget } from '../docker/bakefile.ts'
import { registryCacheRef, localCacheDir } from '../cache/flags.ts'
import { clientOf } from '../buildregistry/client.ts'
import { buildRegistrySpec } from '../plan/context.ts'
import { DEFAULT_DOCKER_CONFIG } from '../docker/config.ts'
import { gatherTarget } from './gather.ts'
import { imageDigests, headDigest, onProjectRegistry } from './images.ts'
import { registryHosts, Resolver } from './resolve.ts'
import { outsideOf, type OutsideReads } from './outside.ts'
import { computeKeys, decide, type Decision, type Gathered, type RegistryState, type TargetInputs } from './keys.ts'
import { inputsDir, readRecord, readStatCache } from './state.ts'
import { findByKey, sharedKeys, type KeyHit } from './bykey.ts'
import type { StatCache } from './files.ts'

export interface SkipPlan extends Decision, Partial<OutsideReads> {
  /** one-line notes for the plan (registries that did not answer) */
  notes?: string[]
  /** what to record for each target that goes to bake (its key and inputs; the digest comes from bake) */
  records: Record<string, { tag: string; key: string; inputs: TargetInputs }>
  dir: string
  /** the stat cache after this check, saved by the run (a dry run writes nothing) */
  statCache: StatCache
  /** targets going to bake whose registry cache the project's registry does not hold (a first build): no cache-from */
  noRegistryCache?: string[]
  /** of `skip`: the targets whose image the build registry holds under their key (skip/bykey.ts) */
  byKey?: Record<string, KeyHit>
  /** target -> its shared key, for the targets going to bake: tagged with it once built */
  publish?: Record<string, string>
}

/** The build registry, with the credentials in `configDir` when it is not the local one. */
export const registryClient = (s: Settings, configDir = DEFAULT_DOCKER_CONFIG) => clientOf(buildRegistrySpec(s, configDir))

/** How the skip check reaches registries. */
export interface SkipOptions {
  /** the docker config folder (credentials) */
  configDir?: string
  /** the buildkitd.toml the builder runs with (its mirrors, plain-HTTP hosts and CAs) */
  buildkitd?: string | null
  /** --pull: every outside image resolved now, or the build stops */
  pull?: boolean
  signal?: AbortSignal
  /** called (maybe twice) as soon as some target is known to go to bake */
  onBuild?: () => void
  /** tag what is built with its shared key (not with flags after --, which may change any target) */
  publish?: boolean
  /** false: no image is taken from the build registry by its key (up) */
  byKey?: boolean
}

/** Whether a target's image (and its registry or local cache) is still where the last build left it. */
async function registryState(
  s: Settings,
  client: ReturnType<typeof registryClient>,
  tag: string,
  target: string,
): Promise<RegistryState> {
  const cacheRef = registryCacheRef(s, target)
  const [digest, cache] = await Promise.all([
    headDigest(client, s, tag),
    s.cache.registry
      ? headDigest(client, s, cacheRef).then((d) => d !== null || !onProjectRegistry(s, cacheRef))
      : Promise.resolve(!s.cache.local || fs.existsSync(path.join(localCacheDir(s, target), 'current', 'index.json'))),
  ])
  return { digest, cache }
}

/**
 * Of `targets`, those whose registry cache the project's registry answers 404
 * for: BuildKit prints an `ERROR:` line for every cache-from it cannot find,
 * on a successful build. A registry that does not answer proves nothing.
 * `asked`: registryState already in flight for a target (its cache answer is used).
 */
async function absentCaches(
  s: Settings,
  client: ReturnType<typeof registryClient>,
  targets: string[],
  asked: Record<string, Promise<RegistryState>>,
): Promise<string[]> {
  if (!s.cache.registry) return []
  const absent = await Promise.all(
    targets.map(async (t) => {
      if (t in asked) return asked[t].then((r) => !r.cache)
      const r = onProjectRegistry(s, registryCacheRef(s, t))
      if (!r) return false
      return client.manifestDigest(r[0], r[1]).then(
        (d) => d === null,
        () => false,
      )
    }),
  )
  return targets.filter((_, i) => absent[i])
}

/** Of `targets`, those the build registry holds under their shared key, asked all at once. */
async function lookupKeys(
  s: Settings,
  client: ReturnType<typeof registryClient>,
  targets: string[],
  shared: Record<string, string | null>,
  tags: Record<string, string>,
): Promise<Record<string, KeyHit>> {
  const asks = targets.map(async (t): Promise<[string, KeyHit | null]> => {
    const r = onProjectRegistry(s, tags[t] ?? '')
    return [t, r && shared[t] ? await findByKey(client, r[0], shared[t]!) : null]
  })
  return Object.fromEntries((await Promise.all(asks)).filter((x): x is [string, KeyHit] => x[1] !== null))
}

/** The resolver for outside images, through the builder's mirrors. */
export function outsideResolver(s: Settings, o: SkipOptions): Resolver {
  return new Resolver({
    configDir: o.configDir ?? DEFAULT_DOCKER_CONFIG,
    hosts: registryHosts(o.buildkitd ?? null),
    baseDir: s.projectDir,
    signal: o.signal,
  })
}

/**
 * `defs`: every target bake knows (the project's definitions merged with
 * docker esb's overrides, caches left out); `build`: the targets this run
 * would build; `tags`: the tag each is pushed as.
 */
export async function checkSkips(
  s: Settings,
  defs: Record<string, BakeTarget>,
  build: string[],
  tags: Record<string, string>,
  off: string | null,
  opts: SkipOptions = {},
): Promise<SkipPlan> {
  const dir = inputsDir(statePaths(s.projectDir, s.ctx.HOME_DIR).state)
  const client = registryClient(s, opts.configDir)
  const records = Object.fromEntries(build.map((t) => [t, readRecord(dir, t, tags[t])]))
  // a target never built here goes to bake: the caller may start getting ready for it now
  if (off || build.some((t) => !records[t])) opts.onBuild?.()
  // asked before the inputs are read (the registry answers meanwhile); only the answers for unchanged keys are used
  const asked = Object.fromEntries(build.filter((t) => records[t] && !off).map((t) => [t, registryState(s, client, tags[t], t)]))
  for (const p of Object.values(asked)) p.catch(() => undefined)
  // one turn of the event loop: the requests leave before the file reads below hold it
  await new Promise((r) => setImmediate(r))
  const cache = readStatCache(dir)
  const gathered: Record<string, Gathered> = {}
  const want = (t: string) => {
    if (gathered[t] || !defs[t]) return
    gathered[t] = gatherTarget(s.projectDir, { ...defs[t], provenance: s.bake.provenance } as BakeTarget, cache, dir)
    for (const d of Object.values(gathered[t].targets)) want(d)
  }
  for (const t of build) want(t)
  const img = await imageDigests(s, Object.values(gathered), client, outsideResolver(s, opts), Object.values(records), opts.pull)
  // offline, each target is keyed with the digests its own last build used (targets may have been built apart)
  const lastOwn = (t: string, dep: string) =>
    img.outside[dep.replace(/^frontend:/, '')]?.last ? records[t]?.inputs.deps?.[dep] : undefined
  const keys = computeKeys(gathered, img.digests, img.why, lastOwn)
  const same = (t: string) => records[t] !== null && records[t]?.key === keys[t]?.key
  if (build.some((t) => !same(t))) opts.onBuild?.()
  const reg: Record<string, RegistryState> = {}
  for (const t of build) if (same(t) && t in asked) reg[t] = await asked[t]
  const deps = Object.fromEntries(Object.entries(gathered).map(([t, g]) => [t, Object.values(g.targets)]))
  let decision: Decision = off
    ? { skip: {}, rebuild: Object.fromEntries(build.map((t) => [t, [off]])) }
    : decide(build, keys, records, reg, deps)
  // the shared key, only when something goes to bake (a no-op needs none); only from outside digests
  // resolved now (one the last build recorded may have moved)
  const fresh = Object.fromEntries(Object.entries(img.digests).map(([r, d]) => [r, img.outside[r]?.last ? null : d]))
  const registries = [s.registry.buildAddress, s.registry.localAddress]
  const shared = Object.keys(decision.rebuild).length ? sharedKeys(gathered, fresh, s.projectDir, registries) : {}
  // what would go to bake: the build registry may hold it under its key, built on any machine
  const hits = off || opts.byKey === false ? {} : await lookupKeys(s, client, Object.keys(decision.rebuild), shared, tags)
  if (Object.keys(hits).length)
    decision = decide(
      build,
      keys,
      records,
      reg,
      deps,
      undefined,
      Object.fromEntries(Object.entries(hits).map(([t, h]) => [t, h.digest])),
    )
  // a target keyed on more than its sources says why with its rebuild (skip/gather.ts notes)
  for (const [t, why] of Object.entries(decision.rebuild)) if (!keys[t]?.never) why.push(...(gathered[t]?.notes ?? []))
  const toRecord: SkipPlan['records'] = {}
  const publish: Record<string, string> = {}
  for (const t of [...Object.keys(decision.rebuild), ...(decision.reused ?? [])]) {
    const k = keys[t]
    if (k?.key) toRecord[t] = { tag: tags[t], key: k.key, inputs: k.inputs }
    if (opts.publish !== false && decision.rebuild[t] && shared[t]) publish[t] = shared[t]!
  }
  const byKey = Object.fromEntries((decision.reused ?? []).map((t) => [t, hits[t]]))
  return {
    ...decision,
    ...(decision.reused ? { byKey } : {}),
    ...(Object.keys(publish).length ? { publish } : {}),
    records: toRecord,
    dir,
    statCache: cache,
    ...outsideOf(s, gathered, img, tags),
    notes: img.notes,
    noRegistryCache: await absentCaches(s, client, Object.keys(decision.rebuild), asked),
  }
}
