// docker esb import: put an image (registry ref, docker save tar, OCI layout) into the project's registry.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { CommandSpec, CommandCtx } from './types.ts'
import { str } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { EsbError, UsageError } from '../errors.ts'
import { RegistryClient } from '../oci/client.ts'
import { checkTag, parseRef, projectRepo, registryBase } from '../oci/ref.ts'
import { copyImage, mediaTypeOf } from '../oci/copy.ts'
import { localRegistry } from '../oci/local.ts'
import { onForcedExit } from '../exit-cleanup.ts'
import { Meter } from '../report/meter.ts'
import { layoutDirSource, registrySource, type OpenSource } from '../oci/sources.ts'
import { tarSource } from '../oci/tar-source.ts'

async function openSource(c: CommandCtx, s: string, insecure: boolean): Promise<OpenSource> {
  if (c.flags['from-engine']) {
    // an image only in the engine's store: `docker save` it to a temp file first
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-esb-save-'))
    const file = path.join(dir, 'image.tar')
    const done = onForcedExit(() => fs.rmSync(dir, { recursive: true, force: true }))
    const drop = () => {
      fs.rmSync(dir, { recursive: true, force: true })
      done()
    }
    try {
      await c.runner.run(['save', '-o', file, s], { capture: true })
      const src = await tarSource(file)
      return { ...src, close: drop }
    } catch (e) {
      drop()
      throw e
    }
  }
  const p = path.resolve(c.io.cwd, s)
  if (fs.existsSync(p)) return fs.statSync(p).isDirectory() ? layoutDirSource(p) : tarSource(p)
  if (/^[./]/.test(s) || /\.tar$/.test(s)) throw new UsageError(`${s}: no such file or folder`)
  const ref = parseRef(s)
  const client = new RegistryClient(registryBase(ref.registry, insecure), ref.registry, { signal: c.runner.signal })
  return registrySource(client, ref.repo, ref.digest ?? ref.tag!)
}

export const importCmd: CommandSpec = {
  name: 'import',
  usage: '<source> [--name NAME] [--tag TAG]',
  summary: "Put an image into the project's registry as <registry>/<slug>-<name>:<tag>",
  details:
    'SOURCE: an image reference (any reachable registry; all platforms kept, digests unchanged), a `docker save`\ntar, an OCI image layout folder or its tar (e.g. from docker esb export: every image in it is restored).\nBlobs already in the registry are skipped; the tag is written last.',
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
    if (args.length !== 1)
      throw new UsageError("'docker esb import' takes one SOURCE (an image reference, a tar or an OCI layout folder)")
    const tagFlag = str(c.flags, 'tag')
    const s = settingsFrom({ ...c.flags, tag: undefined }, c.io)
    const dst = await localRegistry(s, c.runner.signal)
    const src = await openSource(c, args[0], !!c.flags.insecure)
    try {
      if (src.images.length === 0) throw new EsbError(`${src.describe}: holds no image`)
      if (src.images.length > 1 && c.flags.name)
        throw new UsageError(`${src.describe} holds ${src.images.length} images; --name applies to one`)
      // a bad name or tag says where it came from: the flag, or the source
      const named = <T>(flag: string | false, f: () => T): T => {
        try {
          return f()
        } catch (e) {
          throw e instanceof UsageError ? new UsageError(`${flag || src.describe}: ${e.message}`) : e
        }
      }
      // every name first, every image's blobs and manifests next, the tags last: a failure anywhere leaves no tag
      const plan = src.images.map((img) => {
        const name = str(c.flags, 'name') ?? img.name
        if (!name) throw new UsageError(`${src.describe}: the image has no name; give one with --name`)
        return {
          img,
          repo: named(!!c.flags.name && '--name', () => projectRepo(s.slug, name)),
          tag: named(tagFlag !== undefined && '--tag', () => checkTag(tagFlag ?? img.tag ?? s.tag)),
        }
      })
      for (const { img, repo, tag } of plan) {
        c.io.err(`import ${src.describe} -> ${s.registry.localAddress}/${repo}:${tag}\n`)
        // bytes and rate on a terminal; nothing in a CI log
        const meter = new Meter(`import ${repo}`, 0, c.io.err, c.io.errIsTTY === true)
        let st
        try {
          st = await copyImage(src, img.root, dst, repo, null, (l) => c.io.err(l + '\n'), meter)
        } finally {
          meter.finish()
        } // an error starts on its own line
        c.io.err(
          `  ${img.root.digest}: ${st.blobsPushed} blobs pushed (${(st.bytesPushed / 1048576).toFixed(1)} MiB), ${st.blobsSkipped} already there\n`,
        )
      }
      for (const { img, repo, tag } of plan) {
        await dst.pushManifest(repo, tag, mediaTypeOf(img.root), img.root.bytes)
        c.io.out(`${s.registry.localAddress}/${repo}:${tag}@${img.root.digest}\n`)
      }
    } finally {
      src.close?.()
    }
  },
}
