// Which compose services `docker esb up` can start without building: each
// service's build section is keyed the way skip/ keys a bake target, and
// compared with the key recorded when the engine's image for it was built.
// When every buildable service is unchanged and its image is still the one
// recorded, and the stack is as the last up left it (same compose config,
// containers with the labels it recorded), up runs `docker compose up -d
// --no-recreate`: no builder, no caches, no container touched.
import fs from 'node:fs'
import type { Settings } from '../project/config.ts'
import type { BakeTarget } from '../docker/bakefile.ts'
import { gatherTarget } from '../skip/gather.ts'
import { outsideResolver, registryClient, type SkipOptions } from '../skip/check.ts'
import { imageDigests } from '../skip/images.ts'
import { outsideOf, type OutsideReads } from '../skip/outside.ts'
import { computeKeys, decide, type Decision, type Gathered, type InputRecord, type RegistryState } from '../skip/keys.ts'
import { readRecord, recordFile } from '../skip/state.ts'
import type { ServiceRecords, StatCache } from '../plan/records.ts'
import { buildArgs } from '../bake/args.ts'
import type { ComposeConfig, ComposeService } from './types.ts'

/** What up records per service after compose built it: the key and the image it built. */
export type { ServiceRecords }

export interface ServiceSkip extends Decision {
  /** service -> its image name in the engine */
  images: Record<string, string>
  records: ServiceRecords
  /** the skip records' folder and the stat cache after this check (saved by the run) */
  dir: string
  statCache: StatCache
  /** where the stack's state is recorded after compose ran, and the compose config it ran */
  stack: { file: string; project: string; config: string }
  /** per service: the outside images it reads by tag (and its frontend), pinned to the digests keyed (skip/outside.ts) */
  pins?: OutsideReads['pins']
}

/** The image compose builds a service into: `image:`, else `<project>-<service>`. */
export function serviceImage(project: string, name: string, svc: ComposeService): string {
  return typeof svc.image === 'string' && svc.image ? svc.image : `${project}-${name}`
}

/** Buildable services -> their image names. */
export function serviceImages(project: string, config: ComposeConfig): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, svc] of Object.entries(config.services ?? {})) if (svc?.build) out[name] = serviceImage(project, name, svc)
  return out
}

/** The record's name: per compose project, service and image (each mode names its images). */
export const serviceRecordTag = (project: string, name: string, image: string) => `compose/${project}/${name}/${image}`

/** A compose build section in bake's words, so skip/gather.ts can read it. */
export function buildDefinition(svc: ComposeService, image: string, contexts: Record<string, string> | null): BakeTarget {
  const b = (svc.build ?? {}) as Record<string, unknown>
  const {
    context,
    dockerfile,
    dockerfile_inline: inline,
    args,
    additional_contexts: ctx,
    no_cache: noCache,
    cache_from: _f,
    cache_to: _t,
    ...rest
  } = b
  const def: BakeTarget = { ...rest, image, pull_policy: svc.pull_policy ?? null }
  if (typeof context === 'string') def.context = context
  if (typeof dockerfile === 'string') def.dockerfile = dockerfile
  if (typeof inline === 'string') def['dockerfile-inline'] = inline
  if (args && typeof args === 'object') def.args = args as Record<string, string | null>
  const named = contexts ?? (ctx && typeof ctx === 'object' ? (ctx as Record<string, string>) : null)
  if (named) def.contexts = named
  if (noCache === true || rest.pull === true || svc.pull_policy === 'build' || svc.pull_policy === 'always')
    def['no-cache'] = true
  return def
}

/**
 * A service's definition as up builds it: [bake.args] over its own args (the
 * override up writes, compose/override.ts), and each build secret with the
 * file it is read from (`secret`, in bake's words), so that skip/secrets.ts
 * keys its content.
 */
export function asBuilt(s: Settings, def: BakeTarget, svc: ComposeService, top: ComposeConfig['secrets']): BakeTarget {
  const out: BakeTarget = { ...def }
  const { args } = buildArgs(s)
  if (Object.keys(args).length) out.args = { ...(def.args ?? {}), ...args }
  const list = (svc.build as Record<string, unknown> | undefined)?.secrets
  const secret = (Array.isArray(list) ? list : []).flatMap((x: unknown) => {
    const name = typeof x === 'string' ? x : ((x as { source?: unknown })?.source as string | undefined)
    const file = name ? top?.[name]?.file : undefined
    return name && file ? [{ id: name, src: file }] : []
  })
  if (secret.length) out.secret = secret
  return out
}

/** What the last up left: the compose config it ran and its containers' labels. */
export interface StackRecord {
  project: string
  config: string
  containers: Record<string, string[]>
}

