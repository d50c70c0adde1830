// The compose override docker esb generates per run: each buildable
// service's caches, shared with the bake target it builds the same as. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { cacheFlagsFor } from '../cache/flags.ts'
import { groupTargets } from '../bake/phases.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import { buildArgs } from '../bake/args.ts'
import type { CacheGen } from '../plan/types.ts'
import type { ComposeConfig } from './types.ts'
import { baseContexts, sharedTargets } from './share.ts'
import { cacheToProblem, outputAttrs } from '../bake/guard.ts'
import { UsageError } from '../errors.ts'
import { compareText } from '../sort.ts'

export type ServiceOverride = {
  build: {
    cache_from: string[]
    cache_to: string[]
    additional_contexts?: Record<string, string>
    /** [bake.args], over the service's own (compose merges args per name, the override winning) */
    args?: Record<string, string>
  }
}

/**
 * Services with a build section get caches through an override file: a
 * service that builds what a bake target builds uses that target's cache
 * (read only when this run just baked it), and its `service:<base>` contexts
 * the base image just pushed; any other service has its own cache.
 * `baked`: bake target -> tag, for the bases baked in this run. `pins`: per
 * service, its outside images by tag and its frontend pinned to the digests
 * keyed (skip/outside.ts), as bake gets them (bake/pins.ts).
 */
export function composeOverride(
  s: Settings,
  config: ComposeConfig,
  runId: string,
  haveLocal: (t: string) => boolean = () => true,
  print?: BakeFile,
  baked: Record<string, string> = {},
  current = new Set<string>(),
  pins: Record<string, { contexts: Record<string, string>; syntax: string | null }> = {},
): { yaml: { services: Record<string, ServiceOverride> }; gens: CacheGen[]; shared: Record<string, string> } {
  const services: Record<string, ServiceOverride> = {}
  const gens: CacheGen[] = []
  const shared = sharedTargets(s, config, print)
  const bases = print ? groupTargets(print, 'base-images') : []
  // compose reads `$` in the override as its own interpolation: `$$` gives the value as written
  const args = Object.fromEntries(Object.entries(buildArgs(s).args).map(([k, v]) => [k, v.replace(/\$/g, '$$$$')]))
  for (const [name, svc] of Object.entries(config.services ?? {}).sort(([a], [b]) => compareText(a, b))) {
    if (!svc?.build) continue
    // per mode: the same service builds differently in each mode (build args), so they must not share a cache
    const cname = shared[name] ?? `svc-${s.mode}-${name}`
    // a compose service is a control-plane image unless it builds one of the bake file's bases
    const c = cacheFlagsFor(s, cname, bases.includes(cname) ? 'bases' : 'control', runId, haveLocal(cname))
    // a base baked in this run, or a target unchanged since its last build: its cache is current
    const fresh = baked[cname] !== undefined || current.has(cname)
    // compose appends the override's cache_to to the service's own: those must stay as the guard allows
    checkServiceCaches(s, name, [...cacheList(svc.build.cache_to), ...c.cacheTo])
    services[name] = { build: { cache_from: c.cacheFrom, cache_to: fresh ? [] : c.cacheTo } }
    const pin = pins[name]
    const ctx = { ...(pin?.contexts ?? {}), ...(baseContexts(svc, shared, baked) ?? {}) }
    if (Object.keys(ctx).length) services[name].build.additional_contexts = ctx
    const all = { ...args, ...(pin?.syntax ? { BUILDKIT_SYNTAX: pin.syntax } : {}) }
    if (Object.keys(all).length) services[name].build.args = all
    if (c.localGen && !fresh) gens.push({ target: cname, dir: path.dirname(c.localGen), gen: c.localGen })
  }
  return { yaml: { services }, gens, shared }
}

const cacheList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v])

/**
 * Push guard for a service's cache exports: compose merges the override's
 * `cache_to` into the service's own by appending, so an entry the compose
 * file gives (another registry, a folder outside the project) would still be
 * written. Refused with one line instead.
 */
export function checkServiceCaches(s: Settings, service: string, entries: unknown[]): void {
  for (const e of entries) {
    const o = outputAttrs(e, 'cache')
    const why = cacheToProblem(s, o)
    if (why)
      throw new UsageError(
        `compose service ${service}: cache_to ${typeof e === 'string' ? e : JSON.stringify(e)} ${why}; remove it from the compose file (docker esb gives each service its own caches)`,
      )
  }
}
