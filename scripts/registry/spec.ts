// The build registry as plan data: its address, URL, CA file and the docker
// config whose credentials are used. Pure; registry/client.ts makes the client.
import os from 'node:os'
import path from 'node:path'
import type { Settings } from '../project/config.ts'

/** Where docker keeps its config when neither --config nor DOCKER_CONFIG says (registry/auth.ts dockerConfigDir picks). */
export const DEFAULT_DOCKER_CONFIG = path.join(os.homedir(), '.docker')

/** A registry a step talks to (registry/build.ts makes the client). */
export interface RegistrySpec {
  /** host[:port], as in image names */
  address: string
  /** http:// or https:// */
  base: string
  /** a private CA's PEM file ([registry] build_ca) */
  caFile: string | null
  /** where the address and the CA file were given (esb.toml:line, a variable), for messages */
  where: string | null
  caWhere: string | null
  /** the docker config folder whose credentials are used (those buildx hands to BuildKit); null: anonymous */
  configDir: string | null
}

const isLoopback = (a: string) => /^(127\.|\[::1\])/.test(a)

export function buildRegistrySpec(s: Settings, configDir: string): RegistrySpec {
  const a = s.registry.buildAddress
  const b = s.registry.build
  if (!b) return { address: a, base: `http://${a}`, caFile: null, configDir: null, where: null, caWhere: null }
  // loopback without a CA is plain HTTP, as BuildKit and dockerd assume
  const plain = b.insecure || (isLoopback(a) && !b.ca)
  return { address: a, base: `${plain ? 'http' : 'https'}://${a}`, caFile: b.ca, configDir, where: b.where, caWhere: b.caWhere }
}
