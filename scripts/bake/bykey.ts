// The key-tag steps of a build (skip/bykey.ts): before the bakes, the tags
// of targets the build registry holds under their key point at those
// images; after each phase, what it built is tagged with its key. Pure.
import type { PlanContext } from '../plan/context.ts'
import type { Step } from '../plan/types.ts'
import type { SkipPlan } from '../skip/check.ts'
import { onProjectRegistry } from '../skip/images.ts'
import { keyLabels } from '../skip/bykey.ts'
import type { BakeFile } from '../docker/bakefile.ts'

/**
 * Each target this phase builds carries its key and branch as labels (bake
 * merges them with the project's); `default`: no branch known. Not the bases
 * (`bases`): a label is part of the image config, and a child built on a base
 * whose config changed misses its cache, so a base whose key moved without
 * its content (a new frontend digest) would cost every child its cache.
 */
export function keyLabelsFor(json: BakeFile, built: string[], skip: SkipPlan | undefined, branch: string, bases: string[]): void {
  for (const t of built) {
    const key = skip?.publish?.[t]
    if (key && json.target[t] && !bases.includes(t))
      json.target[t].labels = { ...(json.target[t].labels ?? {}), ...keyLabels(key, branch === 'default' ? undefined : branch) }
  }
}

/** [repository, reference] of the tag a target is recorded under, on the build registry; null: none. */
const pushedAt = (ctx: PlanContext, skip: SkipPlan | undefined, t: string) =>
  skip?.records[t] ? onProjectRegistry(ctx.settings, skip.records[t].tag) : null

/** Targets the build registry holds under their key: their tags point at those images before anything builds on them. */
export function reuseStep(ctx: PlanContext, skip?: SkipPlan): Step[] {
  const hits = Object.entries(skip?.byKey ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
  const images = hits.flatMap(([t, h]) => {
    const at = pushedAt(ctx, skip, t)
    return at ? [{ target: t, repo: at[0], ref: at[1], digest: h.digest, keyTag: h.keyTag }] : []
  })
  if (!images.length || !skip) return []
  return [
    {
      kind: 'reuse-by-key',
      why: 'use the images the build registry holds for these inputs (built by any machine), instead of building them',
      registry: ctx.registry,
      images,
      dir: skip.dir,
      records: Object.fromEntries(images.map((i) => [i.target, skip.records[i.target]])),
    },
  ]
}

/** After a phase: its images tagged with their shared keys (skip/bykey.ts), for any machine that computes the same key. */
export function publishStep(ctx: PlanContext, skip: SkipPlan | undefined, built: string[], metadataFile: string): Step[] {
  const keys = built.flatMap((t) => {
    const key = skip?.publish?.[t]
    const at = key ? pushedAt(ctx, skip, t) : null
    return key && at ? [{ target: t, repo: at[0], key }] : []
  })
  if (!keys.length) return []
  const s = ctx.settings
  return [
    {
      kind: 'publish-keys',
      why: `tag the images built with their input keys in ${s.registry.build ? `the build registry ${s.registry.buildAddress}` : 'the local registry'}`,
      registry: ctx.registry,
      metadataFile,
      keys,
    },
  ]
}
