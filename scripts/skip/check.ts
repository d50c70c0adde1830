// Which targets a build can skip: gathers each target's inputs, resolves the
// images it builds on to digests (a HEAD on the project's registry; other
// registries are not asked, so those targets are always built), and asks the
// registry whether the last build's image and cache are still there.
import fs from 'node:fs'
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import type { BakeTarget } from '../docker/bakefile.ts'
import { pushRef } from '../functions/targets.ts'
import { registryCacheRef, localCacheDir } from '../cache/flags.ts'
import type { RegistryClient } from '../oci/client.ts'
import { clientOf } from '../buildregistry/client.ts'
import { buildRegistrySpec } from '../plan/context.ts'
import { DEFAULT_DOCKER_CONFIG } from '../docker/config.ts'
import { gatherTarget } from './gather.ts'
import { computeKeys, decide, type Decision, type Gathered, type RegistryState, type TargetInputs } from './keys.ts'
import { inputsDir, readRecord, readStatCache } from './state.ts'
import type { StatCache } from './files.ts'

export interface SkipPlan extends Decision {
  /** what to record for each target that goes to bake (its key and inputs; the digest comes from bake) */
  records: Record<string, { tag: string; key: string; inputs: TargetInputs }>
  dir: string
  /** the stat cache after this check, saved by the run (a dry run writes nothing) */
  statCache: StatCache
}

/** `host/repo:tag` or `host/repo@digest` on the project's registry -> [repo, ref]; null elsewhere. */
function onProjectRegistry(s: Settings, ref: string): [string, string] | null {
  const local = pushRef(s, ref) ?? (ref.startsWith(`${s.registry.buildAddress}/`) ? ref : null)
  if (!local) return null
  const rest = local.slice(s.registry.buildAddress.length + 1)
  const at = rest.indexOf('@')
  if (at > 0) return [rest.slice(0, at), rest.slice(at + 1)]
  const colon = rest.lastIndexOf(':')
  return colon > rest.lastIndexOf('/') ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, 'latest']
}

async function headDigest(client: RegistryClient, s: Settings, ref: string): Promise<string | null> {
  const digest = /@(sha256:[a-f0-9]{64})$/.exec(ref)?.[1]
  if (digest) return digest
  const r = onProjectRegistry(s, ref)
  if (!r) return null
  try {
    return await client.manifestDigest(r[0], r[1])
  } catch {
    return null
  }
}

/** The build registry, with the credentials in `configDir` when it is not the local one. */
export const registryClient = (s: Settings, configDir = DEFAULT_DOCKER_CONFIG) => clientOf(buildRegistrySpec(s, configDir))

/** Image references -> their digests: pinned ones as written, the project registry's by a HEAD, others null. */
export async function resolveDigests(
  s: Settings,
  refs: string[],
  client: RegistryClient = registryClient(s),
): Promise<Record<string, string | null>> {
  return Object.fromEntries(await Promise.all([...new Set(refs)].map(async (r) => [r, await headDigest(client, s, r)] as const)))
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
  configDir?: string,
): Promise<SkipPlan> {
  const dir = inputsDir(statePaths(s.projectDir, s.ctx.HOME_DIR).state)
  const cache = readStatCache(dir)
  const gathered: Record<string, Gathered> = {}
  const want = (t: string) => {
    if (gathered[t] || !defs[t]) return
    gathered[t] = gatherTarget(s.projectDir, { ...defs[t], provenance: s.bake.provenance } as BakeTarget, cache, dir)
    for (const d of Object.values(gathered[t].targets)) want(d)
  }
  for (const t of build) want(t)
  const client = registryClient(s, configDir)
  const digests = await resolveDigests(
    s,
    Object.values(gathered).flatMap((g) => g.images),
    client,
  )
  const keys = computeKeys(gathered, digests)
  const records = Object.fromEntries(build.map((t) => [t, readRecord(dir, t, tags[t])]))
  const reg: Record<string, RegistryState> = {}
  await Promise.all(
    build.map(async (t) => {
      const rec = records[t]
      if (!rec || rec.key !== keys[t]?.key) return
      const digest = await headDigest(client, s, tags[t])
      let cacheOk = true
      if (s.cache.registry)
        cacheOk = (await headDigest(client, s, registryCacheRef(s, t))) !== null || !onProjectRegistry(s, registryCacheRef(s, t))
      else if (s.cache.local) cacheOk = fs.existsSync(path.join(localCacheDir(s, t), 'current', 'index.json'))
      reg[t] = { digest, cache: cacheOk }
    }),
  )
  const deps = Object.fromEntries(Object.entries(gathered).map(([t, g]) => [t, Object.values(g.targets)]))
  const decision: Decision = off
    ? { skip: {}, rebuild: Object.fromEntries(build.map((t) => [t, [off]])) }
    : decide(build, keys, records, reg, deps)
  // a target keyed on more than its sources says why with its rebuild (skip/gather.ts notes)
  for (const [t, why] of Object.entries(decision.rebuild)) if (!keys[t]?.never) why.push(...(gathered[t]?.notes ?? []))
  const toRecord: SkipPlan['records'] = {}
  for (const t of Object.keys(decision.rebuild)) {
    const k = keys[t]
    if (k?.key) toRecord[t] = { tag: tags[t], key: k.key, inputs: k.inputs }
  }
  return { ...decision, records: toRecord, dir, statCache: cache }
}
