// What `docker esb doctor` asks the machine: the engine, buildx, compose, the
// builder (and the registry from inside it), the registry, proxies, DNS and
// disk. Read-only: nothing is started, created or written. Questions that do
// not depend on each other are asked at once.
import dns from 'node:dns/promises'
import fs from 'node:fs'
import path from 'node:path'
import type { Runner } from '../docker/runner.ts'
import type { Settings } from '../project/config.ts'
import { builderInputs, parseInspect } from '../builder/inspect.ts'
import { registryDiskBytes } from '../registry/disk.ts'
import { ensureBuilderStep } from '../builder/plan.ts'
import { stackEnv } from '../plan/env.ts'
import { registryUrl } from '../registry/plan.ts'
import { isRegistry } from '../registry/probe.ts'
import { clientOf } from '../buildregistry/client.ts'
import { buildRegistrySpec } from '../plan/context.ts'
import type { Facts } from './checks.ts'

const version = (text: string) => /v?(\d+\.\d+\.\d+)/.exec(text)?.[1] ?? null
const lastLine = (t: string) => t.trim().split('\n').pop() ?? ''

/** Free bytes on the file system that holds `dir` (or its nearest existing parent). */
function freeBytes(dir: string): number | null {
  let p = dir
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p)
  try {
    const st = fs.statfsSync(p)
    return st.bavail * st.bsize
  } catch {
    return null
  }
}

export async function gatherFacts(s: Settings, runner: Runner, env: Record<string, string | undefined>): Promise<Facts> {
  const ask = (argv: string[]) => runner.run(argv, { capture: true, allowFail: true })
  const name = s.builder.name
  const container = `buildx_buildkit_${name}0`
  const [engine, buildx, compose, inspect, reg, regPs, localhost] = await Promise.all([
    ask(['version', '--format', '{{.Server.Version}}']),
    ask(['buildx', 'version']),
    ask(['compose', 'version', '--short']),
    ask(['buildx', 'inspect', name]),
    isRegistry(registryUrl(s)),
    ask([
      'ps',
      '-a',
      '--filter',
      `name=^${s.registry.containerName}$`,
      '--format',
      `{{.Label "com.docker.compose.project"}}\t{{.State}}\t{{.Ports}}`,
    ]),
    dns.lookup('localhost', { all: true }).then(
      (a) => a[0]?.address ?? null,
      () => null,
    ),
  ])
  const exists = inspect.code === 0
  const facts = parseInspect(inspect.stdout)
  const status = facts.status
  const [within, disk, buildReg] = await Promise.all([
    // the builder's own view of the registry: what bake's pushes and base pulls see (a build registry is asked below)
    exists && status === 'running' && s.builder.driver.kind === 'docker-container' && !s.registry.build
      ? ask(['exec', container, 'wget', '-q', '-O', '/dev/null', registryUrl(s)]).then((r) => r.code === 0)
      : Promise.resolve(null),
    reg.registry ? registryDiskBytes(runner, s) : Promise.resolve(null),
    // [registry] build_address: answers, with the user's credentials and CA (as a build's first step asks it)
    // (a missing CA file or an unreadable docker config throws at once: a failed check too, not a crash)
    s.registry.build
      ? Promise.resolve()
          .then(() => clientOf(buildRegistrySpec(s, runner.configDir)).ping())
          .then(
            () => null,
            (e: Error) => e.message,
          )
      : Promise.resolve(undefined),
  ])
  let state: { fingerprint?: string } | null = null
  const step = ensureBuilderStep(s, builderInputs(s, env), stackEnv(s))
  try {
    state = JSON.parse(fs.readFileSync(step.stateFile, 'utf8')) as { fingerprint?: string }
  } catch {
    /* never built here */
  }
  const [project = '', st = '', ports = ''] = regPs.stdout.trim().split('\n')[0]?.split('\t') ?? []
  return {
    engine: {
      version: engine.code === 0 ? engine.stdout.trim() || null : null,
      error: engine.code === 0 ? null : lastLine(engine.stderr) || `exit ${engine.code}`,
    },
    buildx: buildx.code === 0 ? version(buildx.stdout) : null,
    compose: compose.code === 0 ? version(compose.stdout) : null,
    composeBakeEnv: env.COMPOSE_BAKE,
    builder: {
      name,
      exists,
      ...facts,
      reachesRegistry: within,
      drift: !state
        ? 'unknown'
        : state.fingerprint === undefined
          ? 'adopted'
          : state.fingerprint === step.fingerprint
            ? 'match'
            : 'changed',
    },
    registry: {
      url: registryUrl(s),
      bind: s.registry.bind,
      answers: reg.answers,
      distribution: reg.registry,
      container: s.registry.containerName,
      containerProject: regPs.stdout.trim() ? project : null,
      expectedProject: s.registry.composeProject,
      running: st === 'running',
      publishedOn: /([\d.:[\]a-f]+:\d+)->/.exec(ports)?.[1] ?? null,
      diskBytes: disk,
    },
    proxy: {
      http: env.HTTP_PROXY ?? env.http_proxy ?? env.HTTPS_PROXY ?? env.https_proxy,
      noProxy: env.NO_PROXY ?? env.no_proxy,
    },
    localhostFirst: localhost,
    cache: { dir: s.cache.dir, freeBytes: freeBytes(s.cache.dir) },
    buildRegistry: buildReg === undefined ? null : { address: s.registry.buildAddress, error: buildReg },
    builderDriver: s.builder.driver.kind,
    buildkitdConfig: path.relative(s.projectDir, s.builder.buildkitdConfig) || s.builder.buildkitdConfig,
  }
}
