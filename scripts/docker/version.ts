// Which buildx the user has: docker esb needs >= 0.17 (bake contexts, cache exports).
import { EsbError } from '../errors.ts'
import type { Runner } from './runner.ts'
import { buildxIdentity, type QueryCache } from './queries.ts'

export const BUILDX_MIN = '0.17.0'

/** `docker buildx version` -> "0.29.1"; an error when buildx is missing or too old. `cache`: kept per buildx binary. */
export async function buildxVersion(runner: Runner, cache?: QueryCache): Promise<string> {
  const key = ['buildx version', buildxIdentity(runner.configDir)]
  const kept = cache?.get(key)
  if (kept) return kept
  const r = await runner.run(['buildx', 'version'], { capture: true, allowFail: true })
  const v = /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1]
  if (r.code !== 0 || !v)
    throw new EsbError(
      `docker buildx is not available (${(r.stderr || r.stdout).trim().split('\n').pop() || 'no output'}); install the buildx plugin >= 0.17`,
    )
  if (versionLess(v, BUILDX_MIN))
    throw new EsbError(`docker buildx ${v} is too old; docker esb needs >= 0.17 (bake contexts, cache exports)`)
  cache?.set(key, v)
  return v
}

export function versionLess(a: string, b: string): boolean {
  const pa = a.split('.').map(Number),
    pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0)
  return false
}

/** File-system entitlements (--allow fs.*) exist from buildx 0.19 on. */
export function hasFsEntitlements(v: string | undefined): boolean {
  return !v || !versionLess(v, '0.19.0')
}
