// Test images made on disk, no engine needed: OCI image layouts (single or
// multi-platform) and legacy `docker save` archives; and one-layer images
// pushed straight to a registry.
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import * as tar from 'tar-stream'
import { Readable } from 'node:stream'
import type { RegistryClient } from '../../scripts/oci/client.ts'

export const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`

export interface Fixture {
  dir: string
  index: any
  rootDigest: string
  manifests: Record<string, Buffer>
}

function put(dir: string, b: Buffer): { digest: string; size: number } {
  const d = sha(b)
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', d.slice(7)), b)
  return { digest: d, size: b.length }
}

/** Random bytes standing for layer tars (the registry does not look inside). */
function layer(size: number): Buffer {
  return crypto.randomBytes(size)
}

export function makeLayout(
  dir: string,
  o: { platforms?: string[]; layers?: number[]; name?: string; tag?: string; layerType?: string } = {},
): Fixture {
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  const manifests: Record<string, Buffer> = {}
  const one = (arch: string) => {
    const ls = (o.layers ?? [4096, 20000]).map((n) => layer(n))
    const descs = ls.map((l) => ({ mediaType: o.layerType ?? 'application/vnd.oci.image.layer.v1.tar', ...put(dir, l) }))
    const cfg = Buffer.from(
      JSON.stringify({
        architecture: arch,
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: descs.map((d) => d.digest) },
        config: {},
      }),
    )
    const m = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(dir, cfg) },
        layers: descs,
      }),
    )
    const md = put(dir, m)
    manifests[md.digest] = m
    return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...md, platform: { os: 'linux', architecture: arch } }
  }
  let root: any
  if (o.platforms && o.platforms.length > 1) {
    const idx = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: o.platforms.map(one) }),
    )
    const d = put(dir, idx)
    manifests[d.digest] = idx
    root = { mediaType: 'application/vnd.oci.image.index.v1+json', ...d }
  } else {
    root = one(o.platforms?.[0] ?? 'amd64')
    delete root.platform
  }
  const ann: Record<string, string> = {}
  if (o.name) ann['io.containerd.image.name'] = `${o.name}:${o.tag ?? 'latest'}`
  if (o.tag) ann['org.opencontainers.image.ref.name'] = o.tag
  const index = { schemaVersion: 2, manifests: [{ ...root, annotations: ann }] }
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index))
  return { dir, index, rootDigest: root.digest, manifests }
}

/** Packs a folder into a tar file. */
export async function tarDir(dir: string, file: string): Promise<void> {
  const pack = tar.pack()
  const out = fs.createWriteStream(file)
  pack.pipe(out)
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(r)
      else pack.entry({ name: r }, fs.readFileSync(path.join(dir, r)))
    }
  }
  walk('')
  pack.finalize()
  await new Promise<void>((r) => out.on('close', () => r()))
}

/** A legacy `docker save` tar: <id>/layer.tar, <config>.json, manifest.json. */
export async function makeDockerSave(file: string, repoTag: string): Promise<{ diffIds: string[]; configDigest: string }> {
  const pack = tar.pack()
  const out = fs.createWriteStream(file)
  pack.pipe(out)
  const layers = [layer(3000), layer(7000)]
  const diffIds = layers.map(sha)
  const cfg = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} }),
  )
  const cfgName = `${sha(cfg).slice(7)}.json`
  layers.forEach((l, i) => pack.entry({ name: `layer${i}/layer.tar` }, l))
  pack.entry({ name: cfgName }, cfg)
  pack.entry(
    { name: 'manifest.json' },
    Buffer.from(JSON.stringify([{ Config: cfgName, RepoTags: [repoTag], Layers: ['layer0/layer.tar', 'layer1/layer.tar'] }])),
  )
  pack.finalize()
  await new Promise<void>((r) => out.on('close', () => r()))
  return { diffIds, configDigest: sha(cfg) }
}

/** Pushes a one-layer image (docker media types) to repo:tag, its config carrying `labels`; its manifest digest. */
export async function pushOneLayer(
  c: RegistryClient,
  repo: string,
  tag: string,
  layer: Buffer,
  labels: Record<string, string> = {},
): Promise<string> {
  const blob = async (b: Buffer) => {
    await c.pushBlob(repo, sha(b), b.length, Readable.from([b]))
    return { digest: sha(b), size: b.length }
  }
  const l = await blob(layer)
  const config = await blob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2026-12-05T10:00:00.123Z',
        config: { Labels: labels },
        rootfs: { type: 'layers', diff_ids: [l.digest] },
      }),
    ),
  )
  const mt = 'application/vnd.docker.distribution.manifest.v2+json'
  const manifest = {
    schemaVersion: 2,
    mediaType: mt,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...l }],
  }
  return c.pushManifest(repo, tag, mt, Buffer.from(JSON.stringify(manifest)))
}
