// Local cache folders on disk: promote a finished export by swapping the
// `current` symlink (rename is atomic), and drop old generations. The folder
// is the repo's: nothing here goes through a link (project/statefs.ts), and
// only names docker esb makes (gen-*, run ids) are removed, by lstat.
import fs from 'node:fs'
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { guardPath, stateMkdir } from '../project/statefs.ts'

/** A generation younger than this may be an export a parallel run is still writing. */
export const GEN_MIN_AGE_MS = 30 * 60_000

/** The names docker esb gives a cache export and a run folder (plan/types.ts runId). */
export const GEN_NAME = /^gen-[\w.-]+$/
export const RUN_NAME = /^\d{14}-\d+-[a-z0-9]+$/

/** Removes gen-* folders of one target that are not in `keep` and older than minAgeMs (a link: as a link); returns what it removed. */
function removeOldGens(dir: string, keep: Set<string>, minAgeMs: number): string[] {
  const removed: string[] = []
  let names: string[]
  try {
    guardPath(dir)
    names = fs.readdirSync(dir).filter((n) => GEN_NAME.test(n))
  } catch {
    return removed
  }
  for (const g of names) {
    const p = path.join(dir, g)
    try {
      if (keep.has(g) || Date.now() - fs.lstatSync(p).mtimeMs < minAgeMs) continue
      fs.rmSync(p, { recursive: true, force: true })
      removed.push(p)
    } catch {
      // removed meanwhile by a parallel run
    }
  }
  return removed
}

/** The export `current` names: only a plain gen-* name in the same folder (a link elsewhere is not docker esb's). */
function currentGen(dir: string): string | null {
  try {
    const name = fs.readlinkSync(path.join(dir, 'current'))
    return GEN_NAME.test(name) ? name : null
  } catch {
    return null
  }
}

/**
 * Seeds a new export folder with hard links to the current export's blobs:
 * BuildKit's local exporter skips a blob already present, so an export
 * writes only what changed and the folder does not grow by a full copy per
 * run. Blobs are content-addressed and never rewritten in place, so the
 * shared files stay valid for every generation. Returns the blobs linked.
 */
export function seedGen(dir: string, gen: string): number {
  const cur = currentGen(dir)
  if (!cur) return 0
  const from = path.join(dir, cur, 'blobs', 'sha256')
  const to = path.join(gen, 'blobs', 'sha256')
  let names: string[]
  try {
    names = fs.readdirSync(from)
  } catch {
    return 0
  }
  stateMkdir(to)
  let n = 0
  for (const b of names) {
    try {
      fs.linkSync(path.join(from, b), path.join(to, b))
      n++
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EEXIST') continue
      // no hard links here (another file system, a restrictive mount): BuildKit writes them all
      return n
    }
  }
  return n
}

/** Digests reachable from an export's index.json (manifests, layers, configs, cache configs). */
function reachable(gen: string): Set<string> | null {
  const seen = new Set<string>()
  const blob = (d: string) => path.join(gen, 'blobs', 'sha256', d.slice(7))
  const walk = (text: string) => {
    for (const m of text.matchAll(/sha256:[a-f0-9]{64}/g)) {
      if (seen.has(m[0])) continue
      seen.add(m[0])
      let st: fs.Stats
      try {
        st = fs.statSync(blob(m[0]))
      } catch {
        continue
      }
      // JSON blobs (manifests, indexes, cache configs) reference others; layers do not
      if (st.size > 8 << 20) continue
      const fd = fs.openSync(blob(m[0]), 'r')
      const head = Buffer.alloc(1)
      fs.readSync(fd, head, 0, 1, 0)
      fs.closeSync(fd)
      if (head[0] === 0x7b) walk(fs.readFileSync(blob(m[0]), 'utf8'))
    }
  }
  try {
    walk(fs.readFileSync(path.join(gen, 'index.json'), 'utf8'))
  } catch {
    return null
  }
  return seen.size ? seen : null
}

