// [registry]: the project's own registry on this host (port, bind, image,
// container), where the runtime pulls from, and build_address, build_ca,
// build_insecure: where builds push when that is not the local registry. Pure.
import path from 'node:path'
import { UsageError } from '../../errors.ts'
import type { Lookup } from '../lookup.ts'
import {
  DEFAULT_REGISTRY_IMAGE,
  DEFAULT_REGISTRY_PORT,
  loopbackRegistry,
  RUNTIME_REGISTRY_ALIAS,
  type BrandNames,
} from '../names.ts'
import type { Mode, Section } from '../schema.ts'

export type RegistrySettings = BuildRegistrySettings & {
  port: number
  bind: string
  image: string
  containerName: string
  /** the project's own registry on this host (127.0.0.1:<port>): import, export, images, the runtime */
  localAddress: string
  /** CONTAINER_REGISTRY: where the runtime pulls functions */
  runtimeAddress: string
  runtimeInsecure: boolean
  composeProject: string
  /** the registry's data volume */
  volume: string
  /** key tags (skip/bykey.ts) prune --registry keeps per image: the newest ones */
  keep: number
}

function parsePort(where: string, v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || Number(v) > 65535)
    throw new UsageError(`${where} is ${JSON.stringify(v)}; expected an integer port 1-65535`)
  return Number(v)
}

/** `portWhere`: where the port came from (Settings.sources). */
export function resolveRegistry(
  l: Lookup,
  r: Section<'registry'>,
  o: { prefix: string; mode: Mode; nm: BrandNames },
): { registry: RegistrySettings; portWhere: string } {
  const { pick, tf, projectDir } = l
  const p = pick(undefined, '', ['PORT_REGISTRY'], r.port, `${tf}: key 'registry.port'`, String(DEFAULT_REGISTRY_PORT))
  const port = parsePort(p.where, p.value)
  const bind = pick(undefined, '', ['REGISTRY_BIND'], r.bind, `${tf}: key 'registry.bind'`, '127.0.0.1').value
  const localAddress = loopbackRegistry(port)
  const ba = pick(
    undefined,
    '',
    [`${o.prefix}_BUILD_REGISTRY`],
    r.build_address,
    `${tf}: key 'registry.build_address'`,
    localAddress,
  )
  const { buildAddress, build } = buildRegistrySettings(ba, localAddress, r, l.keyAt('registry'), projectDir)
  const runtimeDefault = o.mode === 'docker' ? localAddress : RUNTIME_REGISTRY_ALIAS
  const rt = pick(
    undefined,
    '',
    ['CONTAINER_REGISTRY'],
    r.runtime_address,
    `${tf}: key 'registry.runtime_address'`,
    runtimeDefault,
  )
  const runtimeAddress = rt.value
  if (/^localhost(:|$)/.test(runtimeAddress))
    throw new UsageError(`${rt.where}: ${runtimeAddress} uses localhost, which may resolve to ::1; use 127.0.0.1:${port}`)
  return {
    registry: {
      port,
      bind,
      image: r.image ?? DEFAULT_REGISTRY_IMAGE,
      containerName: pick(undefined, '', ['REGISTRY_CONTAINER_NAME'], r.container_name, '', o.nm.registryContainer).value,
      localAddress,
      buildAddress,
      build,
      runtimeAddress,
      runtimeInsecure: o.mode === 'containerd',
      composeProject: o.nm.registryComposeProject,
      volume: o.nm.registryVolume,
      keep: r.keep ?? 3,
    },
    portWhere: p.where,
  }
}

export interface BuildRegistrySettings {
  /** where builds push and bases come from: the local registry (127.0.0.1:<port>), or [registry] build_address */
  buildAddress: string
  /** set with build_address: builds push there; the images are copied into the local registry after each build */
  build: {
    ca: string | null
    insecure: boolean
    /** where the address and the CA were given, for messages (a file and line, or a variable) */
    where: string
    caWhere: string | null
  } | null
}

/** `ba`: the picked build_address (or the local address); `at(key)`: file:line of a [registry] key, for messages. */
export function buildRegistrySettings(
  ba: { value: string; where: string },
  local: string,
  r: { build_ca?: string; build_insecure?: boolean },
  at: (key: string) => string,
  projectDir: string,
): BuildRegistrySettings {
  const buildAddress = address(ba, local)
  if (buildAddress === local && (r.build_ca !== undefined || r.build_insecure !== undefined))
    throw new UsageError(
      `${at(r.build_ca !== undefined ? 'build_ca' : 'build_insecure')}: [registry] build_ca and build_insecure apply to a [registry] build_address other than the local registry ${local}; set one, or remove them`,
    )
  if (r.build_ca !== undefined && r.build_insecure)
    throw new UsageError(
      `${at('build_insecure')}: [registry] build_insecure (plain HTTP) and build_ca (TLS with a private CA) exclude each other; keep one`,
    )
  if (buildAddress === local) return { buildAddress, build: null }
  const ca = r.build_ca !== undefined ? path.resolve(projectDir, r.build_ca) : null
  return {
    buildAddress,
    build: { ca, insecure: r.build_insecure ?? false, where: ba.where, caWhere: ca ? at('build_ca') : null },
  }
}

/** host[:port] only: the images keep their project names under it. */
function address(p: { value: string; where: string }, local: string): string {
  const v = p.value.trim()
  if (v === local) return local
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/.test(v) && !/^\[[0-9a-fA-F:]+\](:\d{1,5})?$/.test(v))
    throw new UsageError(
      `${p.where} is ${JSON.stringify(v)}; give the registry as host[:port], e.g. registry.example.com:5000 (no scheme, no path)`,
    )
  if (/^localhost(:|$)/.test(v))
    throw new UsageError(
      `${p.where}: ${v} uses localhost, which a builder resolves in its own network; give the address the builders reach, e.g. 127.0.0.1:5443 or a host name`,
    )
  return v
}
