// What `docker esb status` reports: the builder and its cache, the registry
// and what it holds, the local cache folders, the last build and up, run
// folders left behind, and what prune would free. Read-only: a stopped
// builder or registry is reported, never started.
import fs from 'node:fs'
import path from 'node:path'
import type { Runner } from '../docker/runner.ts'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import { GEN_MIN_AGE_MS } from '../cache/local.ts'
import { localCachePrefix, localRegistry } from '../oci/local.ts'
import { imageKindOf } from '../oci/ref.ts'
import { registryUrl } from '../registry/plan.ts'
import { localKeyPrune } from '../prune/shared-run.ts'
import { registryDiskBytes } from '../registry/disk.ts'
import { parseInspect } from '../builder/inspect.ts'
import { isRegistry } from '../registry/probe.ts'

export interface LocalCache {
  target: string
  current: string | null
  bytes: number
  exports: number
  ageSeconds: number | null
  prunableBytes: number
}
export interface LastRun {
  command: string
  when: string
  seconds: number
  cached: number
  steps: number
  percent: number
  rebuilt: number
  skipped: number
}
export interface Status {
  project: string
  builder: { name: string; exists: boolean; status: string | null; cache: { total: string | null; reclaimable: string | null } }
  registry: { url: string; running: boolean; images: number; caches: number; other: number; diskBytes: number | null }
  localCaches: LocalCache[]
  lastRuns: LastRun[]
  leftoverRuns: string[]
  /**
   * keyTagsBeyondKeep: key tags (k-<hex>) beyond [registry] keep per image, which prune --registry untags (their
   * images freed unless a current tag names them); keyTagBytes: the blobs only those name
   */
  prune: { localBytes: number; builderReclaimable: string | null; keyTagsBeyondKeep?: number; keyTagBytes?: number }
}

/** Bytes of the files below `dir`, each inode once (exports share blobs through hard links); `seen` spans calls. */
export function treeBytes(dir: string, seen = new Set<string>()): number {
  let total = 0
  const walk = (p: string) => {
    let st: fs.Stats
    try {
      st = fs.lstatSync(p)
    } catch {
      return
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) walk(path.join(p, e))
      return
    }
    const id = `${st.dev}:${st.ino}`
    if (seen.has(id)) return
    seen.add(id)
    total += st.size
  }
  walk(dir)
  return total
}

/** One target's cache folder: its current export, and what prune --local would free (old exports' own blobs). */
export function localCache(dir: string, now = Date.now()): LocalCache {
  let current: string | null = null
  try {
    current = fs.readlinkSync(path.join(dir, 'current'))
  } catch {
    /* none yet */
  }
  const gens = fs.readdirSync(dir).filter((g) => g.startsWith('gen-'))
  // blobs the current export shares with old ones (hard links) stay when those go
  const seen = new Set<string>()
  if (current) treeBytes(path.join(dir, current), seen)
  let prunable = 0
  for (const g of gens) {
    if (g === current) continue
    const p = path.join(dir, g)
    const b = treeBytes(p, seen)
    if (now - fs.statSync(p).mtimeMs >= GEN_MIN_AGE_MS) prunable += b
  }
  const bytes = treeBytes(dir)
  const age = current ? Math.round((now - fs.statSync(path.join(dir, current)).mtimeMs) / 1000) : null
  return { target: path.basename(dir), current, bytes, exports: gens.length, ageSeconds: age, prunableBytes: prunable }
}

function lastRun(file: string, command: string): LastRun | null {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      wallMs: number
      total: { cached: number; total: number; percent: number }
      rebuilt?: Record<string, unknown>
      skipped?: string[]
    }
    return {
      command,
      when: fs.statSync(file).mtime.toISOString(),
      seconds: Math.round(r.wallMs / 100) / 10,
      cached: r.total.cached,
      steps: r.total.total,
      percent: r.total.percent,
      rebuilt: Object.keys(r.rebuilt ?? {}).length,
      skipped: r.skipped?.length ?? 0,
    }
  } catch {
    return null
  }
}

export async function gatherStatus(s: Settings, runner: Runner): Promise<Status> {
  const ask = (argv: string[]) => runner.run(argv, { capture: true, allowFail: true })
  const name = s.builder.name
  const [inspect, reg] = await Promise.all([ask(['buildx', 'inspect', name]), isRegistry(registryUrl(s))])
  const status = inspect.code === 0 ? parseInspect(inspect.stdout).status : null
  const [du, disk, repos] = await Promise.all([
    // asked only of a running builder: du would start a stopped one
    status === 'running' ? ask(['buildx', 'du', '--builder', name]) : Promise.resolve(null),
    reg.registry ? registryDiskBytes(runner, s) : Promise.resolve(null),
    reg.registry
      ? localRegistry(s, runner.signal)
          .then((r) => r.catalog())
          .catch(() => [] as string[])
      : Promise.resolve([] as string[]),
  ])
  const size = (label: string) => (du?.code === 0 ? (new RegExp(`^${label}:\\s*(\\S+)`, 'm').exec(du.stdout)?.[1] ?? null) : null)
  const cachePrefix = localCachePrefix(s)
  const kinds = repos.map((r) => imageKindOf(s.slug, r, cachePrefix))
  const beyond = repos.some((_, i) => kinds[i] !== 'cache' && kinds[i] !== 'other') ? await localKeyPrune(s, runner.signal) : null
  const paths = statePaths(s.projectDir, s.ctx.HOME_DIR)
  // a build running at the same time may remove an old export while it is read: that folder is left out
  const one = (d: string) => {
    try {
      return fs.statSync(d).isDirectory() ? [localCache(d)] : []
    } catch {
      return []
    }
  }
  const caches = fs.existsSync(s.cache.dir) ? fs.readdirSync(s.cache.dir).flatMap((t) => one(path.join(s.cache.dir, t))) : []
  const runs = fs.existsSync(paths.runs) ? fs.readdirSync(paths.runs).map((r) => path.join(paths.runs, r)) : []
  return {
    project: s.projectDir,
    builder: { name, exists: inspect.code === 0, status, cache: { total: size('Total'), reclaimable: size('Reclaimable') } },
    registry: {
      url: registryUrl(s),
      running: reg.registry,
      images: kinds.filter((k) => k !== 'cache' && k !== 'other').length,
      caches: kinds.filter((k) => k === 'cache').length,
      other: kinds.filter((k) => k === 'other').length,
      diskBytes: disk,
    },
    localCaches: caches,
    lastRuns: (['build', 'up'] as const).map((c) => lastRun(paths.report(c), c)).filter((r): r is LastRun => r !== null),
    leftoverRuns: runs,
    prune: {
      localBytes: caches.reduce((a, c) => a + c.prunableBytes, 0),
      builderReclaimable: size('Reclaimable'),
      ...(beyond?.count ? { keyTagsBeyondKeep: beyond.count, keyTagBytes: beyond.bytes } : {}),
    },
  }
}
