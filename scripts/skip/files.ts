// What a build context holds, as BuildKit would see it: every file the
// `.dockerignore` lets in (docker's own matching rules, @balena/dockerignore),
// as `path -> mode:sha256`, or only those a Dockerfile's sources match
// (skip/sources.ts): Go filepath.Match patterns, a match taking all below it.
// The context is walked once; only the files kept are hashed. A stat cache (size, mtime, ctime, inode)
// spares re-reading unchanged files: an in-place edit of the same size whose mtime was set back (cp -p,
// rsync --inplace, touch -r) still moves the ctime. A file modified (or its inode changed) in the last
// two seconds is always re-read, so an edit within one time tick is never missed.
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
  if (c && c.size === st.size && c.mtimeMs === st.mtimeMs && c.ctimeMs === st.ctimeMs && c.ino === st.ino) return c.hash
  const hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')
  // racy: a time within the last tick may not move on the next edit (ctime included: touch -r sets it to now)
  if (now - Math.max(st.mtimeMs, st.ctimeMs) > RACY_MS)
    cache[file] = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, hash }
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

/** A source pattern as one RegExp per path component; null: the whole context. Throws on a bad pattern. */
export function compileSource(pattern: string): RegExp[] | null {
  if (pattern === '.') return null
  const parts: string[] = []
  let cur = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '/') {
      parts.push(cur)
      cur = ''
    } else if (c === '*') cur += '[^/]*'
    else if (c === '?') cur += '[^/]'
    else if (c === '\\') {
      if (++i >= pattern.length) throw new Error(`bad pattern ${pattern}`)
      cur += esc(pattern[i])
    } else if (c === '[') {
      const end = classEnd(pattern, i)
      let body = pattern.slice(i + 1, end)
      const neg = body.startsWith('^')
      if (neg) body = body.slice(1)
      if (!body || body.includes('/')) throw new Error(`bad pattern ${pattern}`)
      let cls = ''
      for (let k = 0; k < body.length; k++)
        if (body[k] === '-')
          cls += '-' // a range, as in Go
        else cls += esc(body[k] === '\\' ? body[++k] : body[k])
      cur += `[${neg ? '^' : ''}${cls}]`
      i = end
    } else cur += esc(c)
  }
  parts.push(cur)
  return parts.map((p) => new RegExp(`^${p}$`, 's'))
}

const esc = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')

function classEnd(p: string, start: number): number {
  for (let j = start + 1; j < p.length; j++) {
    if (p[j] === '\\') j++
    else if (p[j] === ']' && j > start + 1) return j
  }
  throw new Error(`bad pattern ${p}`)
}

/** A source as BuildKit resolves it: relative to the context root, `..` cannot leave it; `.` is the root. */
export function cleanSource(src: string): string {
  return path.posix.normalize(`/${src}`).replace(/^\/+|\/+$/g, '') || '.'
}

interface Entry {
  rel: string
  abs: string
  st: fs.Stats
  link?: string
}

/** Every entry the ignore rules let in (`ignoreFile` null: everything), folders first, sorted. */
function walkContext(dir: string, ignoreFile: string | null): Entry[] {
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
  const out: Entry[] = []
  const walk = (rel: string) => {
    const abs = rel ? path.join(dir, rel) : dir
    for (const name of fs.readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name
      const p = path.join(abs, name)
      const st = fs.lstatSync(p)
      if (st.isDirectory()) {
        if (prune && ig.ignores(r)) continue
        // folders count too: COPY copies empty ones
        if (!ig.ignores(r)) out.push({ rel: r, abs: p, st })
        walk(r)
      } else if (!ig.ignores(r)) out.push({ rel: r, abs: p, st, link: st.isSymbolicLink() ? fs.readlinkSync(p) : undefined })
    }
  }
  walk('')
  return out
}

/**
 * The entries `sources` take: a match and everything below it. A matched
 * symlink, or one a pattern runs through, takes all of its target too (COPY
 * follows a source link).
 */
export function selectSources(entries: { rel: string; link?: string }[], sources: string[]): Set<string> {
  const pats = sources.map(compileSource)
  if (pats.includes(null)) return new Set(entries.map((e) => e.rel))
  const out = new Set<string>()
  for (let added = true, round = 0; added && round < 40; round++) {
    added = false
    for (const e of entries) {
      const parts = e.rel.split('/')
      for (const c of pats as RegExp[][]) {
        const n = Math.min(parts.length, c.length)
        let ok = true
        for (let i = 0; i < n && ok; i++) ok = c[i].test(parts[i])
        if (!ok) continue
        if (parts.length >= c.length) out.add(e.rel)
        if (e.link === undefined || parts.length > c.length) continue
        const to = cleanSource(e.link.startsWith('/') ? e.link : path.posix.join(path.posix.dirname(e.rel), e.link))
        if (to === '.') return new Set(entries.map((x) => x.rel))
        const p = to.replace(/[*?[\\]/g, '\\$&')
        if (sources.includes(p)) continue
        sources = [...sources, p]
        pats.push(compileSource(p)!)
        added = true
      }
    }
  }
  return out
}

/**
 * `relpath -> <type><mode>:<sha256 or link target>` (folders as `relpath/`)
 * for every entry the ignore rules let in and `sources` take (default: all).
 */
export function contextFiles(dir: string, ignoreFile: string | null, cache: StatCache, sources = ['.']): Record<string, string> {
  const entries = walkContext(dir, ignoreFile)
  const keep = sources.includes('.') ? null : selectSources(entries, sources)
  const out: Record<string, string> = {}
  for (const { rel, abs, st, link } of entries) {
    if (keep && !keep.has(rel)) continue
    const mode = (st.mode & 0o7777).toString(8)
    if (st.isDirectory()) out[`${rel}/`] = `d${mode}`
    else if (link !== undefined) out[rel] = `l${mode}:${link}`
    else if (st.isFile()) out[rel] = `f${mode}:${fileHash(abs, st, cache)}`
    else out[rel] = `o${mode}:`
  }
  return out
}
