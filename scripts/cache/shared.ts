// Shared build caches for CI runners and teammates ([cache] from / to):
// registry refs with {target} and {branch}, expanded per target when the
// cache flags are computed (the templates are checked with the settings,
// project/sections/cache.ts). Pure.

export function expandCacheRef(t: string, target: string, branch: string): string {
  return t.replaceAll('{target}', target).replaceAll('{branch}', branch)
}
