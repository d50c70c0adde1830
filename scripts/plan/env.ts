// The environment every docker child gets (laid over the user's own): the
// names the ESB stack's compose and bake files read (<PREFIX>_TAG, PORT_REGISTRY, CONTAINER_REGISTRY...),
// and the values of the project's env files, where the user's environment has not set the name
// (s.fileVars already holds the user's value then: the process environment wins, as in compose).
import type { Settings } from '../project/config.ts'
import type { Env } from './types.ts'

export function stackEnv(s: Settings): Env {
  const P = s.prefix
  const env: Env = {
    ...s.fileVars,
    BUILDX_BUILDER: s.builder.name,
    DOCKER_BUILDKIT: '1',
    CONTAINER_REGISTRY: s.registry.runtimeAddress,
    HOST_REGISTRY_ADDR: s.registry.localAddress,
    PORT_REGISTRY: String(s.registry.port),
    REGISTRY_BIND: s.registry.bind,
    REGISTRY_IMAGE: s.registry.image,
    REGISTRY_CONTAINER_NAME: s.registry.containerName,
    PROJECT_NAME: s.projectName,
    ENV: s.env,
    MODE: s.mode,
    CERT_DIR: s.certDir,
    BUILDKITD_CONFIG: s.builder.buildkitdConfig,
    [`${P}_ENV`]: s.env,
    [`${P}_MODE`]: s.mode,
    [`${P}_TAG`]: s.tag,
    [`${P}_REGISTRY`]: `${s.registry.localAddress}/`,
    [`${P}_REPO`]: s.projectDir,
    // The existing stack spells these literally in some compose files.
    ESB_REGISTRY: `${s.registry.localAddress}/`,
    ESB_TAG: s.tag,
    // buildx passes it to every build as a build arg: timestamps, and so digests, repeat across builders
    SOURCE_DATE_EPOCH: s.bake.sourceDateEpoch,
  }
  if (s.mode === 'containerd') env.CONTAINER_REGISTRY_INSECURE = '1'
  // Provenance attestations change the digest on every build, so `up --build` would recreate containers.
  if (!s.bake.provenance) env.BUILDX_NO_DEFAULT_ATTESTATIONS = '1'
  return env
}

/** Where each value of the stack environment came from, for --dry-run. */
export function envSources(s: Settings, env: Env): Record<string, string> {
  const P = s.prefix
  const by: Record<string, string> = {
    ENV: s.sources.env,
    [`${P}_ENV`]: s.sources.env,
    MODE: s.sources.mode,
    [`${P}_MODE`]: s.sources.mode,
    [`${P}_TAG`]: s.sources.tag,
    ESB_TAG: s.sources.tag,
    TAG: s.sources.tag,
    PROJECT_NAME: s.sources.projectName,
    PORT_REGISTRY: s.sources.registryPort,
    HOST_REGISTRY_ADDR: s.sources.registryPort,
    REGISTRY: s.sources.registryPort,
    [`${P}_REGISTRY`]: s.sources.registryPort,
    ESB_REGISTRY: s.sources.registryPort,
    BUILDX_BUILDER: s.sources.builder,
    CERT_DIR: s.sources.certDir,
  }
  const out: Record<string, string> = {}
  for (const k of Object.keys(env)) {
    const src = by[k] ?? (s.fileOf[k] !== undefined && env[k] === s.fileVars[k] ? s.fileOf[k] : undefined)
    if (src) out[k] = src
  }
  return out
}
