// A client for the build registry (registry/build.ts): the local registry,
// or [registry] build_address with its CA and the user's docker credentials.
import fs from 'node:fs'
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { UsageError } from '../errors.ts'
import { RegistryClient } from '../oci/registry.ts'
import { credentialsFor } from './auth.ts'

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

export function clientOf(r: RegistrySpec, signal?: AbortSignal): RegistryClient {
  let ca: string | undefined
  if (r.caFile) {
    // a path esb.toml gives: the user's to fix (exit 2)
    try { ca = fs.readFileSync(r.caFile, 'utf8') } catch (e) { throw new UsageError(`${r.caWhere ?? 'esb.toml'}: [registry] build_ca ${r.caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; give the PEM file of the CA that signed ${r.address}'s certificate`) }
  }
  if (!r.configDir) return new RegistryClient(r.base, r.address, { signal })
  return new RegistryClient(r.base, r.address, { signal, ca, credentials: credentialsFor(r.configDir, r.address), login: { configFile: path.join(r.configDir, 'config.json'), host: r.address } })
}

