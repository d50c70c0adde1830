// import, export, images: moving function images through the local registry
// (OCI distribution API; no engine needed except for --from-engine).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { CommandSpec, CommandCtx } from './types.ts'
import { settingsFrom } from '../context.ts'
import { EsbError, UsageError } from '../errors.ts'
import type { Settings } from '../config.ts'
import { RegistryClient } from '../oci/registry.ts'
import { checkTag, kindOf, parseRef, projectRepo, registryBase, INDEX_TYPES } from '../oci/ref.ts'
import { copyImage, blobsOf, mediaTypeOf } from '../oci/copy.ts'
import { layoutDirSource, registrySource, tarSource, type OpenSource } from '../oci/sources.ts'
import { exportImages } from '../oci/export.ts'

async function localRegistry(s: Settings): Promise<RegistryClient> {
  const c = new RegistryClient(`http://${s.registry.buildAddress}`, s.registry.buildAddress)
  try { await c.ping() } catch { throw new EsbError(`the project's registry is not running on ${s.registry.buildAddress}; start it with 'docker esb build' or 'docker esb up' (or set PORT_REGISTRY)`) }
  return c
}

async function openSource(c: CommandCtx, s: string, insecure: boolean): Promise<OpenSource> {
  if (c.flags['from-engine']) {
    // an image only in the engine's store: `docker save` it to a temp file first
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-esb-save-'))
    const file = path.join(dir, 'image.tar')
    await c.runner.run(['save', '-o', file, s], { capture: true })
    const src = await tarSource(file)
    return { ...src, close: () => fs.rmSync(dir, { recursive: true, force: true }) }
  }
  const p = path.resolve(c.io.cwd, s)
  if (fs.existsSync(p)) return fs.statSync(p).isDirectory() ? layoutDirSource(p) : tarSource(p)
  if (/^[./]/.test(s) || /\.tar$/.test(s)) throw new UsageError(`${s}: no such file or folder`)
  const ref = parseRef(s)
  const client = new RegistryClient(registryBase(ref.registry, insecure), ref.registry)
  return registrySource(client, ref.repo, ref.digest ?? ref.tag!)
}

export const importCmd: CommandSpec = {
  name: 'import',
  usage: '<source> [--name NAME] [--tag TAG]',
  summary: "Put an image into the project's registry as <registry>/<slug>-<name>:<tag>",
  details: 'SOURCE: an image reference (any reachable registry; all platforms kept, digests unchanged), a `docker save`\ntar, an OCI image layout folder or its tar (e.g. from docker esb export: every image in it is restored).\nBlobs already in the registry are skipped; the tag is written last.',
  flags: [
    ['--name NAME', 'name in the project (default: from the source); becomes <slug>-NAME'],
    ['--tag TAG', 'tag (default: the source tag, else the project tag)'],
    ['--insecure', 'plain HTTP for a non-loopback source registry'],
    ['--from-engine', "SOURCE is an image in the engine's store (docker save)"],
  ],
  strings: ['name', 'tag'],
  booleans: ['insecure', 'from-engine'],
  common: true,
  positional: true,
  async run(c) {
    const args = c.flags._.map(String)
    if (args.length !== 1) throw new UsageError("'docker esb import' takes one SOURCE (an image reference, a tar or an OCI layout folder)")
    const tagFlag = c.flags.tag as string | undefined
    const s = settingsFrom({ ...c.flags, tag: undefined }, c.io)
    const dst = await localRegistry(s)
    const src = await openSource(c, args[0], !!c.flags.insecure)
    try {
      if (src.images.length === 0) throw new EsbError(`${src.describe}: holds no image`)
      if (src.images.length > 1 && c.flags.name) throw new UsageError(`${src.describe} holds ${src.images.length} images; --name applies to one`)
      for (const img of src.images) {
        const name = (c.flags.name as string | undefined) ?? img.name
        if (!name) throw new UsageError(`${src.describe}: the image has no name; give one with --name`)
        const repo = projectRepo(s.slug, name)
        const tag = checkTag(tagFlag ?? img.tag ?? s.tag)
        c.io.err(`import ${src.describe} -> ${s.registry.buildAddress}/${repo}:${tag}\n`)
        const st = await copyImage(src, img.root, dst, repo, tag, (l) => c.io.err(l + '\n'))
        c.io.err(`  ${img.root.digest}: ${st.blobsPushed} blobs pushed (${(st.bytesPushed / 1048576).toFixed(1)} MiB), ${st.blobsSkipped} already there\n`)
        c.io.out(`${s.registry.buildAddress}/${repo}:${tag}@${img.root.digest}\n`)
      }
    } finally {
      src.close?.()
    }
  },
}

