// Compose services that build what a bake target builds (same context,
// Dockerfile and stage) share that target's cache, and their `service:<base>`
// contexts become the base image bake just pushed, so `docker esb up` after
// `docker esb build` builds no step twice. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import { targetTag } from '../bake/override.ts'
import { groupTargets } from '../bake/phases.ts'
import type { ComposeConfig, ComposeService } from './types.ts'
import { compareText } from '../sort.ts'

function buildKey(context: string, dockerfile: string | undefined, stage: unknown): string {
  const df = path.resolve(context, dockerfile || 'Dockerfile')
  return `${context}\0${df}\0${typeof stage === 'string' ? stage : ''}`
}

/** service -> the bake target with the same build (prefers `<service>`, then `<service>-<mode>`). */
export function sharedTargets(s: Settings, config: ComposeConfig, print: BakeFile | undefined): Record<string, string> {
  const byKey = new Map<string, string[]>()
  for (const [t, def] of Object.entries(print?.target ?? {}).sort(([a], [b]) => compareText(a, b))) {
    const ctx = typeof def?.context === 'string' ? def.context : '.'
    // a remote context (git, URL) is never a compose service's folder
    if (/^[a-z]+:\/\//i.test(ctx) || ctx.startsWith('git@')) continue
    const k = buildKey(path.resolve(s.projectDir, ctx), def?.dockerfile as string | undefined, def?.target)
    byKey.set(k, [...(byKey.get(k) ?? []), t])
  }
  const out: Record<string, string> = {}
  for (const [name, svc] of Object.entries(config.services ?? {})) {
    const b = svc?.build
    if (!b || typeof b.context !== 'string') continue
    const hits = byKey.get(buildKey(path.resolve(s.projectDir, b.context), b.dockerfile, b.target))
    if (!hits) continue
    out[name] = hits.find((t) => t === name) ?? hits.find((t) => t === `${name}-${s.mode}`) ?? hits[0]
  }
  return out
}

/**
 * The service's named contexts with each `service:<base>` whose base is a
 * bake target built in this run replaced by `docker-image://<its tag>`
 * (pinned to the pushed digest at run time, as build's phase 2 does).
 */
export function baseContexts(
  svc: ComposeService,
  shared: Record<string, string>,
  baked: Record<string, string>,
): Record<string, string> | null {
  const ctx = svc.build?.additional_contexts
  if (!ctx || typeof ctx !== 'object') return null
  const out: Record<string, string> = {}
  let changed = false
  for (const [k, v] of Object.entries(ctx as Record<string, unknown>)) {
    const m = typeof v === 'string' ? /^service:(.+)$/.exec(v) : null
    const ref = m && shared[m[1]] ? baked[shared[m[1]]] : undefined
    if (ref) {
      out[k] = `docker-image://${ref}`
      changed = true
    } else if (typeof v === 'string') out[k] = v
  }
  return changed ? out : null
}

/** Each base target -> the reference its children use: its tag (pinned after this run's bake) or tag@digest (skipped, unchanged). */
export function bakedRefs(s: Settings, print: BakeFile | undefined, skip: Record<string, string> = {}): Record<string, string> {
  if (!print?.group?.['base-images']) return {}
  return Object.fromEntries(
    groupTargets(print, 'base-images').map((t) => [t, skip[t] ? `${targetTag(s, t)}@${skip[t]}` : targetTag(s, t)]),
  )
}

/** Each buildable service's named contexts as up passes them (null: as the compose file has them). */
export function serviceContexts(
  s: Settings,
  config: ComposeConfig,
  print: BakeFile | undefined,
  baked: Record<string, string>,
): Record<string, Record<string, string> | null> {
  const shared = sharedTargets(s, config, print)
  return Object.fromEntries(
    Object.entries(config.services ?? {})
      .filter(([, v]) => v?.build)
      .map(([n, v]) => [n, baseContexts(v, shared, baked)]),
  )
}
