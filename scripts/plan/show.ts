// Printing a plan for a person (--dry-run) or as data (--dry-run --json).
import path from 'node:path'
import type { Plan, SkipInfo, Step } from './types.ts'
import { maskingReplacer, maskUrls, maskValue } from './mask.ts'
import { compareText } from '../sort.ts'
import { mib } from '../report/meter.ts'

/** Every step kind has its line: a new kind without one fails to compile here. */
export function unknownStep(st: never): never {
  throw new Error(`unknown plan step ${JSON.stringify(st)}`)
}

function quote(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`
}

/** `showSecrets` (--show-secrets): secret values as they are; else `(masked)` (plan/mask.ts). */
export function planToJson(plan: Plan, docker: string, globalFlags: string[], showSecrets = false): string {
  const withDocker = (argv: string[]) => [docker, ...globalFlags, ...argv]
  const steps = plan.steps.map((st) => {
    switch (st.kind) {
      case 'docker':
        return { ...st, argv: withDocker(st.argv) }
      case 'ensure-builder':
        return {
          ...st,
          inspect: withDocker(st.inspect),
          create: withDocker(st.create),
          remove: withDocker(st.remove),
        }
      case 'ensure-registry':
        return { ...st, up: withDocker(st.up) }
      case 'record-services':
        return { ...st, inspect: withDocker(st.inspect), ps: withDocker(st.ps) }
      case 'drop-key-tags':
        return { ...st, list: withDocker(st.list) }
      case 'save-stat-cache':
        return { ...st, cache: `${Object.keys(st.cache).length} files` }
      default:
        return st
    }
  })
  return JSON.stringify({ ...plan, steps }, showSecrets ? undefined : maskingReplacer, 2) + '\n'
}

const list = (xs: string[], n = 12) => (xs.length > n ? `${xs.slice(0, n).join(', ')} and ${xs.length - n} more` : xs.join(', '))

/**
 * `unchanged: a, b`, then why the others are rebuilt: a reason four or more
 * targets share is one `rebuild N targets: <why>` line with their names (a
 * moved frontend rebuilds them all), then one `rebuild <target>: <why>` line
 * per target for the reasons left; notes last.
 */
export function skipLines(k: SkipInfo): string[] {
  const out: string[] = []
  const reused = k.reused ?? {}
  const same = k.skipped.filter((t) => !reused[t])
  if (same.length) out.push(`unchanged (skipped): ${list(same)}`)
  for (const [t, from] of Object.entries(reused).sort(([a], [b]) => compareText(a, b))) out.push(`reused ${t} from ${from}`)
  const rebuild = Object.entries(k.rebuild).sort(([a], [b]) => compareText(a, b))
  const who = new Map<string, string[]>()
  for (const [t, why] of rebuild) for (const w of why) (who.get(w) ?? who.set(w, []).get(w)!).push(t)
  const common = new Set([...who].filter(([, ts]) => ts.length >= 4).map(([w]) => w))
  for (const w of common) out.push(`rebuild ${who.get(w)!.length} targets: ${w}`, `  ${list(who.get(w)!)}`)
  for (const [t, why] of rebuild) {
    const rest = why.filter((w) => !common.has(w))
    if (rest.length) out.push(`rebuild ${t}: ${rest.join(', ')}`)
  }
  for (const n of k.notes ?? []) out.push(`note: ${n}`)
  return out
}

/** For each image read from outside the project's registry: its digest, where it came from, what a bump rebuilds. */
export function outsideLines(k: SkipInfo): string[] {
  const entries = Object.entries(k.outside ?? {})
  if (!entries.length) return []
  const out = ['read from outside (a new digest rebuilds the targets named):']
  for (const [ref, o] of entries) {
    const how = o.via === 'pinned' ? 'pinned' : o.last ? `last build's (${o.via} not reachable)` : `resolved on ${o.via}`
    out.push(
      `  ${o.frontend ? 'frontend ' : ''}${ref}: ${o.digest ? `${o.digest.slice(0, 19)}…` : 'not resolved'} (${how})`,
      `    ${o.targets.length} target(s): ${list(o.targets, 8)}`,
    )
  }
  return out
}

