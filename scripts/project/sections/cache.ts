// Shared build caches for CI runners and teammates ([cache] from / to):
// registry refs with {target} and {branch}, read after the project's own
// caches (e.g. this branch, then main) and written per branch; checked here
// so that a bad one fails before any docker call. Pure.
import { UsageError } from '../../errors.ts'
import type { EsbToml } from '../schema.ts'

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
  c: NonNullable<EsbToml['cache']>,
  tf: string,
  branch: string,
): { from: string[]; to: string | null; branch: string } {
  for (const f of c.from ?? []) checkCacheTemplate(`${tf}: [cache] from`, f)
  if (c.to !== undefined) checkCacheTemplate(`${tf}: [cache] to`, c.to)
  return { from: c.from ?? [], to: c.to ?? null, branch }
}
