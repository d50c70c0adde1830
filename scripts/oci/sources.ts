// Where an imported image comes from: a registry, an OCI image layout folder,
// or a tar (an OCI layout, or what `docker save` writes). Each yields the
// images it holds as (name, root manifest) and streams blobs on demand.
import fs from 'node:fs'
import path from 'node:path'

import { EsbError, UsageError } from '../errors.ts'
import { checkDigest } from './ref.ts'
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

export const parse = <T = ManifestJson>(bytes: Buffer, where: string): T => {
  try {
    return JSON.parse(bytes.toString('utf8')) as T
  } catch {
    throw new EsbError(`${where}: not valid JSON; the archive is corrupt`)
  }
}
export const manifestOf = (bytes: Buffer, where: string, expect?: string): Manifest => {
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
export function checkSizes(
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
export function descriptors(index: ManifestJson | null, where: string): Desc[] {
  const list: unknown = index?.manifests ?? []
  if (!Array.isArray(list) || list.some((d) => typeof d?.digest !== 'string'))
    throw new EsbError(`${where}: 'manifests' must be a list of descriptors with a digest; the archive is corrupt`)
  return list as Desc[]
}
export const attempt = <T>(f: () => T): T | undefined => {
  try {
    return f()
  } catch {
    return undefined
  }
}

/** Names from an OCI index entry's annotations. */
export function nameOf(d: Desc): { name: string | null; tag: string | null } {
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
