// With [registry] build_address, the steps around the build registry: checked
// first, images copied into the local one last (run by buildregistry/run.ts). Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import type { StepOf } from '../plan/types.ts'
import { buildRegistrySpec } from './spec.ts'

/** Before anything is built: the build registry answers and takes the credentials (a wrong password stops here, not mid-push). */
export function checkRegistryStep(s: Settings, configDir: string): StepOf<'check-registry'>[] {
  if (!s.registry.build) return []
  return [
    {
      kind: 'check-registry',
      why: `build registry ${s.registry.buildAddress} answers and takes the credentials in ${path.join(configDir, 'config.json')}`,
      registry: buildRegistrySpec(s, configDir),
    },
  ]
}

/** After the bakes: the images of every target the build knows, copied into the local registry (only what is missing). */
export function copyToLocalStep(s: Settings, configDir: string, tags: string[]): StepOf<'copy-images'>[] {
  if (!s.registry.build || !tags.length) return []
  const prefix = `${s.registry.buildAddress}/`
  const images = [...new Set(tags.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length)))].sort()
  if (!images.length) return []
  return [
    {
      kind: 'copy-images',
      why: `copy the images from the build registry ${s.registry.buildAddress} into the local registry ${s.registry.localAddress} (same digests, missing blobs only)`,
      from: buildRegistrySpec(s, configDir),
      to: s.registry.localAddress,
      images,
    },
  ]
}
