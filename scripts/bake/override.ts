// The bake file docker esb generates per run: function targets and each
// target's own cache-from/cache-to. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { imageLabels, imageRef } from '../project/names.ts'
import { cacheFlagsFor } from '../cache/flags.ts'
import type { FunctionTarget } from '../functions/targets.ts'
import type { CacheGen } from '../plan/types.ts'
import type { BakeFile, BakeTarget } from '../docker/bakefile.ts'
import { buildArgs } from './args.ts'

/** The tag docker esb gives a bake target: `<build registry>/<slug>-<target>:<tag>`, whatever the project's file hard-codes. */
export function targetTag(s: Settings, target: string): string {
  return imageRef(s.registry.buildAddress, s.slug, target, s.tag)
}

/** Bake reads `${...}` and `%{...}` in a JSON file's strings as templates: a value's own are doubled, so it arrives as written. */
const hclSafe = (args: Record<string, string>) =>
  Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v.replace(/([$%])\{/g, '$1$1{')]))

/**
 * `bases`: the project's base targets (their cache mode is the bases' one;
 * functions' and the rest's differ). `have`: which caches a target can read
 * (cache/flags.ts cacheFlagsFor).
 */
export function bakeOverride(
  s: Settings,
  targets: string[],
  fns: FunctionTarget[],
  runId: string,
  have: { local: (t: string) => boolean; registry: (t: string) => boolean } = { local: () => true, registry: () => true },
  bases: string[] = [],
): { json: BakeFile; gens: CacheGen[] } {
  const target: Record<string, BakeTarget> = {}
  const gens: CacheGen[] = []
  // [bake.args] for every target, over the project's own (bake merges args per name, the last file winning)
  const { args } = buildArgs(s)
  const withArgs = Object.keys(args).length ? { args: hclSafe(args) } : {}
  // the project's targets are tagged for the project's registry (so --tag and <PREFIX>_TAG always apply)
  for (const t of targets) target[t] = { tags: [targetTag(s, t)], ...withArgs }
  for (const f of fns) {
    target[f.target] = {
      context: f.context,
      dockerfile: f.dockerfile,
      contexts: f.contexts,
      tags: [f.tag],
      labels: imageLabels(s.ctx.LABEL_PREFIX, { project: s.projectName, env: s.env, kind: 'function' }),
      output: ['type=image,push=true'],
      ...withArgs,
    }
  }
  const all = Object.keys(target).sort()
  for (const t of all) {
    const kind = fns.some((f) => f.target === t) ? 'functions' : bases.includes(t) ? 'bases' : 'control'
    const c = cacheFlagsFor(s, t, kind, runId, have.local(t), have.registry(t))
    target[t] = { ...target[t], 'cache-from': c.cacheFrom, 'cache-to': c.cacheTo }
    if (c.localGen) gens.push({ target: t, dir: path.dirname(c.localGen), gen: c.localGen })
  }
  const json: BakeFile = { target }
  if (fns.length) json.group = { functions: { targets: fns.map((f) => f.target) } }
  return { json, gens }
}

/**
 * What bake builds per target, as docker esb runs it: the project's
 * definition with docker esb's override (tags, function targets) and no
 * cache flags; plus the tag each target is pushed as. For the skip check.
 */
export function effectiveTargets(
  s: Settings,
  print: BakeFile,
  fns: FunctionTarget[],
): { defs: Record<string, BakeTarget>; tags: Record<string, string> } {
  const { json } = bakeOverride(s, Object.keys(print.target ?? {}), fns, 'skip-check')
  const defs: Record<string, BakeTarget> = {}
  const tags: Record<string, string> = {}
  for (const [t, o] of Object.entries(json.target)) {
    const p = print.target?.[t] ?? {}
    const { 'cache-from': _f, 'cache-to': _t, ...own } = { ...p, ...o }
    // args merge per name, as bake merges them; [bake.args] as bake receives them (unescaped)
    if (p.args || o.args) own.args = { ...(p.args ?? {}), ...(o.args ? buildArgs(s).args : {}) }
    defs[t] = own
    tags[t] = o.tags?.[0] ?? targetTag(s, t)
  }
  return { defs, tags }
}
