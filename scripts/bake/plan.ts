// `docker esb build` as a plan: render, registry, builder, then bake in
// phases (bases first, bake/steps.ts) with per-target caches, promote the
// local caches, remove the run's files. Pure.
import type { Settings } from '../project/config.ts'
import { functionsFrom } from '../functions/discover.ts'
import { globTarget, type FunctionTarget } from '../functions/targets.ts'
import { UsageError } from '../errors.ts'
import { builderConfigWrites, ensureBuilderStep, type BuilderInputs } from '../builder/plan.ts'
import { ensureRegistryStep } from '../registry/plan.ts'
import { checkRegistryStep, copyToLocalStep } from '../buildregistry/steps.ts'
import { envSources } from '../plan/env.ts'
import { argNotes } from './args.ts'
import { planContext, type PlanContext } from '../plan/context.ts'
import type { Plan, Step } from '../plan/types.ts'
import { targetTag } from './override.ts'
import { bakeVariableEnv } from './vars.ts'
import { bakePhases } from './phases.ts'
import { bakeSteps, seedCacheSteps, statCacheSteps, type BakeSteps } from './steps.ts'
import { skipInfo } from './skipinfo.ts'
import type { SkipPlan } from '../skip/check.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import type { ProgressMode } from '../report/mode.ts'
import { compareText } from '../sort.ts'
import { reuseStep } from './bykey.ts'

export interface BuildPlanInputs {
  settings: Settings
  renderWrites: Step[]
  builder: BuilderInputs
  /** `docker buildx bake --print` of the project's bake files */
  bakePrint: BakeFile
  functionDockerfiles: string[]
  /** function targets from deploy artifact manifests */
  artifactFunctions?: FunctionTarget[]
  /** bake variables the project's bake files declare (REGISTRY, TAG... are then set) */
  bakeVariables?: string[]
  runId: string
  extraArgs: string[]
  /** folders the user grants bake read access to (--allow-read, <PREFIX>_ALLOW_READ) */
  allowRead?: string[]
  /** cache names (targets, svc-<service>) that have a complete local export */
  localCaches?: string[]
  /** `docker buildx version` */
  buildxVersion?: string
  /** the report this build writes into */
  reportCommand?: string
  /** how bake's output is shown (report/mode.ts); default plain */
  progress?: ProgressMode
  /** targets that are unchanged (skipped) and why the others are rebuilt; none: build everything */
  skip?: SkipPlan
  /** the docker config folder (credentials for [registry] build_address) */
  dockerConfigDir?: string
  /** --metadata-file (absolute): bake's metadata of every target, built or skipped */
  metadataFile?: string
}

export function buildPlan(inp: BuildPlanInputs, given?: PlanContext): Plan {
  const s = inp.settings
  const ctx = given ?? planContext(s, inp.runId, inp.dockerConfigDir)
  const env = { ...ctx.env, ...bakeVariableEnv(s, inp.bakeVariables ?? []) }
  const fns = allFunctions(inp)
  const command = inp.reportCommand ?? 'build'
  const reportFile = ctx.paths.report(command)
  const b = bakeSteps(ctx, {
    print: inp.bakePrint,
    fns,
    allowRead: inp.allowRead,
    phases: bakePhases(s, fns.length > 0),
    env,
    extraArgs: inp.extraArgs,
    localCaches: inp.localCaches,
    buildxVersion: inp.buildxVersion,
    progress: inp.progress,
    skip: inp.skip,
    report: { command, file: reportFile },
  })
  const tagOf = (t: string) => fns.find((f) => f.target === t)?.tag ?? targetTag(s, t)
  // what the bakes build, and what they leave as it is (skipped, reused by key)
  const built = b.bakes.length ? b.targets.filter((t) => !inp.skip?.skip[t]) : []
  const kept = b.targets.filter((t) => !built.includes(t))
  const steps: Step[] = [
    // first: a wrong login or address stops the build before anything is written
    ...checkRegistryStep(ctx),
    ...inp.renderWrites,
    ...builderConfigWrites(s, inp.builder),
    {
      kind: 'mkdir',
      why: 'reports, run and cache folders',
      paths: [ctx.paths.reports, ctx.runDir, ...new Set(b.gens.map((g) => g.dir))],
    },
    ...seedCacheSteps(b.gens),
    ...b.writes,
    ensureRegistryStep(s, env),
    ...reuseStep(ctx, inp.skip),
    // nothing to build: the builder is not even needed
    ...(b.bakes.length ? [ensureBuilderStep(s, inp.builder, env)] : []),
    // skipped and reused targets too (a fresh local registry gets every image the stack runs), while the bakes run
    ...(built.length ? copyToLocalStep(ctx, kept.map(tagOf), true) : []),
    ...b.bakes,
    ...copyToLocalStep(ctx, (built.length ? built : kept).map(tagOf)),
    ...statCacheSteps(inp.skip),
  ]
  if (b.gens.length) steps.push({ kind: 'promote-cache', why: "make this run's local cache exports current", gens: b.gens })
  if (inp.metadataFile) steps.push(metadataStep(inp.metadataFile, b, fns, s, inp.skip))
  steps.push({ kind: 'cleanup', why: "remove this run's generated files", paths: [ctx.runDir] })
  const sorted = Object.fromEntries(Object.entries(b.caches).sort(([a], [b]) => compareText(a, b)))
  return {
    command: 'build',
    project: s.projectDir,
    mode: s.mode,
    env,
    caches: sorted,
    steps,
    envSources: envSources(s, env),
    ...argNotes(s),
    skip: skipInfo(inp.skip, reportFile, command),
  }
}

/** --metadata-file: every target the phases name, with bake's metadata files (read before the run's folder goes). */
function metadataStep(file: string, b: BakeSteps, fns: FunctionTarget[], s: Settings, skip?: SkipPlan): Step {
  const targets = Object.fromEntries(
    b.targets.map((t) => [
      t,
      {
        tag: fns.find((f) => f.target === t)?.tag ?? targetTag(s, t),
        skipped: skip?.skip[t],
        ...(skip?.byKey?.[t] ? { reused: true } : {}),
      },
    ]),
  )
  const bakeFiles = b.bakes.flatMap((st) => (st.kind === 'docker' && st.report?.metadataFile ? [st.report.metadataFile] : []))
  return {
    kind: 'write-metadata',
    why: 'bake metadata of every target, built or skipped (--metadata-file)',
    path: file,
    bakeFiles,
    targets,
  }
}

/** Function targets from the Dockerfile glob and from deploy artifact manifests. */
export function allFunctions(
  inp: Pick<BuildPlanInputs, 'settings' | 'functionDockerfiles' | 'artifactFunctions'>,
): FunctionTarget[] {
  const all = [
    ...functionsFrom(inp.functionDockerfiles).map((f) => globTarget(inp.settings, f)),
    ...(inp.artifactFunctions ?? []),
  ]
  // a function folder and an artifact entry of one name: bake would silently keep only one of them
  const seen = new Map<string, string>()
  for (const f of all) {
    const other = seen.get(f.target)
    if (other !== undefined)
      throw new UsageError(
        `${other} and ${f.source} both become target ${f.target}; rename one, or drop the folder from [functions] dockerfiles`,
      )
    seen.set(f.target, f.source)
  }
  return all
}
