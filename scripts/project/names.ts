// Every name docker esb derives from the brand and the settings, in one
// place: builder, registry container/volume/network/alias, compose projects,
// cache refs, labels, image names and the paths of generated files under
// `.<slug>/`. Nothing else spells these.
import path from 'node:path'
import type { BrandContext } from './brand.ts'

/** Where a containerd-mode runtime pulls from: the registry's alias on its network. */
export const RUNTIME_REGISTRY_ALIAS = 'registry:5010'
export const DEFAULT_REGISTRY_PORT = 5010
export const DEFAULT_REGISTRY_IMAGE = 'registry:2'
/** The registry config inside the registry:2 image (used by garbage-collect). */
export const REGISTRY_CONFIG_IN_IMAGE = '/etc/docker/registry/config.yml'

/** Names the brand alone decides (defaults; settings may override some). */
export function brandNames(ctx: BrandContext) {
  const slug = ctx.SLUG
  return {
    builder: `${slug}-buildx`,
    registryContainer: `${slug}-infra-registry`,
    registryComposeProject: `${slug}-infra`,
    registryVolume: `${slug}-registry-data`,
    /** relative to the project */
    cacheDir: `${ctx.HOME_DIR}/buildx-cache`,
    buildkitdConfig: `${ctx.HOME_DIR}/buildkitd.toml`,
    certDir: `./${ctx.HOME_DIR}/certs`,
    projectName: (env: string) => `${slug}-${env}`,
    /** cache repositories live under this prefix in a registry */
    cacheRepoPrefix: `${slug}-cache`,
  }
}

export type BrandNames = ReturnType<typeof brandNames>

/** `127.0.0.1:<port>`: never localhost, which may resolve to ::1. */
export function loopbackRegistry(port: number): string {
  return `127.0.0.1:${port}`
}

/** `<registry>/<slug>-<target>:<tag>` */
export function imageRef(registry: string, slug: string, target: string, tag: string): string {
  return `${registry}/${slug}-${target}:${tag}`
}

/** The tag an image is published under by its input key (skip/bykey.ts): `k-` and the key's first 16 hex. */
export function keyTag(key: string): string {
  return `k-${key.slice(0, 16)}`
}

export function isKeyTag(tag: string): boolean {
  return keyTagOf(tag)?.time === null
}

/**
 * The second tag a key's image gets when published: `k-<16 hex>-t<unix
 * seconds>`. A registry keeps no tag times, and an image's own time is
 * SOURCE_DATE_EPOCH (0 by default): prune orders keys by these. Same image,
 * no new manifest (a tag, so a garbage collector keeps it as any tag).
 */
export function keyTimeTag(key: string, at: Date): string {
  return `${keyTag(key)}-t${Math.floor(at.getTime() / 1000)}`
}

/** A key tag or a key time tag: the key tag it belongs to, and the time (ms; null for the key tag itself). Else null. */
export function keyTagOf(tag: string): { keyTag: string; time: number | null } | null {
  const m = /^(k-[0-9a-f]{16})(?:-t(\d{1,12}))?$/.exec(tag)
  return m ? { keyTag: m[1], time: m[2] === undefined ? null : Number(m[2]) * 1000 } : null
}

/** `<ref prefix>/<cache name>:cache`: one registry cache per target or service. */
export function cacheRef(refPrefix: string, name: string): string {
  return `${refPrefix}/${name}:cache`
}

/** The labels docker esb puts on images it builds itself. */
export function imageLabels(labelPrefix: string, o: { project?: string; env?: string; kind: string }): Record<string, string> {
  const l: Record<string, string> = { [`${labelPrefix}.managed`]: 'true' }
  if (o.project !== undefined) l[`${labelPrefix}.project`] = o.project
  if (o.env !== undefined) l[`${labelPrefix}.env`] = o.env
  l[`${labelPrefix}.kind`] = o.kind
  return l
}

/** Paths under `<project>/.<slug>/`. */
export function statePaths(projectDir: string, homeDir: string) {
  const state = path.join(projectDir, homeDir)
  return {
    state,
    /** one folder per run, never shared (parallel runs that shared generated files corrupted each other) */
    runs: path.join(state, 'runs'),
    run: (runId: string) => path.join(state, 'runs', runId),
    reports: path.join(state, 'reports'),
    report: (command: string) => path.join(state, 'reports', `last-${command}.json`),
    builderState: path.join(state, 'builder.json'),
    /** what docker esb last wrote where (hashes), so it never overwrites a file it did not write */
    written: path.join(state, 'written.json'),
  }
}
