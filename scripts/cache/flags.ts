// Per-target cache destinations. Never one shared destination: parallel
// exports to one folder corrupt it (buildx#3819, moby/buildkit#1896).
//
// Local cache layout, per target:
//   <cache dir>/<target>/current      symlink to the last complete export
//   <cache dir>/<target>/gen-<run id>/ one export; written fresh, then
//                                      promoted by swapping the symlink
// A reader follows `current` and never sees a half-written folder; each
// export starts empty, so the folder does not grow forever.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import type { CacheKind } from '../project/schema.ts'
import { cacheRef } from '../project/names.ts'
import { expandCacheRef } from './shared.ts'

export interface CacheFlags {
  cacheFrom: string[]
  cacheTo: string[]
  /** the folder this run exports into (promoted after success), or null */
  localGen: string | null
}

export function localCacheDir(s: Settings, target: string): string {
  return path.join(s.cache.dir, target)
}

export function registryCacheRef(s: Settings, target: string): string {
  return cacheRef(s.cache.refPrefix, target)
}

/**
 * `haveLocal`: the target has a complete local export to read (else no local
 * cache-from, which would only warn); `haveRegistry`: the registry may hold
 * its cache (false when it answered 404: BuildKit prints an ERROR line for a
 * cache-from it cannot find). `kind` picks the export mode ([cache] mode).
 */
export function cacheFlagsFor(
  s: Settings,
  target: string,
  kind: CacheKind,
  runId: string,
  haveLocal = true,
  haveRegistry = true,
): CacheFlags {
  const mode = s.cache.mode[kind]
  const from: string[] = []
  const to: string[] = []
  let localGen: string | null = null
  if (s.cache.local) {
    const dir = localCacheDir(s, target)
    localGen = path.join(dir, `gen-${runId}`)
    if (haveLocal) from.push(`type=local,src=${path.join(dir, 'current')}`)
    to.push(`type=local,dest=${localGen},mode=${mode}`)
  }
  // ignore-error: a failed cache push must not fail the build; it is reported instead.
  const push = (ref: string) => `type=registry,ref=${ref},mode=${mode},image-manifest=true,oci-mediatypes=true,ignore-error=true`
  if (s.cache.registry) {
    const ref = registryCacheRef(s, target)
    if (haveRegistry) from.push(`type=registry,ref=${ref}`)
    to.push(push(ref))
  }
  // shared caches ([cache] from / to) come after the project's own, in the order given
  for (const t of s.cache.from) from.push(`type=registry,ref=${expandCacheRef(t, target, s.cache.branch)}`)
  if (s.cache.to) to.push(push(expandCacheRef(s.cache.to, target, s.cache.branch)))
  return { cacheFrom: from, cacheTo: to, localGen }
}
