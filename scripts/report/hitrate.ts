// Cache hit rate, counted from BuildKit's own records: the progress stream
// of the build (`--progress=rawjson` vertices with "cached": true, or the
// plain format's "#N CACHED" lines), never estimated.
//
// A step is a Dockerfile instruction BuildKit executes: a vertex named
// `[<target> i/n] INSTR` with INSTR other than FROM (FROM resolves an image
// and is never reported as cached). Internal vertices (load context,
// export, cache import/export) are not steps. A step shared by several
// targets (a base's steps inside a child's build) runs once and is counted
// once, under the target BuildKit names it with.
import { compareText } from '../sort.ts'

export interface Vertex {
  name: string
  cached: boolean
  completed: boolean
  error?: string
  startedMs?: number
  completedMs?: number
}

/** One vertex record of `--progress=rawjson` (JSON from BuildKit). */
interface RawVertex {
  digest: string
  name?: string
  cached?: boolean
  started?: string
  completed?: string
  error?: string
}

export class ProgressCollector {
  readonly vertices = new Map<string, Vertex>()
  private plainIds = new Map<string, string>()
  private stream = 0

  /** A new progress stream (the next bake of the same command): plain `#N` numbers start again at 1. */
  newStream(): void {
    this.stream++
    this.plainIds.clear()
  }

  /** The vertex key of plain `#n` in the current stream. */
  plainKey(n: string): string {
    return `plain-${this.stream}-${n}`
  }

  /** Feeds one line of rawjson progress (or plain progress); returns vertices that just completed. */
  line(line: string): Vertex[] {
    const t = line.trim()
    if (t.startsWith('{')) return this.json(t)
    return this.plain(t)
  }

  private json(t: string): Vertex[] {
    let d: { vertexes?: RawVertex[] }
    try {
      d = JSON.parse(t) as { vertexes?: RawVertex[] }
    } catch {
      return []
    }
    const done: Vertex[] = []
    for (const v of d.vertexes ?? []) {
      const cur: Vertex = this.vertices.get(v.digest) ?? { name: v.name ?? '', cached: false, completed: false }
      const was = cur.completed
      // keep the first name: later messages may label a shared vertex with another target
      if (v.name && !cur.name) cur.name = v.name
      if (v.cached) cur.cached = true
      if (v.started) cur.startedMs ??= Date.parse(v.started)
      if (v.completed) {
        cur.completed = true
        cur.completedMs = Date.parse(v.completed)
      }
      if (v.error) cur.error = v.error
      this.vertices.set(v.digest, cur)
      if (cur.completed && !was) done.push(cur)
    }
    return done
  }

  private plain(t: string): Vertex[] {
    const m = /^#(\d+) (CACHED|DONE\b.*|ERROR\b.*|CANCELED)$/.exec(t)
    // the first line of a vertex's block is its name: `[target 1/2] RUN x`, or `exporting cache to client directory`
    const head = m ? null : /^#(\d+) (.+)$/.exec(t)
    if (head) {
      if (!this.plainIds.has(head[1])) {
        const key = this.plainKey(head[1])
        this.vertices.set(key, { name: head[2], cached: false, completed: false })
        this.plainIds.set(head[1], key)
      }
      return []
    }
    if (!m || m[2] === 'CANCELED') return []
    const key = this.plainIds.get(m[1])
    const v = key ? this.vertices.get(key) : undefined
    if (!v || v.completed) return []
    if (m[2] === 'CACHED') v.cached = true
    if (m[2].startsWith('ERROR')) v.error = m[2]
    v.completed = true
    return [v]
  }
}

const CACHE_IO = /importing cache manifest from|exporting cache to/

/**
 * The vertex that made a failed build fail, for the one-line error. A step's
 * own error first; BuildKit then cancels the rest ("context canceled"), so a
 * cancelled export is never the cause when a cache export failed for real
 * (e.g. the cache folder's disk is full).
 */
export function culprit(vertices: Iterable<Vertex>): Vertex | undefined {
  const failed = [...vertices].filter((v) => v.error)
  const cancelled = (v: Vertex) => /context canceled/.test(v.error ?? '')
  return (
    failed.find((v) => !CACHE_IO.test(v.name) && !cancelled(v)) ??
    failed.find((v) => /exporting cache to/.test(v.name) && !cancelled(v)) ??
    failed.find((v) => !CACHE_IO.test(v.name))
  )
}

export interface StepInfo {
  target: string
  instr: string
}

/**
 * `[os-base 2/3] RUN x` -> { target: 'os-base', instr: 'RUN x' }; null for non-steps.
 * Bake names a step `[<target> <stage> n/m]` when it builds several targets
 * and `[<stage> n/m]` when it builds one, so a lone word is a target only
 * when the caller does not know the single target (see hitReport).
 */
