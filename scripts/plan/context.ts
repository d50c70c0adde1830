// What every plan of one command works from, computed once and passed down:
// the settings, the stack environment, the state paths, this run's folder and
// the build registry with the docker config whose credentials it uses. Pure.
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import { DEFAULT_DOCKER_CONFIG } from '../docker/config.ts'
import type { RegistrySpec } from './records.ts'
import type { Env } from './types.ts'
import { stackEnv } from './env.ts'

export type { RegistrySpec }

export interface PlanContext {
  settings: Settings
  /** the environment every docker child gets (plan/env.ts) */
  env: Env
  paths: ReturnType<typeof statePaths>
  runId: string
  /** this run's own folder (generated bake files, metadata), removed afterwards */
  runDir: string
  /** the docker config folder whose credentials the build registry uses */
  configDir: string
  /** the build registry: the local one, or [registry] build_address */
  registry: RegistrySpec
}

export function planContext(s: Settings, runId: string, configDir = DEFAULT_DOCKER_CONFIG): PlanContext {
  const paths = statePaths(s.projectDir, s.ctx.HOME_DIR)
  return {
    settings: s,
    env: stackEnv(s),
    paths,
    runId,
    runDir: paths.run(runId),
    configDir,
    registry: buildRegistrySpec(s, configDir),
  }
}

const isLoopback = (a: string) => /^(127\.|\[::1\])/.test(a)

/** The build registry as plan data: its address, URL, CA file and the docker config whose credentials are used. */
export function buildRegistrySpec(s: Settings, configDir: string): RegistrySpec {
  const a = s.registry.buildAddress
  const b = s.registry.build
  if (!b) return { address: a, base: `http://${a}`, caFile: null, configDir: null, where: null, caWhere: null }
  // loopback without a CA is plain HTTP, as BuildKit and dockerd assume
  const plain = b.insecure || (isLoopback(a) && !b.ca)
  return { address: a, base: `${plain ? 'http' : 'https'}://${a}`, caFile: b.ca, configDir, where: b.where, caWhere: b.caWhere }
}