/** Removes blobs a finished export does not reference (seeded links of layers that changed). */
export function dropUnreferenced(gen: string): number {
  const keep = reachable(gen)
  if (!keep) return 0
  const dir = path.join(gen, 'blobs', 'sha256')
  let names: string[]
  try {
    guardPath(dir)
    names = fs.readdirSync(dir)
  } catch {
    return 0 // no blobs folder: nothing to drop
  }
  let n = 0
  for (const b of names)
    if (!keep.has(`sha256:${b}`)) {
      fs.rmSync(path.join(dir, b), { force: true })
      n++
    }
  return n
}

/** Why an export cannot be made current (null: it can): no index.json, an unreadable one, or a manifest it lists that is not there. */
export function exportProblem(gen: string): string | null {
  let index: { manifests?: { digest?: unknown }[] }
  try {
    index = JSON.parse(fs.readFileSync(path.join(gen, 'index.json'), 'utf8')) as typeof index
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no export (no index.json)' : 'an unreadable index.json'
  }
  for (const m of Array.isArray(index?.manifests) ? index.manifests : []) {
    const d = typeof m?.digest === 'string' ? m.digest : ''
    if (!/^sha256:[a-f0-9]{64}$/.test(d) || !fs.existsSync(path.join(gen, 'blobs', 'sha256', d.slice(7))))
      return `index.json names ${d || 'a manifest'} but the export has no such blob`
  }
  return null
}

/**
 * Makes `gen` current; keeps the previous one too (a parallel reader may
 * still use it). Never throws: the bake that wrote the export succeeded, so
 * a missing or odd export keeps the previous current and says so (the line
 * returned; null when promoted).
 */
export function promoteCache(dir: string, gen: string): string | null {
  const name = path.basename(gen)
  let previous: string | null
  try {
    guardPath(gen)
    const problem = exportProblem(gen)
    if (problem) {
      fs.rmSync(gen, { recursive: true, force: true })
      const cur = currentGen(dir)
      return `local cache ${path.basename(dir)}: ${name} not made current, ${problem}; ${cur ? `${cur} stays current` : 'no local cache yet'}`
    }
    dropUnreferenced(gen)
    previous = currentGen(dir)
    const tmp = path.join(dir, `.current-${process.pid}-${Date.now()}`)
    fs.symlinkSync(name, tmp)
    fs.renameSync(tmp, path.join(dir, 'current'))
  } catch (e) {
    const cur = currentGen(dir)
    return `local cache ${path.basename(dir)}: ${name} not made current (${(e as Error).message}); ${cur ? `${cur} stays current` : 'no local cache yet'}`
  }
  removeOldGens(dir, new Set([name, ...(previous ? [previous] : [])]), GEN_MIN_AGE_MS)
  return null
}

/** Entries of a folder docker esb owns, by lstat; none when it (or a folder above it in the project) is a link. */
function ownEntries(dir: string): { name: string; p: string; st: fs.Stats }[] {
  try {
    guardPath(dir)
    if (!fs.lstatSync(dir).isDirectory()) return []
    return fs.readdirSync(dir).map((name) => ({ name, p: path.join(dir, name), st: fs.lstatSync(path.join(dir, name)) }))
  } catch {
    return []
  }
}

/**
 * Removes every gen-* but the current one (when older than minAgeMs), and run
 * folders older than a day: only names docker esb makes, found by lstat (a
 * link is removed as a link, never followed); a folder reached through a
 * link is not looked into.
 */
export function pruneLocal(cacheDir: string, runsDir: string, minAgeMs: number): { removed: string[] } {
  const removed: string[] = []
  for (const t of ownEntries(cacheDir)) {
    if (!t.st.isDirectory()) continue
    const cur = currentGen(t.p)
    removed.push(...removeOldGens(t.p, new Set(cur ? [cur] : []), minAgeMs))
  }
  // run folders left by runs that were killed
  for (const r of ownEntries(runsDir)) {
    if (!RUN_NAME.test(r.name) || Date.now() - r.st.mtimeMs < 24 * 3600_000) continue
    fs.rmSync(r.p, { recursive: true, force: true })
    removed.push(r.p)
  }
  return { removed }
}

/** Cache names with a complete local export (`<dir>/<name>/current/index.json`). */
export function localCaches(s: Settings): string[] {
  if (!s.cache.local || !fs.existsSync(s.cache.dir)) return []
  return fs.readdirSync(s.cache.dir).filter((n) => fs.existsSync(path.join(s.cache.dir, n, 'current', 'index.json')))
}
