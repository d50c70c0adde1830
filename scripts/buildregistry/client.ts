// A client for the build registry (registry/build.ts): the local registry,
// or [registry] build_address with its CA and the user's docker credentials.
import fs from 'node:fs'
import path from 'node:path'
import type { RegistrySpec } from '../plan/context.ts'
import { UsageError } from '../errors.ts'
import { RegistryClient } from '../oci/client.ts'
import { credentialsFor } from '../oci/auth.ts'

export function clientOf(r: RegistrySpec, signal?: AbortSignal): RegistryClient {
  let ca: string | undefined
  if (r.caFile) {
    // a path esb.toml gives: the user's to fix (exit 2)
    try {
      ca = fs.readFileSync(r.caFile, 'utf8')
    } catch (e) {
      throw new UsageError(
        `${r.caWhere ?? 'esb.toml'}: [registry] build_ca ${r.caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; give the PEM file of the CA that signed ${r.address}'s certificate`,
      )
    }
  }
  if (!r.configDir) return new RegistryClient(r.base, r.address, { signal })
  return new RegistryClient(r.base, r.address, {
    signal,
    ca,
    credentials: credentialsFor(r.configDir, r.address),
    login: { configFile: path.join(r.configDir, 'config.json'), host: r.address },
  })
}
