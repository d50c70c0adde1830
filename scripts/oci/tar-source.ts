// Images from a tar: an OCI image layout, or what `docker save` writes (its
// legacy manifest.json too). Read in two passes so memory stays flat.
import fs from 'node:fs'
import { PassThrough, Readable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import * as tar from 'tar-stream'
import { EsbError, UsageError } from '../errors.ts'
import { MT, checkDigest } from './ref.ts'
import { VerifyStream, sha256 } from './verify.ts'
import type { Desc, Manifest } from './types.ts'
import { attempt, checkSizes, descriptors, manifestOf, nameOf, parse, type OpenSource, type SourceImage } from './sources.ts'

const SMALL = 4 << 20 // entries read whole in the first pass: JSON files, manifests and configs

async function scanTar(file: string, onEntry: (h: tar.Header, stream: Readable) => Promise<void>): Promise<void> {
  const ex = tar.extract()
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, entry, next) => {
      // a streamx Readable: node's stream functions accept it at run time, its types differ
      const stream = entry as unknown as Readable
      // drain what onEntry did not read; `finished` also resolves for a stream already ended
      onEntry(h, stream)
        .then(() => {
          stream.resume()
          return finished(stream)
        })
        .then(
          () => next(),
          (e) => {
            stream.destroy()
            ex.destroy(e)
          },
        )
    })
    ex.on('finish', resolve)
    ex.on('error', reject)
  })
  try {
    await Promise.all([pipeline(fs.createReadStream(file), ex), done])
  } catch (e) {
    if (e instanceof EsbError) throw e
    throw new EsbError(`${file}: not a readable tar archive (${(e as Error).message}); the file is truncated or corrupt`)
  }
}

const readAll = async (s: Readable) => {
  const c: Buffer[] = []
  for await (const x of s) c.push(x)
  return Buffer.concat(c)
}

/**
 * Two passes over the tar, so memory stays flat: the first keeps only small
 * entries (index, manifests, configs); blobs are then streamed from the file
 * in a second pass, one entry at a time, straight to the registry.
 */
export async function tarSource(file: string): Promise<OpenSource> {
  const small = new Map<string, Buffer>()
  const sizes = new Map<string, number>()
  await scanTar(file, async (h, stream) => {
    if (h.type !== 'file') return
    const name = h.name.replace(/^\.\//, '')
    sizes.set(name, h.size ?? 0)
    if ((h.size ?? 0) <= SMALL && (name.endsWith('.json') || name === 'oci-layout' || name.startsWith('blobs/')))
      small.set(name, await readAll(stream))
  })
  const blobName = (digest: string) => `blobs/sha256/${checkDigest(digest, file).slice(7)}`
  const streamBlob = async (entry: string, d: Desc): Promise<Readable> => {
    if (small.has(entry)) return Readable.from([small.get(entry)!]).pipe(new VerifyStream(d.digest, d.size, `${file} ${entry}`))
    if (!sizes.has(entry)) throw new EsbError(`${file}: ${entry} (${d.digest}) is missing; the archive is incomplete`)
    // second pass: stream just that entry out of the file
    const out = new PassThrough()
    scanTar(file, async (h, s) => {
      if (h.name.replace(/^\.\//, '') !== entry) return
      await pipeline(s, out)
    }).catch((e) => out.destroy(e))
    return out.pipe(new VerifyStream(d.digest, d.size, `${file} ${entry}`))
  }

  if (small.has('index.json')) {
    const read = (digest: string) => {
      const b = small.get(blobName(digest))
      if (!b) throw new EsbError(`${file}: manifest ${digest} is missing; the archive is incomplete`)
      return b
    }
    const index = parse(small.get('index.json')!, `${file} index.json`)
    // a `docker save` index may wrap the image index once more; names from the outer entry
    const descs = descriptors(index, `${file} index.json`)
    const images: SourceImage[] = descs.map((d) => ({
      ...nameOf(d),
      root: manifestOf(read(d.digest), `${file} ${d.digest}`, d.digest),
    }))
    checkSizes(
      file,
      descs,
      (d) => attempt(() => read(d)),
      (d) => attempt(() => sizes.get(blobName(d))),
    )
    return {
      describe: file,
      images,
      async manifest(digest) {
        return manifestOf(read(digest), `${file} ${digest}`, digest)
      },
      blob: (d) => streamBlob(blobName(d.digest), d),
    }
  }
  if (small.has('manifest.json')) return legacySave(file, small, sizes, streamBlob)
  throw new UsageError(`${file}: neither an OCI image layout (index.json) nor a docker save archive (manifest.json)`)
}

/**
 * A legacy `docker save` tar: uncompressed layers whose digests are the
 * config's diff_ids. Each image becomes an OCI manifest (uncompressed layers),
 * so its config and layers keep their digests.
 */
function legacySave(
  file: string,
  small: Map<string, Buffer>,
  sizes: Map<string, number>,
  streamBlob: (entry: string, d: Desc) => Promise<Readable>,
): OpenSource {
  const raw = parse<unknown>(small.get('manifest.json')!, `${file} manifest.json`)
  if (!Array.isArray(raw)) throw new EsbError(`${file} manifest.json: not a docker save manifest list`)
  const list = raw as { Config: string; Layers?: string[]; RepoTags?: string[] }[]
  const entries = new Map<string, string>() // digest -> tar entry
  const manifests = new Map<string, Manifest>()
  const images: SourceImage[] = []
  for (const item of list) {
    const cfgBytes = small.get(item.Config)
    if (!cfgBytes) throw new EsbError(`${file}: config ${item.Config} is missing; the archive is incomplete`)
    const cfg = parse<{ rootfs?: { diff_ids?: string[] } }>(cfgBytes, `${file} ${item.Config}`)
    const diffIds: string[] = cfg.rootfs?.diff_ids ?? []
    if (diffIds.length !== (item.Layers ?? []).length)
      throw new EsbError(
        `${file}: ${item.Config} lists ${diffIds.length} layers, manifest.json ${item.Layers?.length}; the archive is corrupt`,
      )
    const cfgDigest = sha256(cfgBytes)
    entries.set(cfgDigest, item.Config)
    const layers = (item.Layers ?? []).map((l, i) => {
      if (!sizes.has(l)) throw new EsbError(`${file}: layer ${l} is missing; the archive is incomplete`)
      entries.set(diffIds[i], l)
      return { mediaType: MT.ociLayer, digest: diffIds[i], size: sizes.get(l)! }
    })
    const json = {
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: cfgDigest, size: cfgBytes.length },
      layers,
    }
    const bytes = Buffer.from(JSON.stringify(json))
    const root = { mediaType: MT.ociManifest, digest: sha256(bytes), bytes, json }
    manifests.set(root.digest, root)
    const tagged = /^(.*):([^:/]+)$/.exec((item.RepoTags ?? [])[0] ?? '')
    images.push({ name: tagged?.[1] ?? null, tag: tagged?.[2] ?? null, root })
  }
  return {
    describe: file,
    images,
    async manifest(digest) {
      const m = manifests.get(digest)
      if (!m) throw new EsbError(`${file}: no manifest ${digest}`)
      return m
    },
    blob: (d) => {
      const e = entries.get(d.digest)
      if (!e) throw new EsbError(`${file}: blob ${d.digest} is missing; the archive is incomplete`)
      return streamBlob(e, d)
    },
  }
}
