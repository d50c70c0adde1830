// What each target reads from outside the project's registry: the impact
// list (for each outside image, the targets a bump would rebuild, those that
// build on them included) and the pins that make the build use exactly the
// digests it was keyed with. Pure.
import type { Settings } from '../project/config.ts'
import type { OutsideImages } from '../plan/records.ts'
import type { Gathered } from './keys.ts'
import { onProjectRegistry, type ImageDigests } from './images.ts'
import { contextName, pinnedDigest } from './resolve.ts'
import { compareText } from '../sort.ts'

export interface OutsideReads {
  /** outside image (or frontend) -> its digest, where it was resolved, and the targets that depend on it */
  outside: OutsideImages
  /** target -> named contexts pinning each outside image it reads by tag, and the pinned frontend (BUILDKIT_SYNTAX) */
  pins: Record<string, { contexts: Record<string, string>; syntax: string | null }>
}

export function outsideOf(
  s: Settings,
  gathered: Record<string, Gathered>,
  img: ImageDigests,
  tags: Record<string, string>,
): OutsideReads {
  const out: OutsideReads = { outside: {}, pins: {} }
  // who builds on whom: through target: contexts, or FROM the tag another target pushes
  const byTag = new Map(Object.entries(tags).map(([t, tag]) => [tag, t]))
  const children = new Map<string, Set<string>>()
  for (const [t, g] of Object.entries(gathered)) {
    const parents = [...Object.values(g.targets), ...g.images.map((i) => byTag.get(i)).filter((x): x is string => !!x)]
    for (const p of parents) (children.get(p) ?? children.set(p, new Set()).get(p)!).add(t)
  }
  const withChildren = (ts: string[]) => {
    const all = new Set(ts)
    const walk = (t: string) => {
      for (const c of children.get(t) ?? []) if (!all.has(c)) walk((all.add(c), c))
    }
    ts.forEach(walk)
    return [...all].sort()
  }
  const readers = new Map<string, string[]>()
  for (const [t, g] of Object.entries(gathered)) {
    const reads = [...g.images.filter((i) => !onProjectRegistry(s, i)), ...(g.syntax ? [g.syntax] : [])]
    for (const r of reads) (readers.get(r) ?? readers.set(r, []).get(r)!).push(t)
    const pin = { contexts: {} as Record<string, string>, syntax: null as string | null }
    // a docker-image:// context is pinned under its own name; another image under the name BuildKit matches,
    // never a stage's (a named context of that name would replace the stage)
    const named = Object.entries(g.imageContexts ?? {})
    const stages = new Set(g.stages ?? [])
    for (const r of g.images) {
      const d = img.digests[r]
      if (!d || onProjectRegistry(s, r) || pinnedDigest(r)) continue
      const names = named.filter(([, v]) => v === r).map(([n]) => n)
      if (!names.length && !stages.has(contextName(r).toLowerCase())) names.push(contextName(r))
      for (const n of names) pin.contexts[n] = `docker-image://${r}@${d}`
    }
    const fd = g.syntax ? img.digests[g.syntax] : null
    if (g.syntax && fd && !pinnedDigest(g.syntax)) pin.syntax = `${g.syntax}@${fd}`
    if (Object.keys(pin.contexts).length || pin.syntax) out.pins[t] = pin
  }
  for (const [r, ts] of [...readers].sort(([a], [b]) => compareText(a, b))) {
    const o = img.outside[r]
    const frontend = Object.values(gathered).some((g) => g.syntax === r)
    out.outside[r] = {
      digest: o?.digest ?? null,
      via: o?.via ?? 'not asked',
      ...(o?.last ? { last: true } : {}),
      ...(frontend ? { frontend: true } : {}),
      targets: withChildren(ts),
    }
  }
  return out
}