/** `fn-hello`, `esb-fn-hello`, `fn-hello:v1` -> repo and tag in the project. */
function projectImage(s: Settings, arg: string) {
  const m = /^([^:@]+)(?::([^:@]+))?$/.exec(arg)
  if (!m) throw new UsageError(`${arg}: expected NAME or NAME:TAG`)
  const repo = projectRepo(s.slug, m[1])
  const tag = checkTag(m[2] ?? s.tag)
  return { repo, tag, fullName: `${s.registry.buildAddress}/${repo}:${tag}` }
}

export const exportCmd: CommandSpec = {
  name: 'export',
  usage: '<name>[:tag]... -o FILE',
  summary: "Write images from the project's registry into one tar (OCI layout + docker manifest.json)",
  details: "The archive loads with `docker load -i FILE` and with OCI tools; `docker esb import FILE` on another\nmachine restores every image in it with the same digests.",
  flags: [['-o, --output FILE', 'the archive to write (required)']],
  strings: ['output'],
  booleans: [],
  common: true,
  positional: true,
  async run(c) {
    const names = c.flags._.map(String)
    const out = (c.flags.output ?? c.flags.o) as string | undefined
    if (!names.length) throw new UsageError("'docker esb export' needs at least one image name (see 'docker esb images')")
    if (!out) throw new UsageError("'docker esb export' needs -o FILE")
    const s = settingsFrom(c.flags, c.io)
    const reg = await localRegistry(s)
    const file = path.resolve(c.io.cwd, out)
    const r = await exportImages(reg, names.map((n) => projectImage(s, n)), file, (l) => c.io.err(l + '\n'))
    c.io.err(`wrote ${file}: ${r.blobs} blobs, ${(r.bytes / 1048576).toFixed(1)} MiB\n`)
  },
}

export const imagesCmd: CommandSpec = {
  name: 'images',
  usage: '[--json] [--all]',
  summary: "List what the project's registry holds: repository, tag, digest, size, kind",
  flags: [['--json', 'as JSON'], ['--all', 'also repositories that are not the project\'s']],
  strings: [],
  booleans: ['all'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const reg = await localRegistry(s)
    const rows: { repository: string; tag: string; digest: string; size: number; kind: string; platforms: number }[] = []
    for (const repo of await reg.catalog()) {
      const kind = kindOf(s.slug, repo)
      if (kind === 'other' && !c.flags.all) continue
      for (const tag of await reg.tags(repo)) {
        const m = await reg.manifest(repo, tag)
        if (!m) continue
        let size = m.bytes.length
        let platforms = 1
        if (INDEX_TYPES.includes(mediaTypeOf(m))) {
          platforms = 0
          for (const d of m.json.manifests ?? []) {
            const child = await reg.manifest(repo, d.digest)
            if (!child) continue
            if (d.platform?.os !== 'unknown') platforms++
            size += child.bytes.length + blobsOf(child, reg.name).reduce((a, b) => a + b.size, 0)
          }
        } else {
          size += blobsOf(m, reg.name).reduce((a, b) => a + b.size, 0)
        }
        rows.push({ repository: `${s.registry.buildAddress}/${repo}`, tag, digest: m.digest, size, kind, platforms })
      }
    }
    if (c.flags.json) { c.io.out(JSON.stringify(rows, null, 2) + '\n'); return }
    const w = Math.max(10, ...rows.map((r) => r.repository.length))
    c.io.out(`${'REPOSITORY'.padEnd(w)}  ${'TAG'.padEnd(16)}  ${'DIGEST'.padEnd(19)}  ${'SIZE'.padStart(10)}  KIND\n`)
    for (const r of rows) c.io.out(`${r.repository.padEnd(w)}  ${r.tag.padEnd(16)}  ${r.digest.slice(0, 19)}  ${((r.size / 1048576).toFixed(1) + ' MiB').padStart(10)}  ${r.kind}\n`)
  },
}
