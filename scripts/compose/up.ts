// `docker esb up` from options to a plan: render, the compose config and the
// bases to bake, which bases and services are unchanged (skip/, compose/skip.ts),
// then the plan (compose/plan.ts). Asks docker read-only questions through the runner.
import fs from 'node:fs'
import path from 'node:path'
import type { Runner } from '../docker/runner.ts'
import type { Io } from '../io.ts'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import type { Plan, Step } from '../plan/types.ts'
import { renderForStack } from '../render/plan.ts'
import { buildxVersion, versionLess } from '../docker/version.ts'
import { progressMode, withHistory } from '../report/mode.ts'
import { bakeInputs } from '../bake/inspect.ts'
import { defaultGroups, groupTargets } from '../bake/phases.ts'
import { skipFor } from '../bake/skips.ts'
import { queryCache, withQueryCache } from '../bake/queries.ts'
import { builderInputs } from '../builder/inspect.ts'
import { effectiveBuildkitdToml } from '../builder/plan.ts'
import { askBuilderEarly } from '../bake/build.ts'
import { localCaches } from '../cache/local.ts'
import { inputsDir, readStatCache } from '../skip/state.ts'
import { runId } from '../plan/types.ts'
import { composeConfig, engineImageIds, projectContainers } from './inspect.ts'
import { upPlan } from './plan.ts'
import { bakedRefs, serviceContexts, sharedTargets } from './share.ts'
import { checkServices, serviceImages, servicesOff } from './skip.ts'

/** What `docker esb up` is asked for, from its flags. */
export interface UpOptions {
  /** --progress (undefined: $BUILDKIT_PROGRESS, else auto) */
  progress?: string
  /** false with --no-skip */
  skip: boolean
  /** --pull: every outside image resolved now, or up stops */
  pull: boolean
  /** flags after -- (for compose up) */
  extraArgs: string[]
  /** folders the user grants the base bake read access to (--allow-read, <PREFIX>_ALLOW_READ) */
  allowRead?: string[]
}

/** `startRegistry`: starts a registry that does not answer, before the skip check asks it (never in --dry-run). */
export async function planUp(
  s: Settings,
  o: UpOptions,
  runner: Runner,
  io: Io,
  startRegistry: (renderWrites: Step[]) => Promise<void>,
): Promise<Plan> {
  const queries = queryCache(s)
  // asked while the skip check runs: an up that builds looks at its builder first (unless buildx's store answers)
  askBuilderEarly(s, runner)
  const progress = progressMode(o.progress, io.env, io.errIsTTY === true)
  const r = renderForStack(s)
  const hasBake = s.bake.files.every(
    (f) =>
      r.rendered.some((x) => path.join(s.templates.out, x.relPath) === path.resolve(s.projectDir, f)) ||
      fs.existsSync(path.resolve(s.projectDir, f)),
  )
  // asked at once: the compose config, and the bases to bake first with the
  // control targets whose caches compose services share; and a registry
  // removed since the last run is started, so that the skip check finds its images
  const [cfg, bake] = await Promise.all([
    composeConfig(s, runner, r),
    hasBake
      ? bakeInputs(s, runner, r, defaultGroups(s, false), queries).catch(() => bakeInputs(s, runner, r, ['base-images'], queries))
      : undefined,
    startRegistry(r.writes),
  ])
  const inp = {
    progress,
    bakePrint: bake?.print,
    bakeVariables: bake?.variables,
    settings: s,
    renderWrites: r.writes,
    builder: builderInputs(s, io.env),
    composeConfig: cfg,
    runId: runId(),
    extraArgs: o.extraArgs,
    allowRead: o.allowRead,
    localCaches: localCaches(s),
    dockerConfigDir: runner.configDir,
  }
  // the bases are skipped when unchanged, as build does (flags after -- go to compose, not bake)
  // and the control targets compose services share a cache with: unchanged since build, their cache is current
  const shared = bake ? [...new Set(Object.values(sharedTargets(s, cfg, bake.print)))] : []
  const images = serviceImages(s.projectName, cfg)
  const [skip, ids, containers] = await Promise.all([
    bake?.print.group?.['base-images']
      ? skipFor(
          s,
          { ...inp, bakePrint: bake.print, functionDockerfiles: [], extraArgs: [] },
          !o.skip,
          ['base-images', ...shared],
          {
            pull: o.pull,
            signal: runner.signal,
            // up pins its bases by digest and tags nothing: it neither takes nor publishes key tags
            byKey: false,
          },
        )
      : undefined,
    engineImageIds(runner, Object.values(images)),
    Object.keys(images).length ? projectContainers(runner, s.projectName) : {},
  ])
  // services unchanged since compose built them, their images still in the engine: nothing to build
  const bases = bake ? groupTargets(bake.print, 'base-images') : []
  const dir = inputsDir(statePaths(s.projectDir, s.ctx.HOME_DIR).state)
  const off = servicesOff(
    s,
    !o.skip,
    o.extraArgs,
    bases.filter((t) => skip?.rebuild[t]),
  )
  const services = Object.keys(images).length
    ? await checkServices(
        s,
        cfg,
        serviceContexts(s, cfg, bake?.print, bakedRefs(s, bake?.print, skip?.skip)),
        skip?.statCache ?? readStatCache(dir),
        ids,
        containers,
        dir,
        off,
        { configDir: runner.configDir, buildkitd: effectiveBuildkitdToml(s, inp.builder), pull: o.pull, signal: runner.signal },
      )
    : undefined
  // the buildx version decides bake's flags: asked only when a base is baked (a no-op up asks nothing more)
  // also for tty progress: its hit report needs buildx history (0.20+)
  const bx = bases.some((t) => !skip?.skip[t]) || inp.progress === 'tty' ? await buildxVersion(runner, queries) : undefined
  const plan = upPlan({ ...inp, progress: withHistory(inp.progress, bx, versionLess), buildxVersion: bx, skip, services })
  return withQueryCache(plan, queries)
}