export function planToText(plan: Plan, docker: string, globalFlags: string[], showSecrets = false): string {
  const shown = (s: string) => (showSecrets ? s : maskUrls(s))
  const cmd = (argv: string[]) => [docker, ...globalFlags, ...argv].map((a) => quote(shown(a))).join(' ')
  const out: string[] = [
    `docker esb ${plan.command}: plan for ${plan.project} (mode ${plan.mode})`,
    '',
    'environment for docker:',
  ]
  for (const [k, v] of Object.entries(plan.env).sort())
    out.push(`  ${k}=${showSecrets ? v : maskValue(k, v)}${plan.envSources?.[k] ? `    (from ${plan.envSources[k]})` : ''}`)
  out.push('')
  if (plan.notes?.length) out.push(...plan.notes.map((n) => `note: ${n}`), '')
  const caches = Object.entries(plan.caches)
  if (caches.length) {
    out.push('caches (per target):')
    for (const [t, c] of caches) out.push(`  ${t}`, ...c.from.map((f) => `    from ${f}`), ...c.to.map((f) => `    to   ${f}`))
    out.push('')
  }
  if (plan.skip) out.push(...skipLines(plan.skip), '')
  if (plan.skip?.outside) out.push(...outsideLines(plan.skip), '')
  plan.steps.forEach((st: Step, i) => {
    const n = `${i + 1}.`.padEnd(4)
    switch (st.kind) {
      case 'save-stat-cache':
        out.push(`${n}${st.why}: ${st.dir}/stat-cache.json (${Object.keys(st.cache).length} files)`)
        break
      case 'seed-cache':
        out.push(`${n}${st.why}: ${st.gens.map((g) => path.basename(g.dir)).join(', ')}`)
        break
      case 'record-services':
        out.push(
          `${n}${st.why}: ${Object.keys(st.records).join(', ')} -> ${st.dir}`,
          `    ${cmd(st.inspect)}`,
          `    ${cmd(st.ps)}`,
        )
        break
      case 'record-inputs':
        out.push(`${n}${st.why}: ${Object.keys(st.records).join(', ')} -> ${st.dir}`)
        break
      case 'write-metadata':
        out.push(`${n}${st.why}: ${st.path} (${list(Object.keys(st.targets))})`)
        break
      case 'pin-bases':
        out.push(`${n}write ${st.path}: ${st.why} (${Object.keys(st.refs).join(', ')} from ${st.metadataFile})`)
        break
      case 'prune-local':
        out.push(
          `${n}${st.why}: ${st.cacheDir}/*/gen-* except current (older than ${st.minAgeMs / 60000} min), ${st.runsDir}/* older than a day`,
        )
        break
      case 'check-registry':
        out.push(`${n}${st.why}`, `    GET ${st.registry.base}/v2/${st.registry.caFile ? ` (CA ${st.registry.caFile})` : ''}`)
        break
      case 'reuse-by-key':
        out.push(`${n}${st.why}:`, ...st.images.map((i) => `    ${st.registry.address}/${i.repo}:${i.keyTag} -> :${i.ref}`))
        break
      case 'publish-keys':
        out.push(`${n}${st.why}: ${st.keys.map((k) => `${k.repo}:k-${k.key.slice(0, 16)}`).join(', ')}`)
        break
      case 'delete-manifests':
        out.push(
          `${n}${st.why}:`,
          ...st.deletions.map((d) => `    DELETE ${st.registry.address}/${d.repo}@${d.digest.slice(0, 19)}  ${d.note}`),
          `    frees up to ${mib(st.bytes)} once the registry's garbage collector runs`,
        )
        break
      case 'drop-key-tags':
        out.push(
          `${n}${st.why}`,
          `    ${cmd(st.list)}`,
          `    then: docker run ... ${st.image} rm -rf <the older key tag folders>`,
          ...(st.beyond
            ? [
                `    now ${st.beyond.count} key(s) beyond keep; the garbage collection frees up to ${mib(st.beyond.bytes)} of images only they name`,
              ]
            : []),
        )
        break
      case 'copy-images':
        out.push(`${n}${st.why}:`, ...st.images.map((i) => `    ${st.from.address}/${i} -> ${st.to}/${i}`))
        break
      case 'cleanup':
        out.push(`${n}rm -rf ${st.paths.join(' ')}`)
        break
      case 'mkdir':
        out.push(`${n}mkdir -p ${st.paths.join(' ')}`)
        break
      case 'write':
        out.push(`${n}write ${st.path} (${st.reason}): ${st.why}`)
        break
      case 'docker':
        out.push(`${n}${st.why}`, `    ${cmd(st.argv)}`)
        break
      case 'ensure-registry':
        out.push(
          `${n}${st.why}`,
          `    if GET ${st.url} != 200: write ${st.override.path} (ports on ${st.bind} only), then ${cmd(st.up)}`,
        )
        break
      case 'ensure-builder':
        out.push(`${n}${st.why}`, `    if missing or options changed (fingerprint ${st.fingerprint}): ${cmd(st.create)}`)
        break
      case 'promote-cache':
        out.push(`${n}${st.why}:`, ...st.gens.map((g) => `    ${g.dir}/current -> ${g.gen.split('/').pop()}`))
        break
      default:
        unknownStep(st)
    }
  })
  return out.join('\n') + '\n'
}
