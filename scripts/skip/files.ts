// What a build context holds, as BuildKit would see it: every file the
// `.dockerignore` lets in (docker's own matching rules, @balena/dockerignore),
// as `path -> mode:sha256`. A stat cache (size, mtime, inode) spares
// re-reading unchanged files; a file modified in the last two seconds is
// always re-read, so an edit within one mtime tick is never missed.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import dockerignore, { type Ignore } from '@balena/dockerignore'
import type { StatCache } from '../plan/records.ts'

export type { StatCache, StatEntry } from '../plan/records.ts'

// CommonJS (module.exports = factory) behind an ESM-style .d.ts
const ignore = ((dockerignore as unknown as { default?: unknown }).default ?? dockerignore) as unknown as () => Ignore

const RACY_MS = 2000

export function fileHash(file: string, st: fs.Stats, cache: StatCache, now = Date.now()): string {
  const c = cache[file]
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs && c.ino === st.ino) return c.hash
  const hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
  if (now - st.mtimeMs > RACY_MS) cache[file] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, hash }
  else delete cache[file]
  return hash
}

/** The ignore file buildx uses for a context: `<Dockerfile>.dockerignore` next to the Dockerfile, else `<context>/.dockerignore`. */
export function ignoreFileFor(context: string, dockerfile: string | null): string | null {
  if (dockerfile) {
    const own = `${dockerfile}.dockerignore`
    if (fs.existsSync(own)) return own
  }
  const common = path.join(context, '.dockerignore')
  return fs.existsSync(common) ? common : null
}

/**
 * `relpath -> <type><mode>:<sha256 or link target>` for every entry the
 * ignore rules let in. `ignoreFile` null: everything (named contexts).
 */
export function contextFiles(dir: string, ignoreFile: string | null, cache: StatCache): Record<string, string> {
  const patterns = ignoreFile
    ? fs
        .readFileSync(ignoreFile, 'utf8')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : []
  const ig = ignore().add(patterns)
  // with no exception (!) rule, an ignored folder can be skipped whole
  const prune = !patterns.some((p) => p.startsWith('!'))
  const out: Record<string, string> = {}
  const walk = (rel: string) => {
    const abs = rel ? path.join(dir, rel) : dir
    for (const name of fs.readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name
      const p = path.join(abs, name)
      const st = fs.lstatSync(p)
      if (st.isDirectory()) {
        if (prune && ig.ignores(r)) continue
        // folders count too: COPY copies empty ones
        if (!ig.ignores(r)) out[`${r}/`] = `d${(st.mode & 0o7777).toString(8)}`
        walk(r)
        continue
      }
      if (ig.ignores(r)) continue
      const mode = (st.mode & 0o7777).toString(8)
      if (st.isSymbolicLink()) out[r] = `l${mode}:${fs.readlinkSync(p)}`
      else if (st.isFile()) out[r] = `f${mode}:${fileHash(p, st, cache)}`
      else out[r] = `o${mode}:`
    }
  }
  walk('')
  return out
}
