// `docker esb prune` as a plan. The registry frees space only when
// garbage-collected while stopped; cache refs are re-tagged on every build,
// so their old manifests are untagged and `--delete-untagged` reclaims them.
// Never touches what is not the project's: local folders are pruned by name
// and lstat (cache/local.ts), and the registry only when its container is one
// docker esb created or adopted (registry/owner.ts). Pure.
import type { Settings } from '../project/config.ts'
import { REGISTRY_CONFIG_IN_IMAGE, statePaths } from '../project/names.ts'
import { GEN_MIN_AGE_MS } from '../cache/local.ts'
import { infraCompose, registryOverrideStep } from '../registry/plan.ts'
import { stackEnv } from '../plan/env.ts'
import type { Plan, Step } from '../plan/types.ts'
import { UsageError } from '../errors.ts'
import { listKeyTagsArgv } from './keytags.ts'
import { sharedPrune } from './shared.ts'
import type { SharedState } from './shared-run.ts'
import type { RegistrySpec } from '../plan/context.ts'

export interface PruneOptions {
  local: boolean
  registry: boolean
  builder: boolean
  /** why the registry container is not docker esb's (registry/owner.ts registryNotOurs); null: it is, or there is none */
  notOurs?: string | null
  /** --registry: the keys beyond keep in the local registry and their bytes (prune/shared-run.ts localKeyPrune) */
  beyond?: { count: number; bytes: number }
  /** --shared: the build registry and what it holds of the project (prune/shared-run.ts sharedFor) */
  shared?: { registry: RegistrySpec; state: SharedState } | null
}

export function prunePlan(s: Settings, o: PruneOptions): Plan {
  if (o.registry && o.notOurs)
    throw new UsageError(
      `${o.notOurs}: prune --registry garbage-collects only a registry docker esb runs; clean that one with its own tools, or remove it ('docker rm -f ${s.registry.containerName}') and let docker esb start its own`,
    )
  const env = stackEnv(s)
  const steps: Step[] = []
  if (o.local)
    steps.push({
      kind: 'prune-local',
      why: 'remove local cache exports that are not current, and old run folders',
      cacheDir: s.cache.dir,
      runsDir: statePaths(s.projectDir, s.ctx.HOME_DIR).runs,
      minAgeMs: GEN_MIN_AGE_MS,
    })
  if (o.builder) {
    steps.push({
      kind: 'docker',
      why: `BuildKit cache of ${s.builder.name} down to ${s.builder.gcKeep}`,
      argv: ['buildx', 'prune', '--builder', s.builder.name, '--force', '--keep-storage', s.builder.gcKeep],
      env,
      cwd: s.projectDir,
    })
  }
  if (o.registry) {
    const infra = infraCompose(s)
    steps.push(
      registryOverrideStep(s),
      {
        kind: 'docker',
        why: 'stop the registry (garbage collection needs it stopped)',
        argv: [...infra, 'stop', 'registry'],
        env,
        cwd: s.projectDir,
      },
      {
        kind: 'drop-key-tags',
        why: `untag the key tags beyond the newest ${s.registry.keep} per image ([registry] keep): their images are freed unless a current tag names them`,
        list: listKeyTagsArgv(s.registry.volume, s.registry.image),
        volume: s.registry.volume,
        image: s.registry.image,
        keep: s.registry.keep,
        env,
        cwd: s.projectDir,
        ...(o.beyond ? { beyond: o.beyond } : {}),
      },
      {
        kind: 'docker',
        why: 'garbage-collect the registry: free blobs no tag refers to',
        argv: [
          'run',
          '--rm',
          '-v',
          `${s.registry.volume}:/var/lib/registry`,
          '--entrypoint',
          '/bin/registry',
          s.registry.image,
          'garbage-collect',
          '--delete-untagged',
          REGISTRY_CONFIG_IN_IMAGE,
        ],
        env,
        cwd: s.projectDir,
      },
      {
        kind: 'docker',
        why: 'start the registry again',
        argv: [...infra, 'up', '-d', '--wait', 'registry'],
        env,
        cwd: s.projectDir,
      },
    )
  }
  if (o.shared) {
    const { repos, blobs, caches } = o.shared.state
    const p = sharedPrune(repos, s.registry.keep, blobs, caches)
    steps.push({
      kind: 'delete-manifests',
      why: `delete docker esb's key tags beyond the newest ${s.registry.keep} per image in the build registry ${s.registry.buildAddress} ([registry] keep), and the images only they named`,
      registry: o.shared.registry,
      deletions: p.deletions,
      keep: s.registry.keep,
      bytes: p.bytes,
    })
  }
  return { command: 'prune', project: s.projectDir, mode: s.mode, env, caches: {}, steps }
}
