// Running the key-tag steps (skip/bykey.ts) against the build registry:
// reused images get their tag (a manifest copy in their own repository) and
// a local record; images just built get their key tag.
import type { StepOf } from '../plan/types.ts'
import { EsbError } from '../errors.ts'
import { readBakeMetadata } from '../report/metadata.ts'
import { writeRecord } from './state.ts'
import { publishKey, tagImage } from './bykey.ts'
import { clientOf } from '../buildregistry/client.ts'

/** Each reused target's tag now names the image its key tag names; recorded as built here. */
export async function reuseByKey(st: StepOf<'reuse-by-key'>, signal?: AbortSignal): Promise<string> {
  const client = clientOf(st.registry, signal)
  await Promise.all(
    st.images.map(async (i) => {
      try {
        await tagImage(client, i.repo, i.digest, i.ref)
      } catch (e) {
        throw new EsbError(
          `could not tag ${st.registry.address}/${i.repo}:${i.ref} with the image of ${i.keyTag} (${(e as Error).message}); run the build again (it builds ${i.target} if the image is gone)`,
        )
      }
      const r = st.records[i.target]
      if (r) writeRecord(st.dir, { target: i.target, tag: r.tag, key: r.key, digest: i.digest, inputs: r.inputs })
    }),
  )
  return `tagged ${st.images.length} image(s) in ${st.registry.address} from their key tags (no build)`
}

/**
 * Tags each image the bake pushed with its key. Never fails the build: a
 * key tag that cannot be written only means other machines build it too.
 * Returns one line per failure.
 */
export async function publishKeys(st: StepOf<'publish-keys'>, signal?: AbortSignal): Promise<string[]> {
  const md = readBakeMetadata(st.metadataFile)
  const client = clientOf(st.registry, signal)
  const failed: string[] = []
  await Promise.all(
    st.keys.map(async (k) => {
      const digest = md[k.target]?.['containerimage.digest']
      if (typeof digest !== 'string') return
      try {
        await publishKey(client, k.repo, digest, k.key)
      } catch (e) {
        failed.push(`${k.target}: key tag not published (${(e as Error).message}); other machines will build it`)
      }
    }),
  )
  return failed.sort()
}
