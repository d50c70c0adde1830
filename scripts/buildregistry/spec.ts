// The build registry as plan data: its address, URL, CA file and the docker
// config whose credentials are used. Pure; registry/client.ts makes the client.
import type { Settings } from '../project/config.ts'
import type { RegistrySpec } from '../plan/records.ts'

export type { RegistrySpec }

const isLoopback = (a: string) => /^(127\.|\[::1\])/.test(a)

export function buildRegistrySpec(s: Settings, configDir: string): RegistrySpec {
  const a = s.registry.buildAddress
  const b = s.registry.build
  if (!b) return { address: a, base: `http://${a}`, caFile: null, configDir: null, where: null, caWhere: null }
  // loopback without a CA is plain HTTP, as BuildKit and dockerd assume
  const plain = b.insecure || (isLoopback(a) && !b.ca)
  return { address: a, base: `${plain ? 'http' : 'https'}://${a}`, caFile: b.ca, configDir, where: b.where, caWhere: b.caWhere }
}
