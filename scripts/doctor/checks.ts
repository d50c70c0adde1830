// What `docker esb doctor` concludes from what it found (doctor/gather.ts):
// one line per check, and for each failure the fix. Pure.
import { BUILDX_MIN, versionLess } from '../docker/version.ts'

export const COMPOSE_MIN = '2.20.0'
/** Free space under the cache folder below which builds start failing on exports. */
export const MIN_FREE_BYTES = 2 * 1024 ** 3

export interface Facts {
  engine: { version: string | null; error: string | null }
  buildx: string | null
  compose: string | null
  composeBakeEnv: string | undefined
  builder: {
    name: string
    exists: boolean
    driver: string | null
    status: string | null
    buildkit: string | null
    networkHost: boolean
    /** GET /v2/ of the build registry from inside the builder's container: true, false, or null (not asked) */
    reachesRegistry: boolean | null
    /** the builder's options and buildkitd.toml as docker esb would create it now, against what it was made with */
    drift: 'match' | 'changed' | 'unknown' | 'adopted'
  }
  registry: {
    url: string
    bind: string
    answers: boolean
    distribution: boolean
    container: string
    containerProject: string | null
    expectedProject: string
    running: boolean
    publishedOn: string | null
    diskBytes: number | null
  }
  proxy: { http: string | undefined; noProxy: string | undefined }
  localhostFirst: string | null
  cache: { dir: string; freeBytes: number | null }
  /** [registry] build_address, asked with the user's credentials: error null when it answers; absent when not set */
  buildRegistry?: { address: string; error: string | null } | null
  buildkitdConfig: string
  /** the driver [builder] driver asks for */
  builderDriver: string
}

export type Status = 'ok' | 'fail' | 'info'
export interface Check {
  check: string
  status: Status
  detail: string
  fix?: string
}

const gb = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GB`
const mb = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MB`

