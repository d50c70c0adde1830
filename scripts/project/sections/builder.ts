// [builder]: the buildx builder's name, image, options and buildkitd.toml,
// and which buildx driver runs the builds ([builder] driver): the project's own
// docker-container builder (the default), a long-running BuildKit reached
// over TCP or a socket (remote), or BuildKit pods (kubernetes). Never the
// docker driver: it cannot export caches or build on pushed bases. Pure.
import path from 'node:path'
import { UsageError } from '../../errors.ts'
import type { Lookup } from '../lookup.ts'
import type { BrandNames } from '../names.ts'
import type { Section } from '../schema.ts'

export interface BuilderSettings {
  name: string
  /** which buildx driver (builderDriver below) */
  driver: BuilderDriver
  image: string | null
  driverOpts: string[]
  buildkitdConfig: string
  /** true when docker esb writes buildkitd.toml itself (no BUILDKITD_CONFIG / [builder] buildkitd_config) */
  generateConfig: boolean
  /** registry mirrors for docker.io, e.g. ["127.0.0.1:5010"] */
  mirrors: string[]
  /** BuildKit GC: space kept for the cache */
  gcKeep: string
}

/** `nameWhere`: where the builder's name came from (Settings.sources). */
export function resolveBuilder(
  l: Lookup,
  b: Section<'builder'>,
  nm: BrandNames,
): { builder: BuilderSettings; nameWhere: string } {
  const { pick, tf, projectDir } = l
  const bn = pick(undefined, '', ['BUILDX_BUILDER'], b.name, `${tf}: key 'builder.name'`, nm.builder)
  const bkCfg = pick(
    undefined,
    '',
    ['BUILDKITD_CONFIG'],
    b.buildkitd_config,
    `${tf}: key 'builder.buildkitd_config'`,
    nm.buildkitdConfig,
  )
  return {
    builder: {
      name: bn.value,
      driver: builderDriver(b, l.keyAt('builder'), projectDir),
      image: b.image ?? null,
      driverOpts: b.driver_opts ?? [],
      buildkitdConfig: path.resolve(projectDir, bkCfg.value),
      generateConfig: bkCfg.where === 'default',
      mirrors: b.mirrors ?? [],
      gcKeep: b.gc_keep ?? '20GB',
    },
    nameWhere: bn.where,
  }
}

export type BuilderDriver =
  { kind: 'docker-container' } | { kind: 'remote'; endpoint: string; opts: string[] } | { kind: 'kubernetes'; opts: string[] }

export const DRIVERS = ['docker-container', 'remote', 'kubernetes']
const REMOTE_KEYS = ['endpoint', 'cacert', 'cert', 'key', 'servername'] as const
/** esb.toml key -> kubernetes driver option */
const KUBE_KEYS: Record<string, string> = {
  namespace: 'namespace',
  replicas: 'replicas',
  loadbalance: 'loadbalance',
  requests_cpu: 'requests.cpu',
  requests_memory: 'requests.memory',
  limits_cpu: 'limits.cpu',
  limits_memory: 'limits.memory',
  nodeselector: 'nodeselector',
}

/** `b`: the [builder] table; `where(key)`: the file:line naming a key, for messages; TLS files resolve from the project. */
export function builderDriver(b: Record<string, unknown>, where: (key: string) => string, projectDir: string): BuilderDriver {
  const kind = (b.driver as string | undefined) ?? 'docker-container'
  if (!DRIVERS.includes(kind))
    throw new UsageError(
      `${where('driver')}: key 'builder.driver' is ${JSON.stringify(kind)}; use ${DRIVERS.map((d) => `"${d}"`).join(', ')} (never "docker": it cannot export caches)`,
    )
  const given = (keys: readonly string[]) => keys.filter((k) => b[k] !== undefined)
  const foreign =
    kind === 'remote'
      ? given(Object.keys(KUBE_KEYS))
      : kind === 'kubernetes'
        ? given(REMOTE_KEYS)
        : given([...REMOTE_KEYS, ...Object.keys(KUBE_KEYS)])
  if (foreign.length)
    throw new UsageError(
      `${where(foreign[0])}: key 'builder.${foreign[0]}' does not apply to driver "${kind}"; remove it or set [builder] driver`,
    )
  if (kind === 'remote') {
    // these shape a builder docker esb creates; a remote BuildKit has its own image and config
    const own = given(['image', 'driver_opts', 'mirrors', 'gc_keep', 'buildkitd_config'])
    if (own.length)
      throw new UsageError(
        `${where(own[0])}: key 'builder.${own[0]}' does not apply to driver "remote" (the server has its own image and config); remove it`,
      )
    const endpoint = b.endpoint as string | undefined
    if (!endpoint || !/^(tcp|unix|ssh|docker-container|kube-pod):\/\/\S+$/.test(endpoint))
      throw new UsageError(
        `${where(endpoint ? 'endpoint' : 'driver')}: the remote driver needs key 'builder.endpoint' = "tcp://host:port" (or unix://, ssh://)${endpoint ? `, not ${JSON.stringify(endpoint)}` : ''}`,
      )
    const opts: string[] = []
    for (const k of ['cacert', 'cert', 'key'] as const)
      if (b[k] !== undefined) opts.push(`${k}=${path.resolve(projectDir, String(b[k]))}`)
    if (b.servername !== undefined) opts.push(`servername=${b.servername}`)
    if ((b.cert === undefined) !== (b.key === undefined))
      throw new UsageError(
        `${where(b.cert === undefined ? 'key' : 'cert')}: keys 'builder.cert' and 'builder.key' go together (the client certificate and its key)`,
      )
    return { kind, endpoint, opts }
  }
  if (kind === 'kubernetes') {
    const opts: string[] = []
    for (const [k, opt] of Object.entries(KUBE_KEYS)) if (b[k] !== undefined) opts.push(`${opt}=${b[k]}`)
    if (b.loadbalance !== undefined && !['sticky', 'random'].includes(String(b.loadbalance)))
      throw new UsageError(
        `${where('loadbalance')}: key 'builder.loadbalance' is ${JSON.stringify(b.loadbalance)}; use "sticky" (a context always goes to one pod, whose cache stays warm) or "random"`,
      )
    return { kind, opts }
  }
  return { kind: 'docker-container' }
}
