// Where an imported image comes from: a registry, an OCI image layout folder,
// or a tar (an OCI layout, or what `docker save` writes). Each yields the
// images it holds as (name, root manifest) and streams blobs on demand.
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import { finished, pipeline } from 'node:stream/promises'
import * as tar from 'tar-stream'
import { EsbError, UsageError } from '../errors.ts'
import { MT, checkDigest } from './ref.ts'
import { RegistryClient } from './client.ts'
import { VerifyStream, checkSize, sha256 } from './verify.ts'
import { mediaTypeOf, type Source } from './copy.ts'
import type { Desc, Manifest, ManifestJson } from './types.ts'

export interface SourceImage {
  name: string | null
  tag: string | null
  root: Manifest
}
export interface OpenSource extends Source {
  images: SourceImage[]
  close?: () => void
}

const parse = <T = ManifestJson>(bytes: Buffer, where: string): T => {
  try {
    return JSON.parse(bytes.toString('utf8')) as T
  } catch {
    throw new EsbError(`${where}: not valid JSON; the archive is corrupt`)
  }
}
const manifestOf = (bytes: Buffer, where: string, expect?: string): Manifest => {
  const digest = sha256(bytes)
  if (expect && expect !== digest)
    throw new EsbError(`${where}: digest ${digest} does not match ${expect}; the source is corrupt`)
  const json = parse(bytes, where)
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new EsbError(`${where}: not a manifest (a JSON object); the source is corrupt`)
  return { mediaType: mediaTypeOf({ json }), digest, bytes, json }
}

/**
 * Checks every descriptor's size against the bytes it names, from the index
 * entries through child manifests to configs and layers, before anything is
 * pushed. What the archive does not hold fails later, when it is needed.
 */
function checkSizes(
  where: string,
  descs: Desc[],
  read: (digest: string) => Buffer | undefined,
  sizeOf: (digest: string) => number | undefined,
  seen = new Set<string>(),
): void {
  for (const d of descs) {
    if (!d?.digest || seen.has(d.digest)) continue
    seen.add(d.digest)
    const bytes = read(d.digest)
    if (!bytes) continue
    checkSize(where, d, bytes.length, 'manifest')
    const json = parse(bytes, `${where} ${d.digest}`)
    checkSizes(where, json.manifests ?? [], read, sizeOf, seen)
    for (const b of [json.config, ...(json.layers ?? [])]) {
      const n = b?.digest ? sizeOf(b.digest) : undefined
      if (b && n !== undefined) checkSize(where, b, n, b === json.config ? 'config' : 'layer')
    }
  }
}
/** An index's descriptors; anything but a list of objects with a digest is a corrupt archive, not a crash. */
function descriptors(index: ManifestJson | null, where: string): Desc[] {
  const list: unknown = index?.manifests ?? []
  if (!Array.isArray(list) || list.some((d) => typeof d?.digest !== 'string'))
    throw new EsbError(`${where}: 'manifests' must be a list of descriptors with a digest; the archive is corrupt`)
  return list as Desc[]
}
const attempt = <T>(f: () => T): T | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

/** Names from an OCI index entry's annotations. */
function nameOf(d: Desc): { name: string | null; tag: string | null } {
  // annotations are the archive's to get wrong: only strings count
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined)
  const full = str(d.annotations?.['io.containerd.image.name'])
  const refName = str(d.annotations?.['org.opencontainers.image.ref.name'])
  if (full) {
    // [\s\S]: a name with a newline must reach the name check, not fail this match
    const m = /^([\s\S]*?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]*))?$/.exec(full.replace(/@[\s\S]*$/, ''))!
    return { name: m[1], tag: m[2] ?? refName ?? null }
  }
  if (refName && /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(refName)) return { name: null, tag: refName }
  return { name: null, tag: null }
}

// ---------- registry ----------
export async function registrySource(client: RegistryClient, repo: string, ref: string): Promise<OpenSource> {
  const root = await client.manifest(repo, ref)
  if (!root) throw new EsbError(`${client.name}/${repo}:${ref} not found`)
  return {
    describe: `${client.name}/${repo}`,
    images: [{ name: repo, tag: ref.startsWith('sha256:') ? null : ref, root }],
    async manifest(digest) {
      const m = await client.manifest(repo, digest)
      if (!m) throw new EsbError(`${client.name}/${repo}@${digest} not found`)
      return m
    },
    blob: (d: Desc) => client.blob(repo, d.digest, d.size),
  }
}

// ---------- OCI layout folder ----------
export function layoutDirSource(dir: string): OpenSource {
  const idxFile = path.join(dir, 'index.json')
  if (!fs.existsSync(idxFile)) throw new UsageError(`${dir}: not an OCI image layout (no index.json)`)
  const blobPath = (digest: string) => path.join(dir, 'blobs', 'sha256', checkDigest(digest, dir).slice(7))
  const read = (digest: string) => {
    try {
      return fs.readFileSync(blobPath(digest))
    } catch {
      throw new EsbError(`${dir}: blob ${digest} is missing; the layout is incomplete`)
    }
  }
  const index = parse(fs.readFileSync(idxFile), idxFile)
  const descs = descriptors(index, idxFile)
  const images = descs.map((d) => ({ ...nameOf(d), root: manifestOf(read(d.digest), `${dir} ${d.digest}`, d.digest) }))
  checkSizes(
    dir,
    descs,
    (d) => attempt(() => read(d)),
    (d) => attempt(() => fs.statSync(blobPath(d)).size),
  )
  return {
    describe: dir,
    images,
    async manifest(digest) {
      return manifestOf(read(digest), `${dir} ${digest}`, digest)
    },
    async blob(d) {
      const p = blobPath(d.digest)
      if (!fs.existsSync(p)) throw new EsbError(`${dir}: blob ${d.digest} is missing; the layout is incomplete`)
      return fs.createReadStream(p).pipe(new VerifyStream(d.digest, d.size, `${dir} ${d.digest}`))
    },
  }
}

// ---------- tar (OCI layout or docker save) ----------
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
    const { PassThrough } = await import('node:stream')
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