export function checks(f: Facts): Check[] {
  const out: Check[] = []
  const add = (check: string, ok: boolean, detail: string, fix: string) =>
    out.push(ok ? { check, status: 'ok', detail } : { check, status: 'fail', detail, fix })
  const info = (check: string, detail: string) => out.push({ check, status: 'info', detail })

  add(
    'engine',
    f.engine.version !== null,
    f.engine.version ? `docker engine ${f.engine.version}` : `not reachable: ${f.engine.error ?? 'no answer'}`,
    'start Docker (or check DOCKER_HOST / --context) until `docker version` shows a Server',
  )
  add(
    'buildx',
    !!f.buildx && !versionLess(f.buildx, BUILDX_MIN),
    f.buildx ? `buildx ${f.buildx}` : 'docker buildx is not installed',
    `install buildx >= ${BUILDX_MIN.replace(/\.0$/, '')} (docker-buildx-plugin, or into ~/.docker/cli-plugins)`,
  )
  add(
    'compose',
    !!f.compose && !versionLess(f.compose, COMPOSE_MIN),
    f.compose ? `compose ${f.compose}` : 'docker compose is not installed',
    `install compose >= ${COMPOSE_MIN.replace(/\.0$/, '')} (docker-compose-plugin, or into ~/.docker/cli-plugins)`,
  )
  if (f.compose) {
    const viaBake =
      f.composeBakeEnv === 'true'
        ? !versionLess(f.compose, '2.31.0')
        : f.composeBakeEnv === 'false'
          ? false
          : !versionLess(f.compose, '2.37.0')
    info(
      'compose build',
      viaBake
        ? 'builds through bake'
        : `builds without bake (compose ${f.compose}${f.composeBakeEnv ? `, COMPOSE_BAKE=${f.composeBakeEnv}` : ''}); caches still apply`,
    )
  }

  const b = f.builder
  if (!b.exists) info('builder', `${b.name} does not exist yet; docker esb build creates it`)
  else {
    const container = b.driver === 'docker-container'
    add(
      'builder',
      b.driver === f.builderDriver,
      `${b.name}: driver ${b.driver ?? '?'}, ${b.status ?? 'unknown'}${b.buildkit ? `, BuildKit ${b.buildkit}` : ''}`,
      `remove it ('docker buildx rm ${b.name}'): esb.toml asks for the ${f.builderDriver} driver, and docker esb build creates it`,
    )
    if (container)
      add(
        'builder network',
        b.networkHost,
        b.networkHost
          ? 'network=host: reaches the registry on 127.0.0.1'
          : 'not network=host: the builder cannot reach 127.0.0.1:<port>',
        'run docker esb build: it recreates the builder with network=host, keeping its cache (--keep-state)',
      )
    if (b.reachesRegistry !== null)
      add(
        'registry from the builder',
        b.reachesRegistry,
        b.reachesRegistry ? `${f.registry.url} answers inside ${b.name}` : `${f.registry.url} does not answer inside ${b.name}`,
        'the builder must share the network of the registry: check that the engine publishes the registry port on 127.0.0.1 of the host the builder runs on',
      )
    add(
      'builder config',
      b.drift !== 'changed',
      b.drift === 'changed'
        ? `${b.name} no longer matches its options or ${f.buildkitdConfig}`
        : b.drift === 'adopted'
          ? `${b.name} was made by another tool and is used as it is`
          : b.drift === 'unknown'
            ? `${b.name} was not made by docker esb`
            : `${b.name} matches ${f.buildkitdConfig}`,
      'run docker esb build: it recreates the builder with --keep-state (its cache is kept)',
    )
  }

  const r = f.registry
  if (!r.answers) {
    if (r.running) add('registry', false, `${r.container} runs but ${r.url} does not answer`, `see 'docker logs ${r.container}'`)
    else info('registry', `${r.url} is not running; docker esb build and up start ${r.container}`)
  } else {
    add(
      'registry',
      r.distribution,
      r.distribution
        ? `${r.url}: distribution API${r.publishedOn ? `, published on ${r.publishedOn}` : ''}${r.diskBytes !== null ? `, ${mb(r.diskBytes)} on disk` : ''}`
        : `${r.url} answers but is not a registry (no Docker-Distribution-Api-Version header)`,
      'pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml',
    )
    // a registry container of the repo's own compose project is used as it is (registry/ensure.ts)
    if (r.containerProject !== null)
      info(
        'registry container',
        `${r.container} (compose project ${r.containerProject || 'none'}${r.containerProject !== r.expectedProject ? `; not ${r.expectedProject}: used as it is` : ''})`,
      )
    if (r.publishedOn && !/^127\.|^\[?::1\]?/.test(r.publishedOn) && r.bind.startsWith('127.'))
      add(
        'registry bind',
        false,
        `published on ${r.publishedOn}, reachable from the network`,
        'recreate it with docker esb down --registry, then docker esb build (it binds 127.0.0.1)',
      )
  }

  const br = f.buildRegistry
  if (br)
    add(
      'build registry',
      br.error === null,
      br.error ?? `${br.address} answers and takes your credentials`,
      `check [registry] build_address and build_ca in esb.toml, and 'docker login ${br.address}'`,
    )

  const hosts = (f.proxy.noProxy ?? '').split(',').map((h) => h.trim())
  if (f.proxy.http) {
    const covers = (h: string) =>
      hosts.includes('*') || hosts.includes(h) || (h === '127.0.0.1' && hosts.some((x) => /^127\.0\.0\.0\/[1-8]$/.test(x)))
    const missing = ['127.0.0.1', 'localhost', 'registry'].filter((h) => !covers(h))
    add(
      'proxy',
      missing.length === 0,
      missing.length
        ? `a proxy is set (${f.proxy.http}) and NO_PROXY leaves out ${missing.join(', ')}`
        : 'NO_PROXY covers 127.0.0.1, localhost and registry',
      `add ${missing.join(',')} to NO_PROXY (and no_proxy), then run docker esb build so the builder gets it`,
    )
  } else info('proxy', 'no proxy set')
  // docker esb itself never uses localhost (it refuses it in registry addresses): only worth knowing for your own scripts
  if (f.localhostFirst)
    info(
      'localhost',
      `resolves to ${f.localhostFirst} first${f.localhostFirst === '::1' ? ': use 127.0.0.1, not localhost, for the registry (it listens on IPv4 only)' : ''}`,
    )
  add(
    'disk',
    f.cache.freeBytes === null || f.cache.freeBytes >= MIN_FREE_BYTES,
    f.cache.freeBytes === null ? `${f.cache.dir}: free space unknown` : `${gb(f.cache.freeBytes)} free for ${f.cache.dir}`,
    `free space there (docker esb prune --local --builder), or set [cache] dir to a bigger disk; exports need at least ${gb(MIN_FREE_BYTES)}`,
  )
  return out
}

export function checksText(cs: Check[]): string {
  const w = Math.max(...cs.map((c) => c.check.length))
  return (
    cs
      .map(
        (c) =>
          `${c.status === 'ok' ? 'ok  ' : c.status === 'fail' ? 'FAIL' : 'info'}  ${c.check.padEnd(w)}  ${c.detail}${c.fix ? `\n      ${' '.repeat(w)}  fix: ${c.fix}` : ''}`,
      )
      .join('\n') + '\n'
  )
}
