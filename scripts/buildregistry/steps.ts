// With [registry] build_address, the steps around the build registry: checked
// first, images copied into the local one last (run by buildregistry/run.ts). Pure.
import path from 'node:path'
import type { StepOf } from '../plan/types.ts'
import type { PlanContext } from '../plan/context.ts'

/** Before anything is built: the build registry answers and takes the credentials (a wrong password stops here, not mid-push). */
export function checkRegistryStep(ctx: PlanContext): StepOf<'check-registry'>[] {
  const s = ctx.settings
  if (!s.registry.build) return []
  return [
    {
      kind: 'check-registry',
      why: `build registry ${s.registry.buildAddress} answers and takes the credentials in ${path.join(ctx.configDir, 'config.json')}`,
      registry: ctx.registry,
    },
  ]
}

/** After the bakes: the images of every target the build knows, copied into the local registry (only what is missing). */
export function copyToLocalStep(ctx: PlanContext, tags: string[]): StepOf<'copy-images'>[] {
  const s = ctx.settings
  if (!s.registry.build || !tags.length) return []
  const prefix = `${s.registry.buildAddress}/`
  const images = [...new Set(tags.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length)))].sort()
  if (!images.length) return []
  return [
    {
      kind: 'copy-images',
      why: `copy the images from the build registry ${s.registry.buildAddress} into the local registry ${s.registry.localAddress} (same digests, missing blobs only)`,
      from: ctx.registry,
      to: s.registry.localAddress,
      images,
    },
  ]
}
