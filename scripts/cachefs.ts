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
