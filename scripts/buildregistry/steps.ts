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

/**
 * The images of these targets, copied into the local registry (only what is
 * missing). `background`: the images no bake changes, copied while the bakes
 * run (the executor waits for them before the next copy and at the end).
 */
export function copyToLocalStep(ctx: PlanContext, tags: string[], background = false): StepOf<'copy-images'>[] {
  const s = ctx.settings
  if (!s.registry.build || !tags.length) return []
  const prefix = `${s.registry.buildAddress}/`
  const images = [...new Set(tags.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length)))].sort()
  if (!images.length) return []
  return [
    {
      kind: 'copy-images',
      why: `copy the ${background ? 'images no bake changes, while the bakes run, ' : 'images '}from the build registry ${s.registry.buildAddress} into the local registry ${s.registry.localAddress} (same digests, missing blobs only)`,
      from: ctx.registry,
      to: s.registry.localAddress,
      images,
      ...(background ? { background } : {}),
    },
  ]
}
