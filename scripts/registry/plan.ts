// How the registry is started: its own compose project `<slug>-infra` from
// docker-compose.infra.yml, on 127.0.0.1:<port>, ready when GET /v2/ is 200.
// Pure; registry/ensure.ts acts on it.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import type { Env, Step, StepOf } from '../plan/types.ts'

export const REGISTRY_READY_TIMEOUT_MS = 60_000

export function infraComposeFile(s: Settings): string {
  return path.join(s.templates.out, 'docker-compose.infra.yml')
}

/** `docker compose -p <slug>-infra -f docker-compose.infra.yml` */
export function infraCompose(s: Settings): string[] {
  return ['compose', '-p', s.registry.composeProject, '-f', infraComposeFile(s)]
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
    up: [...infraCompose(s), 'up', '-d', '--wait', 'registry'],
    env,
    cwd: s.projectDir,
    containerName: s.registry.containerName,
    composeProject: s.registry.composeProject,
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
