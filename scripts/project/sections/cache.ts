// [cache]: the local cache folders, the project's registry caches and their
// export mode per target kind, and shared build caches for CI runners and
// teammates ([cache] from / to): registry refs with {target} and {branch},
// read after the project's own caches (e.g. this branch, then main) and
// written per branch; checked here so that a bad one fails before any docker call. Pure.
import path from 'node:path'
import { UsageError } from '../../errors.ts'
import { branchOf } from '../branch.ts'
import type { Lookup } from '../lookup.ts'
import type { BrandNames } from '../names.ts'
import type { CacheMode, CacheModes, Section } from '../schema.ts'

export interface CacheSettings {
  local: boolean
  dir: string
  registry: boolean
  refPrefix: string
  mode: CacheModes
  from: string[]
  to: string | null
  branch: string
}

/**
 * Cache export mode per target kind. Defaults by bench/cachemode.mjs
 * (bench/results/cachemode.json): mode=max pays for multi-stage images (a
 * control image's builder stage came from the cache after the builder was
 * removed: 0.64x the time of mode=min) and costs nothing measurable for
 * single-stage ones; functions are single-stage by the artifact contract and
 * many, so they export only their image's layers (mode=min: same time and
 * bytes there, and never the build stages of dozens of images).
 * `[cache] mode = "max"` sets every kind; a table sets some.
 */
export const DEFAULT_CACHE_MODES: CacheModes = { bases: 'max', control: 'max', functions: 'min' }

export function cacheModes(v: CacheMode | Partial<CacheModes> | undefined): CacheModes {
  if (v === undefined) return { ...DEFAULT_CACHE_MODES }
  if (typeof v === 'string') return { bases: v, control: v, functions: v }
  return { ...DEFAULT_CACHE_MODES, ...v }
}

/** `buildAddress`: where builds push (the registry caches live there unless [cache] ref_prefix says otherwise). */
export function resolveCache(
  l: Lookup,
  c: Section<'cache'>,
  o: { prefix: string; nm: BrandNames; buildAddress: string },
): CacheSettings {
  return {
    local: c.local ?? true,
    dir: path.resolve(l.projectDir, c.dir ?? o.nm.cacheDir),
    registry: c.registry ?? true,
    refPrefix: c.ref_prefix ?? `${o.buildAddress}/${o.nm.cacheRepoPrefix}`,
    mode: cacheModes(c.mode),
    ...sharedCaches(c, l.tf, branchOf(l.projectDir, l.processEnv, o.prefix)),
  }
}

/** Checks a ref template: one ref per target ({target}), nothing that would add attributes to buildx's CSV. */
export function checkCacheTemplate(where: string, t: string): void {
  if (!t.includes('{target}'))
    throw new UsageError(
      `${where} ${JSON.stringify(t)} has no {target}: every target needs its own cache ref (one shared ref is overwritten by each target); e.g. "registry.example/esb-cache/{target}:{branch}"`,
    )
  if (/[\s,"'=]/.test(t))
    throw new UsageError(
      `${where} ${JSON.stringify(t)} contains a space, comma, quote or '='; give a plain image reference with {target} and {branch}`,
    )
  const rest = t.replace(/\{target\}|\{branch\}/g, 'x')
  if (/[{}]/.test(rest))
    throw new UsageError(`${where} ${JSON.stringify(t)}: only {target} and {branch} are replaced; remove the other braces`)
}

/** [cache] from / to: shared cache ref templates. */
export function sharedCaches(
  c: Section<'cache'>,
  tf: string,
  branch: string,
): { from: string[]; to: string | null; branch: string } {
  for (const f of c.from ?? []) checkCacheTemplate(`${tf}: [cache] from`, f)
  if (c.to !== undefined) checkCacheTemplate(`${tf}: [cache] to`, c.to)
  return { from: c.from ?? [], to: c.to ?? null, branch }
}
