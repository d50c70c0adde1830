// Export: images from the local registry into one tar that `docker load`
// and OCI tools both read: an OCI image layout (oci-layout, index.json,
// blobs/sha256/...) plus a Docker manifest.json naming the same blobs.
// Blobs stream from the registry into the tar; the file appears under its
// name only when complete.
import type { Meter } from '../report/meter.ts'
import fs from 'node:fs'
import { pipeline } from 'node:stream/promises'
import * as tar from 'tar-stream'
import { EsbError } from '../errors.ts'
import { onForcedExit } from '../exit-cleanup.ts'
import { INDEX_TYPES } from './ref.ts'
import { blobsOf, mediaTypeOf } from './copy.ts'
import type { Desc, Manifest, ManifestJson } from './types.ts'
import type { RegistryClient } from './client.ts'

export interface ExportImage {
  repo: string
  tag: string
  fullName: string
}

/** The platform manifest `docker load` should use from an index: this host's, else the first. */
export function pickPlatform(index: ManifestJson, arch = process.arch === 'x64' ? 'amd64' : process.arch): Desc | undefined {
  const ms = (index.manifests ?? []).filter((d) => d.platform?.os !== 'unknown')
  return ms.find((d) => d.platform?.os === 'linux' && d.platform?.architecture === arch) ?? ms[0]
}

export async function exportImages(
  client: RegistryClient,
  images: ExportImage[],
  outFile: string,
  log: (s: string) => void = () => {},
  signal?: AbortSignal,
  meter?: Meter,
): Promise<{ blobs: number; bytes: number }> {
  const pack = tar.pack()
  const tmp = `${outFile}.partial-${process.pid}`
  const out = fs.createWriteStream(tmp)
  const forced = onForcedExit(() => fs.rmSync(tmp, { force: true }))
  const writing = pipeline(pack, out, { signal })
  const written = new Set<string>()
  let bytes = 0
  const entry = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) =>
      pack.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (e) => (e ? reject(e) : resolve())),
    )
  const blobEntry = async (repo: string, digest: string, size: number) => {
    if (written.has(digest)) return
    written.add(digest)
    const src = await client.blob(repo, digest, size)
    const sink = pack.entry({ name: `blobs/sha256/${digest.slice(7)}`, size, mode: 0o644, mtime: new Date(0) })
    await pipeline(meter ? meter.counted(src) : src, sink)
    bytes += size
  }
  const manifestEntry = async (m: Manifest) => {
    if (written.has(m.digest)) return
    written.add(m.digest)
    await entry(`blobs/sha256/${m.digest.slice(7)}`, m.bytes)
  }
  try {
    await entry('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'))
    const index: Desc[] = []
    const dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = []
    for (const img of images) {
      const root = await client.manifest(img.repo, img.tag)
      if (!root) throw new EsbError(`${img.repo}:${img.tag} is not in the registry ${client.name}; see 'docker esb images'`)
      log(`export ${img.fullName} (${root.digest.slice(0, 19)})`)
      let forLoad: Manifest = root
      // the image's blobs are known once its manifests are read: the meter's total grows by them
      const grow = (ms: Manifest[]) => {
        const seen = new Set<string>()
        for (const m of ms)
          for (const b of blobsOf(m, client.name))
            if (!written.has(b.digest) && !seen.has(b.digest)) {
              seen.add(b.digest)
              meter?.grow(b.size)
            }
      }
      if (INDEX_TYPES.includes(mediaTypeOf(root))) {
        const children: [Desc, Manifest][] = []
        for (const d of root.json.manifests ?? []) {
          const child = await client.manifest(img.repo, d.digest)
          if (!child) throw new EsbError(`${img.repo}@${d.digest} is missing from the registry`)
          children.push([d, child])
        }
        grow(children.map(([, m]) => m))
        for (const [d, child] of children) {
          for (const b of blobsOf(child, client.name)) await blobEntry(img.repo, b.digest, b.size)
          await manifestEntry(child)
          if (d.digest === pickPlatform(root.json)?.digest) forLoad = child
        }
      } else {
        grow([root])
        for (const b of blobsOf(root, client.name)) await blobEntry(img.repo, b.digest, b.size)
      }
      await manifestEntry(root)
      index.push({
        mediaType: mediaTypeOf(root),
        digest: root.digest,
        size: root.bytes.length,
        annotations: { 'io.containerd.image.name': img.fullName, 'org.opencontainers.image.ref.name': img.tag },
      })
      dockerManifest.push({
        Config: `blobs/sha256/${(forLoad.json.config?.digest ?? '').slice(7)}`,
        RepoTags: [img.fullName],
        Layers: (forLoad.json.layers ?? []).map((l) => `blobs/sha256/${l.digest.slice(7)}`),
      })
    }
    await entry(
      'index.json',
      Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index })),
    )
    await entry('manifest.json', Buffer.from(JSON.stringify(dockerManifest)))
    pack.finalize()
    await writing
    fs.renameSync(tmp, outFile)
    return { blobs: written.size, bytes }
  } catch (e) {
    pack.destroy()
    await writing.catch(() => {})
    fs.rmSync(tmp, { force: true })
    throw signal?.aborted ? signal.reason : e
  } finally {
    forced()
  }
}
