// `docker esb import`: put images (a registry reference, a `docker save` tar,
// an OCI image layout folder or its tar) into the project's registry. Every
// name first, every image's blobs and manifests next, the tags last: a failure
// anywhere leaves no tag.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Runner } from '../docker/runner.ts'
import type { Io } from '../io.ts'
import type { Settings } from '../project/config.ts'
import { EsbError, UsageError } from '../errors.ts'
import { onForcedExit } from '../exit-cleanup.ts'
import { Meter } from '../report/meter.ts'
import { RegistryClient } from './client.ts'
import { checkTag, parseRef, projectRepo, registryBase } from './ref.ts'
import { copyImage, mediaTypeOf } from './copy.ts'
import { localRegistry } from './local.ts'
import { layoutDirSource, registrySource, type OpenSource } from './sources.ts'
import { tarSource } from './tar-source.ts'
import { mib } from '../report/meter.ts'

/** What `docker esb import` is asked for, from its flags. */
export interface ImportOptions {
  source: string
  /** --name */
  name?: string
  /** --tag */
  tag?: string
  /** --insecure: plain HTTP for a non-loopback source registry */
  insecure: boolean
  /** --from-engine: the source is an image in the engine's store */
  fromEngine: boolean
}

async function openSource(o: ImportOptions, runner: Runner, io: Io): Promise<OpenSource> {
  const s = o.source
  if (o.fromEngine) {
    // an image only in the engine's store: `docker save` it to a temp file first
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-esb-save-'))
    const file = path.join(dir, 'image.tar')
    const done = onForcedExit(() => fs.rmSync(dir, { recursive: true, force: true }))
    const drop = () => {
      fs.rmSync(dir, { recursive: true, force: true })
      done()
    }
    try {
      await runner.run(['save', '-o', file, s], { capture: true })
      const src = await tarSource(file)
      return { ...src, close: drop }
    } catch (e) {
      drop()
      throw e
    }
  }
  const p = path.resolve(io.cwd, s)
  if (fs.existsSync(p)) return fs.statSync(p).isDirectory() ? layoutDirSource(p) : tarSource(p)
  if (/^[./]/.test(s) || /\.tar$/.test(s)) throw new UsageError(`${s}: no such file or folder`)
  const ref = parseRef(s)
  const client = new RegistryClient(registryBase(ref.registry, o.insecure), ref.registry, { signal: runner.signal })
  return registrySource(client, ref.repo, ref.digest ?? ref.tag!)
}

/** Imports every image of the source; prints each pushed reference on stdout. */
export async function importImages(s: Settings, o: ImportOptions, runner: Runner, io: Io): Promise<void> {
  const dst = await localRegistry(s, runner.signal)
  const src = await openSource(o, runner, io)
  try {
    if (src.images.length === 0) throw new EsbError(`${src.describe}: holds no image`)
    if (src.images.length > 1 && o.name !== undefined)
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
      const name = o.name ?? img.name
      if (!name) throw new UsageError(`${src.describe}: the image has no name; give one with --name`)
      return {
        img,
        repo: named(o.name !== undefined && '--name', () => projectRepo(s.slug, name)),
        tag: named(o.tag !== undefined && '--tag', () => checkTag(o.tag ?? img.tag ?? s.tag)),
      }
    })
    for (const { img, repo, tag } of plan) {
      io.err(`import ${src.describe} -> ${s.registry.localAddress}/${repo}:${tag}\n`)
      // bytes and rate on a terminal; nothing in a CI log
      const meter = new Meter(`import ${repo}`, 0, io.err, io.errIsTTY === true)
      let st
      try {
        st = await copyImage(src, img.root, dst, repo, null, (l) => io.err(l + '\n'), meter)
      } finally {
        meter.finish()
      } // an error starts on its own line
      io.err(`  ${img.root.digest}: ${st.blobsPushed} blobs pushed (${mib(st.bytesPushed)}), ${st.blobsSkipped} already there\n`)
    }
    for (const { img, repo, tag } of plan) {
      await dst.pushManifest(repo, tag, mediaTypeOf(img.root), img.root.bytes)
      io.out(`${s.registry.localAddress}/${repo}:${tag}@${img.root.digest}\n`)
    }
  } finally {
    src.close?.()
  }
}
