// docker esb build: flags -> settings -> what bake would build -> a plan.
import { FORMAT_FLAG, str, type CommandSpec } from './types.ts'
import { PROGRESS_FLAG, progressMode, withHistory } from '../report/mode.ts'
import { DRY_RUN_FLAGS, registryFirst, runOrShow } from '../run/plan-run.ts'
import { settingsFrom } from '../project/context.ts'
import { renderForStack } from '../render/plan.ts'
import { buildxVersion, versionLess } from '../docker/version.ts'
import { bakeInputs } from '../bake/inspect.ts'
import { buildPlan } from '../bake/plan.ts'
import { SKIP_FLAG, skipFor } from '../bake/skips.ts'
import { defaultGroups } from '../bake/phases.ts'
import { builderInputs } from '../builder/inspect.ts'
import { functionDockerfiles } from '../functions/discover.ts'
import { artifactManifests, artifactTargets } from '../functions/artifact.ts'
import { localCaches } from '../cache/local.ts'
import { runId } from '../plan/types.ts'

export const build: CommandSpec = {
  name: 'build',
  usage: '[OPTIONS] [-- BAKE FLAGS]',
  summary: 'Ensure the registry and the builder, then docker buildx bake with per-target caches',
  details:
    'Bakes the base images first, then control and function images on the bases just pushed (pinned by\ndigest), all pushed to the local registry 127.0.0.1:<port>, and prints the cache hit rate.\nFunctions come from functions/*/Dockerfile and from deploy artifact manifests ([functions] artifact).\nFlags after -- go to docker buildx bake.',
  flags: [
    ...DRY_RUN_FLAGS,
    FORMAT_FLAG,
    PROGRESS_FLAG,
    SKIP_FLAG.flag,
    ['--provenance', 'keep provenance attestations (off by default: they change digests on every build)'],
  ],
  strings: ['format', 'progress'],
  booleans: ['provenance', SKIP_FLAG.boolean],
  defaults: SKIP_FLAG.defaults,
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const progress = progressMode(str(c.flags, 'progress'), c.io.env, c.io.errIsTTY === true)
    const r = renderForStack(s)
    const fns = functionDockerfiles(s)
    const artifacts = artifactTargets(s, artifactManifests(s))
    const [bx, bake] = await Promise.all([
      buildxVersion(c.runner),
      bakeInputs(s, c.runner, r, defaultGroups(s, false)),
      registryFirst(c, s, r.writes),
    ])
    const inp = {
      progress: withHistory(progress, bx, versionLess),
      buildxVersion: bx,
      settings: s,
      renderWrites: r.writes,
      builder: builderInputs(s, c.io.env),
      bakePrint: bake.print,
      bakeVariables: bake.variables,
      functionDockerfiles: fns,
      artifactFunctions: artifacts,
      runId: runId(),
      extraArgs: c.flags['--'],
      localCaches: localCaches(s),
      dockerConfigDir: c.runner.configDir,
    }
    const skip = await skipFor(s, inp, c.flags.skip === false)
    const plan = buildPlan({ ...inp, skip })
    return runOrShow(c, plan)
  },
}
