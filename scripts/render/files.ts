// The file-system side of rendering: read what is there, write what changed
// (atomically, through a temp file + rename), never outside the output dir.
import fs from 'node:fs'
import path from 'node:path'
import { FileError, USER_FS_CODES, UsageError } from '../errors.ts'
import type { Rendered, WriteAction } from './render.ts'
import { fileKindOf } from './templates.ts'
import { guardPath, stateTemp } from '../project/statefs.ts'

/** Resolves `rel` under `root` and refuses symlinks that lead outside it. */
export function safeJoin(root: string, rel: string): string {
  const full = path.resolve(root, rel)
  const realRoot = realPathOfNearest(path.resolve(root))
  const realFull = realPathOfNearest(full)
  if (realFull !== realRoot && !realFull.startsWith(realRoot + path.sep)) {
    throw new UsageError(`${rel}: output would land outside ${root} (through a symlink); remove the link or choose another --out`)
  }
  return full
}

/** Real path of p, resolving symlinks of the deepest part that exists. */
function realPathOfNearest(p: string): string {
  let probe = p
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe)
  return path.join(fs.realpathSync(probe), path.relative(probe, p))
}

export function readStates(outDir: string, rendered: Rendered[]): Map<string, string | null> {
  const m = new Map<string, string | null>()
  for (const r of rendered) {
    const p = safeJoin(outDir, r.relPath)
    let cur: string | null = null
    let st: fs.Stats | undefined
    try {
      st = fs.statSync(p, { throwIfNoEntry: false })
      if (st?.isFile()) cur = fs.readFileSync(p, 'utf8')
    } catch (e) {
      // a file where the output needs a folder (ENOTDIR): name the template too, it is fixed there or here
      const code = (e as NodeJS.ErrnoException).code
      throw new UsageError(
        `${p}: cannot read (${code}): ${code === 'ENOTDIR' ? 'a part of its path is a file' : 'fix its permissions'}; ${r.template} renders to it`,
      )
    }
    // only a regular file is read and replaced: a FIFO would block the read, a device or folder is not ours to replace
    if (st && !st.isFile())
      throw new UsageError(
        `${p}: output is not a regular file (${fileKindOf(st)}); docker esb writes only regular files: remove it or choose another --out`,
      )
    m.set(r.relPath, cur)
  }
  return m
}

/** Writes one file (absolute path) like applyWrites; mode null keeps an existing file's mode. */
export function writeFileAtomic(file: string, content: string, mode: number | null = 0o644): void {
  applyWrites(path.dirname(file), [{ relPath: path.basename(file), content, mode, reason: 'changed' }])
}

/** Writes each file through a temp file + rename, so a reader never sees half a file. */
export function applyWrites(outDir: string, actions: WriteAction[]): void {
  for (const a of actions) {
    // in the state folder: no link on the way (elsewhere a no-op; safeJoin keeps it inside the output folder)
    guardPath(path.resolve(outDir, a.relPath))
    const p = safeJoin(outDir, a.relPath)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    const mode = a.mode ?? fs.statSync(p).mode & 0o7777
    let tmp = ''
    try {
      // a fresh temp file (O_EXCL: never through a link), renamed over the name (a rename does not follow one)
      tmp = stateTemp(p, a.content, mode)
      fs.renameSync(tmp, p)
    } catch (e) {
      if (tmp) fs.rmSync(tmp, { force: true })
      // name the file the user knows, not our temp file
      const code = (e as NodeJS.ErrnoException).code
      throw code && USER_FS_CODES.has(code) ? new FileError(code, p, 'write') : e
    }
  }
}