export function stepOf(name: string): StepInfo | null {
  const m = /^\[(?:(\S+) )?(?:\S+ )?\d+\/\d+\] (.*)$/s.exec(name)
  if (!m) return null
  const instr = m[2].trim()
  if (/^FROM\b/i.test(instr)) return null
  return { target: m[1] ?? 'default', instr }
}

export interface HitCount {
  cached: number
  total: number
  percent: number
}
export interface HitReport {
  command: string
  wallMs: number
  total: HitCount
  targets: Record<string, HitCount>
  failed: boolean
  /** cache exports that failed without failing the build (ignore-error) */
  cacheExportErrors: { target: string; cache: string; error: string }[]
  /** targets not sent to bake: their inputs, image and cache were unchanged */
  skipped?: string[]
  /** target -> what changed, for each target sent to bake */
  rebuilt?: Record<string, string[]>
  /** of `skipped`: target -> the key tag its image was taken from, and where it was built (skip/bykey.ts) */
  reused?: Record<string, string>
  /** images read from outside the project's registry: digest, where resolved, the targets each decides */
  outside?: Record<string, { digest: string | null; via: string; last?: boolean; frontend?: boolean; targets: string[] }>
}

const pct = (c: number, t: number) => (t === 0 ? 100 : Math.round((c / t) * 1000) / 10)

/** `single`: the one target bake was asked to build: every step is its own (bake then names steps by stage only). */
export function hitReport(
  command: string,
  vertexIter: Iterable<Vertex>,
  wallMs: number,
  failed = false,
  single?: string,
): HitReport {
  const vertices = [...vertexIter]
  const targets: Record<string, HitCount> = {}
  let cached = 0,
    total = 0
  for (const v of vertices) {
    const s = stepOf(v.name)
    if (!s || !v.completed || v.error) continue
    const t = (targets[single ?? s.target] ??= { cached: 0, total: 0, percent: 0 })
    t.total++
    total++
    if (v.cached) {
      t.cached++
      cached++
    }
  }
  for (const t of Object.values(targets)) t.percent = pct(t.cached, t.total)
  const sorted = Object.fromEntries(Object.entries(targets).sort(([a], [b]) => compareText(a, b)))
  const cacheExportErrors = [...vertices].flatMap((v) => {
    const m = /^\[([^\]\s]+)\] exporting cache to (registry|client directory)/.exec(v.name)
    return m && v.error ? [{ target: m[1], cache: m[2] === 'registry' ? 'registry' : 'local', error: v.error }] : []
  })
  return { command, wallMs, total: { cached, total, percent: pct(cached, total) }, targets: sorted, failed, cacheExportErrors }
}

/** The report with per-target counts gathered elsewhere (build records in tty mode) added in. */
export function withCounts(r: HitReport, counts: Record<string, HitCount>): HitReport {
  if (!Object.keys(counts).length) return r
  const targets = { ...r.targets }
  for (const [t, h] of Object.entries(counts)) {
    const cur = targets[t] ?? { cached: 0, total: 0, percent: 0 }
    targets[t] = {
      cached: cur.cached + h.cached,
      total: cur.total + h.total,
      percent: pct(cur.cached + h.cached, cur.total + h.total),
    }
  }
  const cached = Object.values(targets).reduce((a, h) => a + h.cached, 0)
  const total = Object.values(targets).reduce((a, h) => a + h.total, 0)
  const sorted = Object.fromEntries(Object.entries(targets).sort(([a], [b]) => compareText(a, b)))
  return { ...r, targets: sorted, total: { cached, total, percent: pct(cached, total) } }
}

export function reportText(r: HitReport): string {
  const w = Math.max(6, ...Object.keys(r.targets).map((t) => t.length))
  const line = (name: string, h: HitCount) =>
    `  ${name.padEnd(w)}  ${String(h.cached).padStart(4)}/${String(h.total).padEnd(4)} ${h.percent.toFixed(1).padStart(5)}%`
  const warn = r.cacheExportErrors.length
    ? [
        `warning: cache export failed (the build did not): ${r.cacheExportErrors.map((e) => `${e.target} (${e.cache}: ${e.error.split(': ').pop()})`).join(', ')}`,
      ]
    : []
  return (
    [
      `cache hits (${r.command}, ${(r.wallMs / 1000).toFixed(1)}s):`,
      ...Object.entries(r.targets).map(([t, h]) => line(t, h)),
      line('total', r.total),
      ...warn,
    ].join('\n') + '\n'
  )
}
