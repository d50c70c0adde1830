// docker esb export: images from the project's registry into one tar (OCI layout + docker manifest.json).
import fs from 'node:fs'
import path from 'node:path'
import type { CommandSpec } from './types.ts'
import { str } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { FileError, UsageError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import { checkRepo, checkTag, projectRepo } from '../oci/ref.ts'
import { localRegistry } from '../oci/local.ts'
import { exportImages } from '../oci/export.ts'
import { Meter } from '../report/meter.ts'
import { mib } from '../report/meter.ts'

/** `fn-hello`, `esb-fn-hello`, `fn-hello:v1` -> repo and tag in the project. */
function projectImage(s: Settings, arg: string) {
  const m = /^([^:@]+)(?::([^:@]+))?$/.exec(arg)
  if (!m) throw new UsageError(`${arg}: expected NAME or NAME:TAG`)
  // a plain name (no '..' or '/..'): the last part alone would be exported under another name
  checkRepo(m[1], `'docker esb export': image`)
  const repo = projectRepo(s.slug, m[1])
  const tag = checkTag(m[2] ?? s.tag)
  return { repo, tag, fullName: `${s.registry.localAddress}/${repo}:${tag}` }
}

export const exportCmd: CommandSpec = {
  name: 'export',
  usage: '<name>[:tag]... -o FILE',
  summary: "Write images from the project's registry into one tar (OCI layout + docker manifest.json)",
  details:
    'The archive loads with `docker load -i FILE` and with OCI tools; `docker esb import FILE` on another\nmachine restores every image in it with the same digests.',
  flags: [['-o, --output FILE', 'the archive to write (required)']],
  strings: ['output'],
  booleans: [],
  common: true,
  positional: true,
  async run(c) {
    const names = c.flags._.map(String)
    const out = str(c.flags, 'output') ?? str(c.flags, 'o')
    if (!names.length) throw new UsageError("'docker esb export' needs at least one image name (see 'docker esb images')")
    if (!out) throw new UsageError("'docker esb export' needs -o FILE")
    const s = settingsFrom(c.flags, c.io)
    const file = path.resolve(c.io.cwd, out)
    checkOutputFile(file)
    const images = names.map((n) => projectImage(s, n))
    const reg = await localRegistry(s, c.runner.signal)
    // bytes and rate on a terminal; nothing in a CI log
    const meter = new Meter(`export ${path.basename(file)}`, 0, c.io.err, c.io.errIsTTY === true)
    let r
    try {
      r = await exportImages(reg, images, file, (l) => c.io.err(l + '\n'), c.runner.signal, meter)
    } finally {
      meter.finish()
    } // an error starts on its own line
    c.io.err(`wrote ${file}: ${r.blobs} blobs, ${mib(r.bytes)}\n`)
  },
}

/**
 * The archive may only be a new file in an existing folder, or replace a
 * regular file: never a folder, a device or anything else at that path.
 */
export function checkOutputFile(file: string): void {
  let st: fs.Stats | null = null
  try {
    st = fs.statSync(file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FileError((e as NodeJS.ErrnoException).code ?? 'EACCES', file, 'write')
  }
  if (st && st.isDirectory()) throw new FileError('EISDIR', file, 'write')
  if (st && !st.isFile())
    throw new UsageError(
      `cannot write ${file}: it is not a regular file (a device, socket or pipe); give a new file path with -o`,
    )
  const dir = path.dirname(file)
  let d: fs.Stats
  try {
    d = fs.statSync(dir)
  } catch (e) {
    throw new FileError((e as NodeJS.ErrnoException).code ?? 'ENOENT', dir, 'write into')
  }
  if (!d.isDirectory()) throw new FileError('ENOTDIR', dir, 'write into')
  try {
    fs.accessSync(dir, fs.constants.W_OK)
  } catch (e) {
    throw new FileError((e as NodeJS.ErrnoException).code ?? 'EACCES', dir, 'write into')
  }
}
