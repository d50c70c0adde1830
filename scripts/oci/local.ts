// The project's own registry, as an OCI distribution client.
import { EsbError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import { RegistryClient } from './client.ts'

export async function localRegistry(s: Settings, signal?: AbortSignal): Promise<RegistryClient> {
  const c = new RegistryClient(`http://${s.registry.localAddress}`, s.registry.localAddress, { signal })
  try {
    await c.ping()
  } catch (e) {
    if (signal?.aborted) throw e
    throw new EsbError(
      `the project's registry is not running on ${s.registry.localAddress}; start it with 'docker esb build' or 'docker esb up' (or set PORT_REGISTRY)`,
    )
  }
  return c
}

/** The repository prefix of the registry caches, when they live in the registry at `address` (else null). */
export function cachePrefixOn(s: Settings, address: string): string | null {
  const host = `${address}/`
  return s.cache.refPrefix.startsWith(host) ? s.cache.refPrefix.slice(host.length) : null
}

/** The repository prefix of the registry caches, when they live in the project's own registry (else null). */
export const localCachePrefix = (s: Settings) => cachePrefixOn(s, s.registry.localAddress)
