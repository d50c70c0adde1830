// Copying an image graph (index -> manifests -> config and layers) from a
// source into a registry: blobs first (skipped when present, verified while
// streaming), then child manifests by digest, and the tag last, so a failed
// or interrupted copy never leaves a tag pointing at a partial image.
import type { Meter } from '../report/meter.ts'
import type { Readable } from 'node:stream'
import { EsbError } from '../errors.ts'
import { INDEX_TYPES, MANIFEST_TYPES, knownBlobType } from './ref.ts'
import type { RegistryClient } from './client.ts'
import type { Desc, Manifest, ManifestJson } from './types.ts'
import { mib } from '../report/meter.ts'

export type { Desc, Manifest } from './types.ts'

export interface Source {
  describe: string
  manifest(digest: string): Promise<Manifest>
  blob(desc: Desc): Promise<Readable>
}

export interface CopyStats {
  blobsPushed: number
  blobsSkipped: number
  bytesPushed: number
  manifests: number
}

export function mediaTypeOf(m: { json: ManifestJson; mediaType?: string }): string {
  return m.json.mediaType ?? m.mediaType ?? (m.json.manifests ? INDEX_TYPES[0] : MANIFEST_TYPES[0])
}

/** Every blob of a single-platform manifest: config first, then layers. */
export function blobsOf(m: Manifest, where: string): Desc[] {
  const out: Desc[] = [m.json.config, ...(m.json.layers ?? [])].filter((d): d is Desc => Boolean(d))
  for (const d of out) {
    if (!d.digest || typeof d.size !== 'number')
      throw new EsbError(`${where}: manifest ${m.digest} has a descriptor without digest or size`)
    if (!knownBlobType(d.mediaType ?? ''))
      throw new EsbError(
        `${where}: unknown media type ${JSON.stringify(d.mediaType)} in manifest ${m.digest}; only OCI and Docker image types are supported`,
      )
  }
  return out
}

/** `tag` null: no tag is written (the caller tags once every image of a source is in). */
export async function copyImage(
  src: Source,
  root: Manifest,
  dst: RegistryClient,
  repo: string,
  tag: string | null,
  log: (s: string) => void = () => {},
  meter?: Meter,
  /**
   * Shared by copies running together: blob digest -> the repository of
   * `dst` that holds it once its upload is done (null: it failed). A blob
   * another copy sends or sent is mounted from there, not sent again.
   */
  held?: Map<string, Promise<string | null>>,
): Promise<CopyStats> {
  const stats: CopyStats = { blobsPushed: 0, blobsSkipped: 0, bytesPushed: 0, manifests: 0 }
  const done = new Set<string>()
  const copyManifest = async (m: Manifest, ref: string | null) => {
    const mt = mediaTypeOf(m)
    if (INDEX_TYPES.includes(mt)) {
      for (const d of m.json.manifests ?? []) {
        if (![...INDEX_TYPES, ...MANIFEST_TYPES].includes(d.mediaType))
          throw new EsbError(`${src.describe}: unknown media type ${JSON.stringify(d.mediaType)} in index ${m.digest}`)
        const child = await src.manifest(d.digest)
        await copyManifest(child, null)
      }
    } else if (MANIFEST_TYPES.includes(mt)) {
      const blobs = blobsOf(m, src.describe).filter((b) => !done.has(b.digest))
      meter?.grow(blobs.reduce((a, b) => a + b.size, 0))
      for (const b of blobs) {
        if (done.has(b.digest)) continue
        done.add(b.digest)
        // the first copy to meet a blob answers for it (claimed before any await: two copies never both send it)
        const prior = held?.get(b.digest)
        let sent: (r: string | null) => void = () => {}
        if (held && !prior) held.set(b.digest, new Promise((r) => (sent = r)))
        const from = await prior
        let present: boolean
        try {
          present = await dst.hasBlob(repo, b.digest)
        } catch (e) {
          sent(null)
          throw e
        }
        if (present) {
          sent(repo)
          stats.blobsSkipped++
          meter?.add(b.size)
          continue
        }
        if (from && from !== repo && (await dst.mountBlob(repo, b.digest, from))) {
          stats.blobsSkipped++
          meter?.add(b.size)
          continue
        }
        try {
          log(`  push ${b.digest.slice(0, 19)} (${mib(b.size)})`)
          const body = await src.blob(b)
          await dst.pushBlob(repo, b.digest, b.size, meter ? meter.counted(body) : body)
          sent(repo)
        } catch (e) {
          sent(null)
          throw e
        }
        stats.blobsPushed++
        stats.bytesPushed += b.size
      }
    } else {
      throw new EsbError(`${src.describe}: unknown manifest media type ${JSON.stringify(mt)}`)
    }
    // the bytes as they came: digests stay the same
    await dst.pushManifest(repo, ref ?? m.digest, mt, m.bytes)
    stats.manifests++
  }
  await copyManifest(root, null) // by digest first: nothing is tagged until everything is in
  if (tag !== null) await dst.pushManifest(repo, tag, mediaTypeOf(root), root.bytes)
  return stats
}
