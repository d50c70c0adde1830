// `docker esb up` and `down` as plans: bake the bases the stack builds on
// (the same bake-phase steps as build, bake/steps.ts), then `docker compose
// up --build -d` on the same builder with a generated override giving each
// buildable service its caches (compose/override.ts). Pure.
import path from 'node:path'
import { builderConfigWrites, ensureBuilderStep } from '../builder/plan.ts'
import { ensureRegistryStep } from '../registry/plan.ts'
import { checkRegistryStep, copyToLocalStep } from '../buildregistry/steps.ts'
import { bakeSteps, seedCacheSteps, statCacheSteps } from '../bake/steps.ts'
import { groupTargets } from '../bake/phases.ts'
import { targetTag } from '../bake/override.ts'
import { bakeVariableEnv } from '../bake/vars.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import { envSources } from '../plan/env.ts'
import { argNotes } from '../bake/args.ts'
import { planContext, type PlanContext } from '../plan/context.ts'
import type { CacheGen, Plan, Step } from '../plan/types.ts'
import { composeProgressArg } from '../report/mode.ts'
import { bakedRefs } from './share.ts'
import { containersArgv, imageIdsArgv } from './engine.ts'
import { composeFileArgs } from './files.ts'
import { composeOverride } from './override.ts'
import { noBuildPlan, upSkipInfo } from './nobuild.ts'
import type { UpPlanInputs } from './inputs.ts'

export { composeFileArgs, modeComposeFile } from './files.ts'
export { composeOverride } from './override.ts'
export type { UpPlanInputs } from './inputs.ts'

interface BaseBake {
  /** the generated bake file */
  writes: Step[]
  /** the bake and its records, then the copy from the build registry */
  bakes: Step[]
  gens: CacheGen[]
  /** base target -> the reference its children use: its tag (pinned after the bake) or tag@digest (skipped, unchanged) */
  baked: Record<string, string>
  /** the bases this run bakes: their tags, pinned from the metadata file */
  pinRefs: Record<string, string>
  metadataFile: string
}

/** The base-images phase, as build bakes it (bake/steps.ts), reporting into up's report. */
function baseBake(ctx: PlanContext, inp: UpPlanInputs, reportFile: string): BaseBake {
  const print = inp.bakePrint
  if (!print?.group?.['base-images']) return { writes: [], bakes: [], gens: [], baked: {}, pinRefs: {}, metadataFile: '' }
  const s = ctx.settings
  const targets = groupTargets(print, 'base-images')
  const basePrint: BakeFile = {
    group: { 'base-images': print.group['base-images'] },
    target: Object.fromEntries(targets.map((t) => [t, print.target[t]])),
  }
  const b = bakeSteps(ctx, {
    print: basePrint,
    fns: [],
    phases: [['base-images']],
    env: { ...ctx.env, ...bakeVariableEnv(s, inp.bakeVariables ?? []) },
    extraArgs: [],
    allowRead: inp.allowRead,
    localCaches: inp.localCaches,
    buildxVersion: inp.buildxVersion,
    progress: inp.progress,
    skip: inp.skip,
    report: { command: 'up', file: reportFile },
    why: 'build the base images the stack builds on',
    final: false,
  })
  const ran = b.bakes.find((st) => st.kind === 'docker')
  const skip = inp.skip?.skip ?? {}
  const pinRefs = Object.fromEntries(targets.filter((t) => !skip[t]).map((t) => [t, targetTag(s, t)]))
  const metadataFile = ran?.kind === 'docker' ? (ran.report?.metadataFile ?? '') : ''
  return {
    writes: b.writes,
    bakes: [
      ...b.bakes,
      ...copyToLocalStep(
        ctx,
        b.targets.map((t) => targetTag(s, t)),
      ),
    ],
    gens: b.gens,
    baked: bakedRefs(s, print, skip),
    pinRefs,
    metadataFile,
  }
}

