// Local cache folders on disk: promote a finished export by swapping the
// `current` symlink (rename is atomic), and drop old generations.
import fs from 'node:fs'
import path from 'node:path'
import type { Settings } from '../project/config.ts'

/** A generation younger than this may be an export a parallel run is still writing. */
export const GEN_MIN_AGE_MS = 30 * 60_000

/** Removes gen-* folders of one target that are not in `keep` and older than minAgeMs; returns what it removed. */
function removeOldGens(dir: string, keep: Set<string>, minAgeMs: number): string[] {
  const removed: string[] = []
  for (const g of fs.readdirSync(dir).filter((n) => n.startsWith('gen-'))) {
    const p = path.join(dir, g)
    if (keep.has(g) || Date.now() - fs.statSync(p).mtimeMs < minAgeMs) continue
    fs.rmSync(p, { recursive: true, force: true })
    removed.push(p)
  }
  return removed
}

function currentGen(dir: string): string | null {
  try { return fs.readlinkSync(path.join(dir, 'current')) } catch { return null }
}

/** Makes `gen` current; keeps the previous one too (a parallel reader may still use it). */
export function promoteCache(dir: string, gen: string): void {
  if (!fs.existsSync(path.join(gen, 'index.json'))) return // nothing exported (target skipped or failed)
  const previous = currentGen(dir)
  const tmp = path.join(dir, `.current-${process.pid}-${Date.now()}`)
  fs.symlinkSync(path.basename(gen), tmp)
  fs.renameSync(tmp, path.join(dir, 'current'))
  removeOldGens(dir, new Set([path.basename(gen), ...(previous ? [previous] : [])]), GEN_MIN_AGE_MS)
}

/** Removes every gen-* but the current one (when older than minAgeMs), and run folders older than a day. */
export function pruneLocal(cacheDir: string, runsDir: string, minAgeMs: number): { removed: string[] } {
  const removed: string[] = []
  if (fs.existsSync(cacheDir)) {
    for (const t of fs.readdirSync(cacheDir)) {
      const dir = path.join(cacheDir, t)
      if (!fs.statSync(dir).isDirectory()) continue
      const cur = currentGen(dir)
      removed.push(...removeOldGens(dir, new Set(cur ? [cur] : []), minAgeMs))
    }
  }
  // run folders left by runs that were killed
  if (fs.existsSync(runsDir)) {
    for (const r of fs.readdirSync(runsDir)) {
      const p = path.join(runsDir, r)
      if (Date.now() - fs.statSync(p).mtimeMs < 24 * 3600_000) continue
      fs.rmSync(p, { recursive: true, force: true })
      removed.push(p)
    }
  }
  return { removed }
}

/** Cache names with a complete local export (`<dir>/<name>/current/index.json`). */
export function localCaches(s: Settings): string[] {
  if (!s.cache.local || !fs.existsSync(s.cache.dir)) return []
  return fs.readdirSync(s.cache.dir).filter((n) => fs.existsSync(path.join(s.cache.dir, n, 'current', 'index.json')))
}
