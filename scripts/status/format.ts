// `docker esb status` as text: a few lines a person reads at a glance. Pure.
import type { Status } from './gather.ts'

const size = (b: number | null) =>
  b === null ? '?' : b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GB` : `${(b / 1024 ** 2).toFixed(1)} MB`
const age = (s: number | null) =>
  s === null
    ? '-'
    : s < 120
      ? `${s}s`
      : s < 7200
        ? `${Math.round(s / 60)}m`
        : s < 172800
          ? `${Math.round(s / 3600)}h`
          : `${Math.round(s / 86400)}d`

export function statusText(st: Status): string {
  const b = st.builder,
    r = st.registry
  const lines = [
    `project   ${st.project}`,
    `builder   ${b.name}: ${b.exists ? (b.status ?? 'unknown') : 'not created yet'}${b.cache.total ? `, cache ${b.cache.total} (${b.cache.reclaimable ?? '?'} reclaimable)` : ''}`,
    `registry  ${r.url}: ${r.running ? `${r.images} images, ${r.caches} caches${r.other ? `, ${r.other} other` : ''}, ${size(r.diskBytes)} on disk` : 'not running'}`,
  ]
  for (const l of st.lastRuns)
    lines.push(
      `last ${l.command.padEnd(5)} ${l.when}: ${l.seconds}s, ${l.cached}/${l.steps} steps cached (${l.percent}%), ${l.rebuilt} rebuilt, ${l.skipped} skipped`,
    )
  if (st.localCaches.length) {
    const w = Math.max(6, ...st.localCaches.map((c) => c.target.length))
    lines.push('', `${'CACHE'.padEnd(w)}  ${'SIZE'.padStart(9)}  ${'AGE'.padStart(4)}  EXPORTS`)
    for (const c of st.localCaches)
      lines.push(
        `${c.target.padEnd(w)}  ${size(c.bytes).padStart(9)}  ${age(c.ageSeconds).padStart(4)}  ${c.exports}${c.current ? '' : ' (none complete)'}`,
      )
  }
  if (st.leftoverRuns.length)
    lines.push(
      '',
      `${st.leftoverRuns.length} run folder(s) left (a run in progress, or one that was killed): ${st.leftoverRuns.join(', ')}`,
    )
  lines.push(
    '',
    `prune would free: ${size(st.prune.localBytes)} of old local cache exports (prune --local)${st.prune.builderReclaimable ? `, up to ${st.prune.builderReclaimable} of builder cache (prune --builder)` : ''}${st.prune.keyTagsBeyondKeep ? `, up to ${size(st.prune.keyTagBytes ?? 0)} of images behind ${st.prune.keyTagsBeyondKeep} key tag(s) beyond [registry] keep (prune --registry)` : ''}`,
  )
  return lines.join('\n') + '\n'
}