export const stackRecordFile = (dir: string, project: string) => recordFile(dir, `compose-stack/${project}`)

function readStack(dir: string, project: string): StackRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(stackRecordFile(dir, project), 'utf8')) as StackRecord
    return r?.project === project && typeof r.config === 'string' && r.containers && typeof r.containers === 'object' ? r : null
  } catch {
    return null
  }
}

/**
 * Why the stack is not as the last up left it, or null. Compose recreates a
 * container when its config hash or image label differs from what compose
 * expects; a container whose labels are the recorded ones, under the same
 * config, is current (missing containers are created by --no-recreate).
 */
export function stackChanged(
  rec: StackRecord | null,
  config: string | undefined,
  containers: Record<string, string[]>,
): string | null {
  if (!rec || !config) return 'the stack was not started by docker esb up before'
  if (rec.config !== config) return 'the compose configuration changed'
  for (const [svc, list] of Object.entries(containers)) {
    if (list.some((c) => !(rec.containers[svc] ?? []).includes(c))) return `its container for ${svc} changed since the last up`
  }
  return null
}

/** Why no service may be skipped this run, or null. */
export function servicesOff(s: Settings, noSkip: boolean, extraArgs: string[], rebuiltBases: string[]): string | null {
  if (noSkip) return 'always built: --no-skip'
  if (!s.bake.skip) return 'always built: [bake] skip = false'
  if (extraArgs.includes('--build') || extraArgs.includes('--force-recreate'))
    return 'always built: --build or --force-recreate after --'
  // the base's new digest is known only after its bake: whatever builds on it is rebuilt
  if (rebuiltBases.length) return `base ${rebuiltBases[0]} is rebuilt`
  return null
}

/**
 * `contexts`: each service's named contexts as up passes them (bases
 * replaced by their pinned images); `ids`: image -> id in the engine.
 */
export async function checkServices(
  s: Settings,
  config: ComposeConfig,
  contexts: Record<string, Record<string, string> | null>,
  cache: StatCache,
  ids: Record<string, string | null>,
  containers: Record<string, string[]>,
  dir: string,
  off: string | null,
  opts: SkipOptions = {},
): Promise<ServiceSkip> {
  const images = serviceImages(s.projectName, config)
  const names = Object.keys(images).sort()
  const gathered: Record<string, Gathered> = {}
  for (const n of names)
    gathered[n] = gatherTarget(
      s.projectDir,
      asBuilt(s, buildDefinition(config.services[n], images[n], contexts[n] ?? null), config.services[n], config.secrets),
      cache,
      dir,
    )
  const records: Record<string, InputRecord | null> = Object.fromEntries(
    names.map((n) => [n, readRecord(dir, `service:${n}`, serviceRecordTag(s.projectName, n, images[n]))]),
  )
  const img = off
    ? null
    : await imageDigests(
        s,
        Object.values(gathered),
        registryClient(s, opts.configDir),
        outsideResolver(s, opts),
        Object.values(records),
        opts.pull,
      )
  const keys = computeKeys(gathered, img?.digests ?? {}, img?.why ?? {})
  // the engine's image plays the registry's part: the id recorded must still be there
  const reg: Record<string, RegistryState> = Object.fromEntries(
    names.map((n) => [n, { digest: ids[images[n]] ?? null, cache: true }]),
  )
  const inEngine = (n: string, replaced: boolean) =>
    replaced ? `the engine holds another image as ${images[n]}` : `its image ${images[n]} is not in the engine`
  const decision: Decision = off
    ? { skip: {}, rebuild: Object.fromEntries(names.map((n) => [n, [off]])) }
    : decide(names, keys, records, reg, {}, inEngine)
  // unchanged images, but containers compose would recreate: compose runs as usual (its builds all cached)
  const stack = stackChanged(readStack(dir, s.projectName), config.hash, containers)
  if (stack)
    for (const n of Object.keys(decision.skip)) {
      delete decision.skip[n]
      decision.rebuild[n] = [stack]
    }
  // compose builds every service when it builds one: all are recorded after it
  const toRecord: ServiceRecords = {}
  for (const n of names) {
    const k = keys[n]
    if (k?.key)
      toRecord[n] = { tag: serviceRecordTag(s.projectName, n, images[n]), key: k.key, inputs: k.inputs, image: images[n] }
  }
  return {
    ...decision,
    images,
    records: toRecord,
    dir,
    statCache: cache,
    stack: { file: stackRecordFile(dir, s.projectName), project: s.projectName, config: config.hash ?? '' },
    // compose builds with exactly the digests keyed, as bake does
    ...(img ? { pins: outsideOf(s, gathered, img, images).pins } : {}),
  }
}
