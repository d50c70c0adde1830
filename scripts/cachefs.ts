// Local cache folders on disk: promote a finished export by swapping the
// `current` symlink (rename is atomic), then drop old generations.
import fs from 'node:fs'
import path from 'node:path'

/** Generations older than the newest KEEP are removed (a parallel reader may still use the previous one). */
const KEEP = 2

export function promoteCache(dir: string, gen: string): void {
  if (!fs.existsSync(path.join(gen, 'index.json'))) return // nothing exported (target skipped or failed)
  const tmp = path.join(dir, `.current-${process.pid}-${Date.now()}`)
  fs.symlinkSync(path.basename(gen), tmp)
  fs.renameSync(tmp, path.join(dir, 'current'))
  const gens = fs.readdirSync(dir).filter((n) => n.startsWith('gen-'))
    .map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t)
  const keep = new Set([path.basename(gen), ...gens.slice(0, KEEP).map((g) => g.n)])
  // Only old generations: a younger one may be an export still being written by a parallel run.
  for (const g of gens) if (!keep.has(g.n) && Date.now() - g.t > 30 * 60_000) fs.rmSync(path.join(dir, g.n), { recursive: true, force: true })
}

/** Removes every gen-* but the current one (and those younger than minAgeMs); returns bytes-free estimate in folders removed. */
export function pruneLocal(cacheDir: string, runsDir: string, minAgeMs: number): { removed: string[] } {
  const removed: string[] = []
  const now = Date.now()
  if (fs.existsSync(cacheDir)) {
    for (const t of fs.readdirSync(cacheDir)) {
      const dir = path.join(cacheDir, t)
      if (!fs.statSync(dir).isDirectory()) continue
      let cur: string | null = null
      try { cur = fs.readlinkSync(path.join(dir, 'current')) } catch { /* none */ }
      for (const g of fs.readdirSync(dir).filter((n) => n.startsWith('gen-'))) {
        if (g === cur || now - fs.statSync(path.join(dir, g)).mtimeMs < minAgeMs) continue
        fs.rmSync(path.join(dir, g), { recursive: true, force: true })
        removed.push(path.join(dir, g))
      }
    }
  }
  // run folders left by runs that were killed
  if (fs.existsSync(runsDir)) {
    for (const r of fs.readdirSync(runsDir)) {
      const p = path.join(runsDir, r)
      if (now - fs.statSync(p).mtimeMs < 24 * 3600_000) continue
      fs.rmSync(p, { recursive: true, force: true })
      removed.push(p)
    }
  }
  return { removed }
}
