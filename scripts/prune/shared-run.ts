// prune --shared against the build registry: what it holds of the project
// (the repositories the project's build pushes, as its catalog lists them,
// their tags, the manifests those name and their blobs), gathered while the
// plan is made so the dry run shows it; then the deletions prune/shared.ts
// decided, run by the executor. status and the prune --registry dry run ask
// the same of the local registry (what the garbage collection frees).
import type { RegistryClient } from '../oci/client.ts'
import type { Manifest } from '../oci/types.ts'
import { INDEX_TYPES, MANIFEST_TYPES, imageKindOf } from '../oci/ref.ts'
import { EsbError, UsageError } from '../errors.ts'
import { pool } from '../pool.ts'
import type { StepOf } from '../plan/types.ts'
import type { Settings } from '../project/config.ts'
import { buildRegistrySpec, type RegistrySpec } from '../plan/context.ts'
import { clientOf } from '../buildregistry/client.ts'
import { sharedPrune, type BlobsOf, type SharedRepo } from './shared.ts'
import { cachePrefixOn, localCachePrefix, localRegistry } from '../oci/local.ts'
import { mib } from '../report/meter.ts'

export interface SharedState {
  repos: SharedRepo[]
  blobs: BlobsOf
  /** `repo@digest` of every registry cache manifest: their blobs stay */
  caches: string[]
}

const isManifest = (mt: string) => INDEX_TYPES.includes(mt) || MANIFEST_TYPES.includes(mt)

/**
 * The project's repositories in the build registry, their tags and the blobs
 * under each manifest. `only`: the image repositories that are the project's
 * (bake/repos.ts); without it, every `<slug>-` one (status: counts only).
 */
export async function gatherShared(
  client: RegistryClient,
  slug: string,
  cachePrefix: string | null,
  only?: string[],
): Promise<SharedState> {
  const state: SharedState = { repos: [], blobs: {}, caches: [] }
  const blobsUnder = async (repo: string, m: Manifest, depth = 0): Promise<Record<string, number>> => {
    const key = `${repo}@${m.digest}`
    if (state.blobs[key]) return state.blobs[key]
    const out: Record<string, number> = { [m.digest]: m.bytes.length }
    for (const d of [m.json.config, ...(m.json.layers ?? [])]) if (d?.digest) out[d.digest] = d.size
    for (const d of m.json.manifests ?? []) {
      // an image index names manifests; a registry cache's index names its blobs directly
      const child = isManifest(d.mediaType) && depth < 2 ? await client.manifest(repo, d.digest) : null
      if (child) Object.assign(out, await blobsUnder(repo, child, depth + 1))
      else if (!isManifest(d.mediaType)) out[d.digest] = d.size
    }
    return (state.blobs[key] = out)
  }
  await pool(
    await client.catalog(),
    async (repo) => {
      const kind = imageKindOf(slug, repo, cachePrefix)
      if (kind === 'other' || (only && kind !== 'cache' && !only.includes(repo))) return
      const r: SharedRepo = { repo, tags: {} }
      for (const tag of await client.tags(repo)) {
        const m = await client.manifest(repo, tag)
        if (!m) continue
        await blobsUnder(repo, m)
        if (kind === 'cache') state.caches.push(`${repo}@${m.digest}`)
        else r.tags[tag] = m.digest
      }
      if (kind !== 'cache') state.repos.push(r)
    },
    6,
  )
  return state
}

/**
 * The keys beyond [registry] keep in the local registry, and the bytes prune
 * --registry would free with them (decided as for a shared registry: its
 * untagging by link time keeps the same keys); none if the registry cannot
 * be asked. For status and the prune dry run.
 */
export async function localKeyPrune(s: Settings, signal?: AbortSignal): Promise<{ count: number; bytes: number }> {
  try {
    const reg = await localRegistry(s, signal)
    const { repos, blobs, caches } = await gatherShared(reg, s.slug, localCachePrefix(s))
    const p = sharedPrune(repos, s.registry.keep, blobs, caches)
    return { count: p.stale, bytes: p.bytes }
  } catch {
    return { count: 0, bytes: 0 }
  }
}

/** The build registry prune --shared works on, and what it holds of the project (read only). */
export async function sharedFor(
  s: Settings,
  configDir: string,
  signal: AbortSignal | undefined,
  /** the project's image repositories (bake/repos.ts), asked once there is a build registry */
  repos: () => Promise<string[]>,
): Promise<{ registry: RegistrySpec; state: SharedState }> {
  if (!s.registry.build)
    throw new UsageError(
      `prune --shared works on the build registry, and this project has none ([registry] build_address in esb.toml, or ${s.prefix}_BUILD_REGISTRY); the local registry's key tags go with prune --registry`,
    )
  const registry = buildRegistrySpec(s, configDir)
  const cachePrefix = cachePrefixOn(s, s.registry.buildAddress)
  const only = await repos()
  try {
    return { registry, state: await gatherShared(clientOf(registry, signal), s.slug, cachePrefix, only) }
  } catch (e) {
    if (!/catalog failed/.test((e as Error).message)) throw e
    throw new EsbError(
      `${(e as Error).message}; prune --shared finds the project's repositories in the build registry's catalog (/v2/_catalog): give the user in ${registry.configDir}/config.json read access to it`,
    )
  }
}

/** Runs a delete-manifests step; says what it deleted and what the registry's garbage collector can free. */
export async function deleteManifests(st: StepOf<'delete-manifests'>, signal?: AbortSignal): Promise<string> {
  const client = clientOf(st.registry, signal)
  let n = 0
  const moved: string[] = []
  // asked again now: a tag another machine pointed at one of these images since the plan keeps it
  const now = new Map<string, Map<string, string[]>>()
  for (const repo of new Set(st.deletions.map((d) => d.repo))) {
    const byDigest = new Map<string, string[]>()
    for (const tag of await client.tags(repo)) {
      const d = await client.manifestDigest(repo, tag)
      if (d) byDigest.set(d, [...(byDigest.get(d) ?? []), tag])
    }
    now.set(repo, byDigest)
  }
  for (const d of st.deletions) {
    const tags = now.get(d.repo)?.get(d.digest) ?? []
    if (tags.some((t) => !d.tags.includes(t))) {
      moved.push(`${d.repo}@${d.digest.slice(0, 19)} (now also ${tags.filter((t) => !d.tags.includes(t)).join(', ')})`)
      continue
    }
    try {
      if (await client.deleteManifest(d.repo, d.digest)) n++
    } catch (e) {
      throw new EsbError(
        /HTTP 405/.test((e as Error).message)
          ? `the build registry ${st.registry.address} does not allow deleting manifests (HTTP 405); its operator enables it (registry: storage.delete.enabled, REGISTRY_STORAGE_DELETE_ENABLED=true), then run prune --shared again`
          : (e as Error).message,
      )
    }
  }
  const kept = moved.length ? `; kept, tagged since the plan: ${moved.join(', ')}` : ''
  return `deleted ${n} manifest(s) in ${st.registry.address}, kept the newest ${st.keep} key(s) per image; its garbage collector frees up to ${mib(st.bytes)}${kept}`
}
