// Which groups bake builds, in which phases, and how phase 2 builds on the
// bases phase 1 pushed. Pure.
import type { Settings } from '../project/config.ts'
import type { FunctionTarget } from '../functions/targets.ts'
import type { BakeFile, BakeMetadata } from '../docker/bakefile.ts'

/** The targets bake will build, from `docker buildx bake --print` JSON. */
export function targetsFromPrint(print: BakeFile): string[] {
  return Object.keys(print.target ?? {}).sort()
}

export function defaultGroups(s: Settings, hasFunctions: boolean): string[] {
  if (s.bake.groups.length && !(s.bake.groups.length === 1 && s.bake.groups[0] === 'default')) return s.bake.groups
  return ['base-images', `control-images-${s.mode}`, ...(hasFunctions ? ['functions'] : [])]
}

/**
 * Bake runs in two phases by default: the bases first, then control and
 * function images on top of the bases just pushed (see phase2Contexts).
 * Always, a first build too: a child built on a `target:` base keys its
 * steps on the base's build steps, on a pushed one on its image, so a first
 * build in one bake left every child's cache unusable by the next build
 * (measured in the e2e tests: --no-skip after it 44% cached).
 * Measured in the e2e tests: with `target:` contexts in one bake and a fresh
 * builder, children share their base's steps across solves, and one child
 * misses its own cache (a function at 0%) although its cache is complete.
 */
export function bakePhases(s: Settings, hasFunctions: boolean): string[][] {
  const groups = defaultGroups(s, hasFunctions)
  if (groups[0] !== 'base-images' || groups.length === 1) return [groups]
  return [['base-images'], groups.slice(1)]
}

/** The targets of a group in `bake --print` output (groups may nest). */
export function groupTargets(print: BakeFile, group: string, seen = new Set<string>()): string[] {
  const g = print.group?.[group]
  if (!g) return print.target?.[group] ? [group] : []
  const out: string[] = []
  for (const t of g.targets ?? []) {
    if (seen.has(t)) continue
    seen.add(t)
    out.push(...(print.group?.[t] ? groupTargets(print, t, seen) : [t]))
  }
  return [...new Set(out)]
}

/**
 * Phase 2 builds on what phase 1 pushed: every `target:<base>` context of a
 * phase-1 base becomes `docker-image://<its tag>` (pinned to the pushed
 * digest by pinBases, so never a stale copy). Children then share no
 * vertices across solves, and each finds its own cache.
 */
export function phase2Contexts(
  print: BakeFile,
  fns: FunctionTarget[],
  bases: string[],
  tagOf: (target: string) => string,
): { contexts: Record<string, Record<string, string>>; refs: Record<string, string> } {
  const refs: Record<string, string> = {}
  for (const b of bases) if (print.target?.[b]) refs[b] = tagOf(b)
  const contexts: Record<string, Record<string, string>> = {}
  const swap = (ctx: Record<string, string>) => {
    let changed = false
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(ctx)) {
      const base = typeof v === 'string' && v.startsWith('target:') ? v.slice(7) : null
      if (base && refs[base]) {
        out[k] = `docker-image://${refs[base]}`
        changed = true
      } else out[k] = v
    }
    return changed ? out : null
  }
  for (const [t, def] of Object.entries(print.target ?? {})) {
    if (bases.includes(t)) continue
    const c = swap(def?.contexts ?? {})
    if (c) contexts[t] = c
  }
  for (const f of fns) {
    const c = swap(f.contexts)
    if (c) contexts[f.target] = c
  }
  return { contexts, refs }
}

/**
 * Pins every `docker-image://<ref>` value (bake `contexts`, compose
 * `additional_contexts`) to `<ref>@<digest>` from a bake metadata file. Pure.
 */
export function pinBases<T>(json: T, refs: Record<string, string>, metadata: BakeMetadata): T {
  const pin = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(pin)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, pin(x)]))
    if (typeof v !== 'string') return v
    const base = Object.keys(refs).find((b) => v === `docker-image://${refs[b]}`)
    if (!base) return v
    const digest = metadata?.[base]?.['containerimage.digest']
    if (!digest) throw new Error(`the base build did not report a digest for ${base}; its image was not pushed`)
    return `docker-image://${refs[base]}@${digest}`
  }
  return pin(json) as T
}

/** The targets a phase's groups name (`functions` is docker esb's own group). */
export function phaseTargets(print: BakeFile, groups: string[], fns: FunctionTarget[]): string[] {
  return [
    ...new Set(
      groups.flatMap((g) => (g === 'functions' && !print.group?.functions ? fns.map((f) => f.target) : groupTargets(print, g))),
    ),
  ]
}
