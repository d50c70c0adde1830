// The state folder `.<slug>/` (and [cache] dir) is inside the repo, so a repo
// can commit symlinks there. docker esb never writes, renames or removes
// through one: every path component from the project root down is checked
// with lstat (a link is refused in one line, exit 2), new files are made with
// O_EXCL (which does not follow a link) and renamed into place (a rename
// replaces a link, never writes through it), a removal removes a link itself.
// settingsFrom() checks the folder before any command does anything and
// registers it; every writer under it calls guardPath() or the helpers here.
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { UsageError } from '../errors.ts'

/** Guarded folders -> the project they are in (every component below the project is the repo's). */
const guarded = new Map<string, string>()

export function linkError(p: string): UsageError {
  return new UsageError(`${p} is a symbolic link; docker esb does not write through links in its state folder: remove it`)
}

const lstat = (p: string): fs.Stats | null => {
  try {
    return fs.lstatSync(p)
  } catch {
    return null
  }
}

/** Throws when a component of `p` below `base` (p itself included) is a symlink; the first missing one ends the check. */
export function checkBelow(base: string, p: string): void {
  const rel = path.relative(base, p)
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return
  let cur = base
  for (const part of rel.split(path.sep)) {
    cur = path.join(cur, part)
    const st = lstat(cur)
    if (!st) return
    if (st.isSymbolicLink()) throw linkError(cur)
  }
}

/** Makes `dir` (a folder of project `projectDir`) guarded: guardPath checks every path in it. */
export function guardFolder(projectDir: string, dir: string): void {
  guarded.set(path.resolve(dir), path.resolve(projectDir))
}

/** Refuses `p` when it is in a guarded folder and a component of it below the project is a link. */
export function guardPath(p: string): void {
  const abs = path.resolve(p)
  for (const [dir, base] of guarded) if (abs === dir || abs.startsWith(dir + path.sep)) checkBelow(base, abs)
}

/** The `current` pointer of a local cache (and its temp name while it is swapped): a link to a plain gen-* name. */
const ownLink = (p: string) => /^(current|\.current-[\w-]+)$/.test(path.basename(p)) && /^gen-[\w.-]+$/.test(fs.readlinkSync(p))

/** What docker esb writes in the state folder (other entries, e.g. certs/, are the user's and never touched). */
const OWN = /^(runs|reports|inputs|buildx-cache|written\.json|builder\.json|registry-ports\.\d+\.yml|registry-adopted\.json)$/

/**
 * Before a command does anything: the state folder (`own`: only the entries
 * docker esb writes there) or the cache folder (all of it), each guarded
 * from now on, and the paths to them are no links, nor is anything in them
 * two levels down (reports/*, inputs/*, runs/*, buildx-cache/<target>/*),
 * but a cache's own `current -> gen-*` links.
 */
export function checkStateFolder(projectDir: string, dir: string, own = false): void {
  guardFolder(projectDir, dir)
  checkBelow(projectDir, dir)
  const walk = (d: string, depth: number, pick: (n: string) => boolean) => {
    let names: string[]
    try {
      names = fs.readdirSync(d).filter(pick)
    } catch {
      return
    }
    for (const n of names) {
      const p = path.join(d, n)
      const st = lstat(p)
      if (st?.isSymbolicLink() && !ownLink(p)) throw linkError(p)
      if (st?.isDirectory() && depth > 1) walk(p, depth - 1, () => true)
    }
  }
  if (lstat(dir)?.isDirectory()) walk(dir, own ? 3 : 2, own ? (n) => OWN.test(n) : () => true)
}

/** mkdir -p, through no link. */
export function stateMkdir(dir: string): void {
  guardPath(dir)
  fs.mkdirSync(dir, { recursive: true })
}

/** Removes `p` (a link as a link), through no link above it. */
export function stateRemove(p: string): void {
  guardPath(path.dirname(p))
  fs.rmSync(p, { recursive: true, force: true })
}

/** A fresh temp file beside `file`, made with O_EXCL (never an existing file or link); returns its path. */
export function stateTemp(file: string, data: string | Uint8Array, mode = 0o644): string {
  const tmp = `${file}.esb-tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`
  fs.writeFileSync(tmp, data, { mode, flag: 'wx' })
  fs.chmodSync(tmp, mode)
  return tmp
}

/** Writes `file` whole (temp file + rename), through no link: its folders are checked, a link at its name is refused. */
export function stateWrite(file: string, data: string | Uint8Array, mode = 0o644): void {
  guardPath(file)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = stateTemp(file, data, mode)
  try {
    fs.renameSync(tmp, file)
  } catch (e) {
    fs.rmSync(tmp, { force: true })
    throw e
  }
}
