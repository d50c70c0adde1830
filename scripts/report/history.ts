// Hits of a build shown with BuildKit's own live display (--progress tty):
// the display is the user's terminal, so the steps are read back afterwards
// from BuildKit's build records (`docker buildx history logs`), one per target
// that bake's metadata file names.
import fs from 'node:fs'
import type { Runner } from '../docker/runner.ts'
import { ProgressCollector, hitReport, type HitCount, type Vertex } from './hitrate.ts'

/** target -> the ref of its build record, from bake's --metadata-file. */
export function buildRefs(metadataFile: string): Record<string, string> {
  let md: Record<string, { 'buildx.build.ref'?: string }> = {}
  try {
    md = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as typeof md
  } catch {
    return {}
  }
  const out: Record<string, string> = {}
  for (const [t, v] of Object.entries(md)) {
    const ref = v?.['buildx.build.ref']
    if (typeof ref === 'string') out[t] = ref.split('/').pop()!
  }
  return out
}

/** name -> ref of the builder's records started since `sinceMs` (compose names none in a metadata file). */
export async function recentRefs(runner: Runner, builder: string, sinceMs: number): Promise<Record<string, string>> {
  const r = await runner.run(['buildx', 'history', 'ls', '--builder', builder, '--format', 'json'], {
    capture: true,
    allowFail: true,
  })
  const out: Record<string, string> = {}
  for (const line of r.stdout.split('\n')) {
    let rec: { name?: string; ref?: string; created_at?: string }
    try {
      rec = JSON.parse(line) as typeof rec
    } catch {
      continue
    }
    // a record without a readable time is not known to be this run's
    if (!rec.ref || !rec.name || !(Date.parse(rec.created_at ?? '') >= sinceMs - 1000)) continue
    out[rec.name] ??= rec.ref.split('/').pop()! // newest first
  }
  return out
}

/** Each target's steps, from its build record's log (rawjson), a few at a time. */
export async function historyVertices(
  runner: Runner,
  builder: string,
  refs: Record<string, string>,
): Promise<Record<string, Vertex[]>> {
  const out: Record<string, Vertex[]> = {}
  const todo = Object.entries(refs)
  const worker = async () => {
    for (let next = todo.shift(); next; next = todo.shift()) {
      const [target, ref] = next
      const r = await runner.run(['buildx', 'history', 'logs', '--builder', builder, '--progress', 'rawjson', ref], {
        capture: true,
        allowFail: true,
      })
      const col = new ProgressCollector()
      // the log is progress output: on stderr, as a build's is
      for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) col.line(line)
      out[target] = [...col.vertices.values()]
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()])
  return out
}

/** Per-target counts (each record holds one target's steps, named without it). */
export function targetCounts(byTarget: Record<string, Vertex[]>): Record<string, HitCount> {
  const out: Record<string, HitCount> = {}
  for (const [t, vs] of Object.entries(byTarget)) Object.assign(out, hitReport('', vs, 0, false, t).targets)
  return out
}
