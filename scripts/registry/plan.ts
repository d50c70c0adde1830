// How the registry is started: its own compose project `<slug>-infra` from
// docker-compose.infra.yml with docker esb's override of its ports, on
// <bind>:<port> (127.0.0.1) only, ready when GET /v2/ is 200.
// Pure; registry/ensure.ts acts on it.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import type { Env, Step, StepOf } from '../plan/types.ts'
import { adoptedFile } from './owner.ts'

export const REGISTRY_READY_TIMEOUT_MS = 60_000

export function infraComposeFile(s: Settings): string {
  return path.join(s.templates.out, 'docker-compose.infra.yml')
}

/** The port the registry listens on inside its container (REGISTRY_HTTP_ADDR of the infra file). */
export const REGISTRY_CONTAINER_PORT = 5010

/** Addresses that mean every interface: asked for explicitly, they are not narrowed. */
export const ALL_INTERFACES = new Set(['0.0.0.0', '::', '[::]', ''])

/**
 * The compose override that publishes the registry on [registry] bind only,
 * whatever ports the repo's infra file gives it (an adopted repo's may name
 * no host address: every interface, the LAN). `!override` replaces the list
 * instead of adding to it. Written into `.<slug>/` (down and prune use it too).
 */
export function registryOverride(s: Settings): { path: string; content: string } {
  const { bind, port } = s.registry
  return {
    path: path.join(statePaths(s.projectDir, s.ctx.HOME_DIR).state, `registry-ports.${port}.yml`),
    content: [
      `# written by docker esb: the registry published on ${bind}:${port} only ([registry] bind / REGISTRY_BIND),`,
      `# whatever ports ${path.basename(infraComposeFile(s))} gives it`,
      'services:',
      '  registry:',
      '    ports: !override',
      `      - target: ${REGISTRY_CONTAINER_PORT}`,
      `        published: "${port}"`,
      `        host_ip: "${bind.replace(/^\[(.*)\]$/, '$1')}"`,
      '        protocol: tcp',
      '',
    ].join('\n'),
  }
}

/** The override as a plan step (before a compose call on the infra project that does not go through ensure-registry). */
export function registryOverrideStep(s: Settings): StepOf<'write'> {
  const o = registryOverride(s)
  return { kind: 'write', why: `publish the registry on ${s.registry.bind} only`, ...o, mode: 0o644, reason: 'changed' }
}

/** `docker compose -p <slug>-infra -f docker-compose.infra.yml -f .<slug>/registry-ports.<port>.yml` */
export function infraCompose(s: Settings): string[] {
  return ['compose', '-p', s.registry.composeProject, '-f', infraComposeFile(s), '-f', registryOverride(s).path]
}

export function registryUrl(s: Settings): string {
  return `http://${s.registry.localAddress}/v2/`
}

export function ensureRegistryStep(s: Settings, env: Env): StepOf<'ensure-registry'> {
  return {
    kind: 'ensure-registry',
    why: `local registry on ${s.registry.bind}:${s.registry.port} (compose project ${s.registry.composeProject})`,
    url: registryUrl(s),
    port: s.registry.port,
    timeoutMs: REGISTRY_READY_TIMEOUT_MS,
    // no --wait: a registry is ready when /v2/ answers (polled below), long before a repo's healthcheck first runs
    up: [...infraCompose(s), 'up', '-d', 'registry'],
    env,
    cwd: s.projectDir,
    containerName: s.registry.containerName,
    composeProject: s.registry.composeProject,
    bind: s.registry.bind,
    override: registryOverride(s),
    adopted: adoptedFile(s),
  }
}

/**
 * The skip check asks the registry whether each image and cache is still
 * there: a registry container removed since the last run would make every
 * target look gone and be rebuilt. So a registry that does not answer is
 * started before the check, when its compose file is already on disk as this
 * run leaves it (a new or changed one is written by the plan, then started).
 */
export function registryFirstSteps(s: Settings, renderWrites: Step[], env: Env): StepOf<'ensure-registry'>[] {
  const file = path.resolve(s.projectDir, infraComposeFile(s))
  if (renderWrites.some((w) => w.kind === 'write' && path.resolve(w.path) === file)) return []
  return [ensureRegistryStep(s, env)]
}