export function upPlan(inp: UpPlanInputs, given?: PlanContext): Plan {
  const s = inp.settings
  const ctx = given ?? planContext(s, inp.runId, inp.dockerConfigDir)
  const { env, paths, runDir } = ctx
  const reportFile = paths.report('up')
  const svc = inp.services
  const buildable = Object.keys(svc?.images ?? {})
  if (svc && buildable.length && buildable.every((n) => svc.skip[n] !== undefined)) return noBuildPlan(ctx, inp, reportFile)
  const have = (t: string) => inp.localCaches === undefined || inp.localCaches.includes(t)
  // The stack's images build FROM the bases in the registry: bake them first
  // (the same step as build's first phase; fully cached when nothing changed).
  const bases = baseBake(ctx, inp, reportFile)
  const { yaml, gens } = composeOverride(
    s,
    inp.composeConfig,
    inp.runId,
    have,
    inp.bakePrint,
    bases.baked,
    new Set(Object.keys(inp.skip?.skip ?? {})),
    inp.services?.pins,
  )
  gens.push(...bases.gens)
  const overridePath = path.join(runDir, 'compose.cache.json')
  // plain progress: the build's "#N CACHED" lines are counted for the hit report (tty: BuildKit's records, read back)
  const argv = [
    'compose',
    ...composeProgressArg(inp.progress ?? 'plain'),
    '-p',
    s.projectName,
    ...composeFileArgs(s),
    '-f',
    overridePath,
    'up',
    '--build',
    '-d',
    ...inp.extraArgs,
  ]
  const content = JSON.stringify(yaml, null, 2) + '\n'
  const pinned = Object.values(bases.pinRefs).some((r) => content.includes(`"docker-image://${r}"`))
  const override: Step = pinned
    ? {
        kind: 'pin-bases',
        why: 'compose override with shared caches, bases pinned to the digests just pushed',
        path: overridePath,
        json: yaml,
        metadataFile: bases.metadataFile,
        refs: bases.pinRefs,
      }
    : {
        kind: 'write',
        why: 'compose override with per-service caches',
        path: overridePath,
        content,
        mode: 0o644,
        reason: 'changed',
      }
  const steps: Step[] = [
    // first: a wrong login or address stops before anything is written
    ...checkRegistryStep(ctx),
    ...inp.renderWrites,
    ...builderConfigWrites(s, inp.builder),
    { kind: 'mkdir', why: 'reports, run and cache folders', paths: [paths.reports, runDir, ...new Set(gens.map((g) => g.dir))] },
    ...seedCacheSteps(gens),
    ...(pinned ? [] : [override]),
    ...bases.writes,
    ensureRegistryStep(s, env),
    ensureBuilderStep(s, inp.builder, env),
    ...bases.bakes,
    ...(pinned ? [override] : []),
    {
      kind: 'docker',
      why: `build and start the ${s.mode}-mode stack on builder ${s.builder.name}`,
      argv,
      env,
      cwd: s.projectDir,
      report: { command: 'up', file: reportFile, final: true, progress: inp.progress ?? 'plain', builder: s.builder.name },
      builder: s.builder.name,
    },
  ]
  if (svc)
    steps.push({
      kind: 'record-services',
      why: "record each service's inputs with the image compose built, and the stack's containers",
      dir: svc.dir,
      records: svc.records,
      inspect: imageIdsArgv(Object.values(svc.records).map((r) => r.image)),
      ps: containersArgv(s.projectName),
      stack: svc.stack,
    })
  steps.push(...statCacheSteps(inp.skip ?? svc))
  if (gens.length) steps.push({ kind: 'promote-cache', why: "make this run's local cache exports current", gens })
  steps.push({ kind: 'cleanup', why: "remove this run's generated files", paths: [runDir] })
  const caches = Object.fromEntries(
    Object.entries(yaml.services).map(([t, v]) => [t, { from: v.build.cache_from, to: v.build.cache_to }]),
  )
  return {
    command: 'up',
    project: s.projectDir,
    mode: s.mode,
    env,
    caches,
    steps,
    envSources: envSources(s, env),
    ...argNotes(s),
    skip: upSkipInfo(inp, reportFile),
  }
}
