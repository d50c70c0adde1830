// The build registry: where builders push and pull bases. Without
// [registry] build_address it is the local registry; with it, a registry
// the builders reach (a remote BuildKit cannot reach this host's
// 127.0.0.1), and the images the stack runs are copied from it into the
// local one after every build (the runtime keeps pulling from
// CONTAINER_REGISTRY). The steps are planned in registry/plan.ts with a
// RegistrySpec (registry/spec.ts); here they run, through registry/client.ts.
import type { StepOf } from '../plan/types.ts'
import { clientOf } from './client.ts'
import { RegistryClient } from '../oci/client.ts'
import { EsbError } from '../errors.ts'
import { pool } from '../pool.ts'
import { copyImage } from '../oci/copy.ts'
import { registrySource } from '../oci/sources.ts'

/** Fails with one line that says where the address was given (an unreachable registry is often a wrong address). */
export async function checkRegistry(st: StepOf<'check-registry'>, signal?: AbortSignal): Promise<void> {
  const c = clientOf(st.registry, signal)
  try {
    await c.ping()
  } catch (e) {
    if (signal?.aborted || !(e instanceof EsbError) || !st.registry.where) throw e
    throw new EsbError(`${st.registry.where} (${st.registry.address}): ${e.message}`)
  }
}

export interface CopyResult {
  copied: string[]
  present: number
  absent: string[]
  blobsPushed: number
  bytesPushed: number
}

/**
 * Runs a copy-images step: per image, nothing when the local tag already has
 * the build registry's digest. `held`: shared by the copies of one run (the
 * images share their bases' layers: each is sent once, then mounted into the
 * other repositories).
 */
export async function copyImages(
  st: StepOf<'copy-images'>,
  signal?: AbortSignal,
  held = new Map<string, Promise<string | null>>(),
): Promise<CopyResult> {
  const src = clientOf(st.from, signal)
  const dst = new RegistryClient(`http://${st.to}`, st.to, { signal })
  const out: CopyResult = { copied: [], present: 0, absent: [], blobsPushed: 0, bytesPushed: 0 }
  const one = async (image: string) => {
    const i = image.lastIndexOf(':')
    const [repo, tag] = [image.slice(0, i), image.slice(i + 1)]
    const digest = await src.manifestDigest(repo, tag)
    // a target whose output is not a push (cacheonly, a local folder) has no image there
    if (!digest) {
      out.absent.push(image)
      return
    }
    if ((await dst.manifestDigest(repo, tag)) === digest) {
      out.present++
      return
    }
    const source = await registrySource(src, repo, digest)
    const stats = await copyImage(source, source.images[0].root, dst, repo, tag, undefined, undefined, held)
    out.copied.push(image)
    out.blobsPushed += stats.blobsPushed
    out.bytesPushed += stats.bytesPushed
  }
  // a few at a time: many small function images, one connection each
  await pool(st.images, one, 4)
  return out
}
