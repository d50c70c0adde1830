// `docker esb build` from options to a plan: render, what bake would build
// (bake --print, functions, artifacts), which targets are unchanged, then the
// plan (bake/plan.ts). Asks docker read-only questions through the runner.
import type { Runner } from '../docker/runner.ts'
import type { Io } from '../io.ts'
import type { Settings } from '../project/config.ts'
import type { Plan, Step } from '../plan/types.ts'
import { renderForStack } from '../render/plan.ts'
import { buildxVersion, versionLess } from '../docker/version.ts'
import { progressMode, withHistory } from '../report/mode.ts'
import { builderInputs, storedBuilder } from '../builder/inspect.ts'
import { builderInspectArgv } from '../builder/plan.ts'
import { functionDockerfiles } from '../functions/discover.ts'
import { artifactManifests, artifactTargets } from '../functions/artifact.ts'
import { localCaches } from '../cache/local.ts'
import { runId } from '../plan/types.ts'
import { bakeInputs } from './inspect.ts'
import { buildPlan } from './plan.ts'
import { skipFor } from './skips.ts'
import { defaultGroups } from './phases.ts'
import { queryCache, withQueryCache } from './queries.ts'

/** What `docker esb build` is asked for, from its flags. */
export interface BuildOptions {
  /** --progress (undefined: $BUILDKIT_PROGRESS, else auto) */
  progress?: string
  /** false with --no-skip */
  skip: boolean
  /** --pull: every outside image resolved now, or the build stops */
  pull: boolean
  /** flags after -- (for bake) */
  extraArgs: string[]
  /** folders the user grants bake read access to (--allow-read, <PREFIX>_ALLOW_READ) */
  allowRead?: string[]
  /** --metadata-file, absolute */
  metadataFile?: string
}

/** `startRegistry`: starts a registry that does not answer, before the skip check asks it (never in --dry-run). */
export async function planBuild(
  s: Settings,
  o: BuildOptions,
  runner: Runner,
  io: Io,
  startRegistry: (renderWrites: Step[]) => Promise<void>,
): Promise<Plan> {
  const progress = progressMode(o.progress, io.env, io.errIsTTY === true)
  const r = renderForStack(s)
  const fns = functionDockerfiles(s)
  const queries = queryCache(s)
  const artifacts = artifactTargets(s, artifactManifests(s), o.allowRead, queries)
  const [bx, bake] = await Promise.all([
    buildxVersion(runner, queries),
    bakeInputs(s, runner, r, defaultGroups(s, false), queries),
    startRegistry(r.writes),
  ])
  const inp = {
    progress: withHistory(progress, bx, versionLess),
    buildxVersion: bx,
    settings: s,
    renderWrites: r.writes,
    builder: builderInputs(s, io.env),
    bakePrint: bake.print,
    bakeVariables: bake.variables,
    functionDockerfiles: fns,
    artifactFunctions: artifacts,
    runId: runId(),
    extraArgs: o.extraArgs,
    allowRead: o.allowRead,
    localCaches: localCaches(s),
    dockerConfigDir: runner.configDir,
    metadataFile: o.metadataFile,
  }
  const onBuild = () => askBuilderEarly(s, runner)
  const skip = await skipFor(s, inp, !o.skip, undefined, { pull: o.pull, signal: runner.signal, onBuild })
  return withQueryCache(buildPlan({ ...inp, skip }), queries)
}

/**
 * A build that bakes anything looks at its builder first (ensure-builder):
 * asked as soon as the skip check knows a bake will run, while it finishes;
 * not before (on a no-op it would only take CPU and hold the exit), not when
 * buildx's store already answers (builder/inspect.ts storedBuilder), and only
 * for a docker-container builder (a remote one that does not answer must not
 * slow anything).
 */
export function askBuilderEarly(s: Settings, runner: Pick<Runner, 'prefetch' | 'configDir'>): void {
  if (s.builder.driver.kind === 'docker-container' && !storedBuilder(runner.configDir, s.builder.name))
    runner.prefetch(builderInspectArgv(s))
}
