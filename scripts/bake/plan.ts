// `docker esb build` as a plan: render, registry, builder, then bake in
// phases (bases first) with per-target caches, promote the local caches,
// remove the run's files. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import { hasFsEntitlements } from '../docker/version.ts'
import { functionsFrom } from '../functions/discover.ts'
import { globTarget, type FunctionTarget } from '../functions/targets.ts'
import { UsageError } from '../errors.ts'
import { builderConfigWrites, ensureBuilderStep, type BuilderInputs } from '../builder/plan.ts'
import { ensureRegistryStep } from '../registry/plan.ts'
import { checkRegistryStep, copyToLocalStep } from '../buildregistry/steps.ts'
import { DEFAULT_DOCKER_CONFIG } from '../docker/config.ts'
import { envSources, stackEnv } from '../plan/env.ts'
import type { CacheGen, Plan, SkipInfo, Step } from '../plan/types.ts'
import { bakeOverride, targetTag } from './override.ts'
import { bakeVariableEnv } from './vars.ts'
import { bakePhases, groupTargets, phase2Contexts, pinBases, targetsFromPrint } from './phases.ts'
import type { SkipPlan } from '../skip/check.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import { bakeProgressArg, type ProgressMode } from '../report/mode.ts'

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
  /** cache names (targets, svc-<service>) that have a complete local export */
  localCaches?: string[]
  /** `docker buildx version` */
  buildxVersion?: string
  /** the report this build writes into (`up` bakes its bases into its own report) */
  reportCommand?: string
  /** how bake's output is shown (report/mode.ts); default plain */
  progress?: ProgressMode
  /** targets that are unchanged (skipped) and why the others are rebuilt; none: build everything */
  skip?: SkipPlan
  /** the docker config folder (credentials for [registry] build_address) */
  dockerConfigDir?: string
}

/** Push guard: every tag a build would push is on the project's registry (or allowed by [bake] push_allow). */
export function checkPushTargets(s: Settings, json: BakeFile): void {
  const ok = [`${s.registry.buildAddress}/`, ...s.bake.pushAllow]
  for (const [t, def] of Object.entries(json.target)) {
    for (const tag of def.tags ?? []) {
      if (!ok.some((p) => tag.startsWith(p)))
        throw new UsageError(
          `target ${t} would push ${tag}, which is not on the project's registry ${s.registry.buildAddress}; fix its name, or allow the prefix with [bake] push_allow in esb.toml`,
        )
    }
  }
}

/** `docker buildx bake` argv for one phase. */
function bakeArgv(s: Settings, inp: BuildPlanInputs, overridePath: string, metadataFile: string, groups: string[]): string[] {
  const argv = ['buildx', 'bake', '--builder', s.builder.name]
  for (const f of s.bake.files) argv.push('-f', path.resolve(s.projectDir, f))
  argv.push('-f', overridePath)
  if (hasFsEntitlements(inp.buildxVersion)) {
    argv.push('--allow', `fs.read=${s.projectDir}`, '--allow', `fs.write=${s.cache.dir}`)
    // artifact entries outside the project are read too
    for (const c of new Set((inp.artifactFunctions ?? []).map((f) => f.context)))
      if (!c.startsWith(s.projectDir + path.sep)) argv.push('--allow', `fs.read=${c}`)
  }
  if (!s.bake.provenance) argv.push('--provenance=false')
  argv.push(bakeProgressArg(inp.progress ?? 'plain'), '--metadata-file', metadataFile)
  argv.push(...inp.extraArgs, ...groups)
  return argv
}

/** The targets a phase's groups name (`functions` is docker esb's own group). */
export function phaseTargets(print: BakeFile, groups: string[], fns: FunctionTarget[]): string[] {
  return [
    ...new Set(
      groups.flatMap((g) => (g === 'functions' && !print.group?.functions ? fns.map((f) => f.target) : groupTargets(print, g))),
    ),
  ]
}

/** Before the bakes: seed this run's local exports with the current blobs. */
export function seedCacheSteps(gens: CacheGen[]): Step[] {
  return gens.length
    ? [
        {
          kind: 'seed-cache',
          why: "link the current local cache blobs into this run's exports (only new blobs are written)",
          gens,
        },
      ]
    : []
}

/** After the bakes: keep the stat cache of the skip check. */
export function statCacheSteps(skip: Pick<SkipPlan, 'dir' | 'statCache'> | undefined): Step[] {
  return skip
    ? [
        {
          kind: 'save-stat-cache',
          why: 'remember context file hashes (unchanged files are not re-read)',
          dir: skip.dir,
          cache: skip.statCache,
        },
      ]
    : []
}

/** What a plan says about the skip, for its log lines and report. */
export function skipInfo(skip: SkipPlan | undefined, reportFile: string, command: string): SkipInfo | undefined {
  return skip ? { skipped: Object.keys(skip.skip).sort(), rebuild: skip.rebuild, reportFile, command } : undefined
}

/** Drops the cache flags of targets this run skips: they export nothing. */
function withoutSkipped(json: BakeFile, gens: CacheGen[], skip: Record<string, string>): CacheGen[] {
  for (const t of Object.keys(skip))
    if (json.target[t]) {
      delete json.target[t]['cache-from']
      delete json.target[t]['cache-to']
    }
  return gens.filter((g) => skip[g.target] === undefined)
}

export function buildPlan(inp: BuildPlanInputs): Plan {
  const s = inp.settings
  const env = { ...stackEnv(s), ...bakeVariableEnv(s, inp.bakeVariables ?? []) }
  const paths = statePaths(s.projectDir, s.ctx.HOME_DIR)
  const runDir = paths.run(inp.runId)
  const fns = allFunctions(inp)
  const targets = targetsFromPrint(inp.bakePrint)
  const have = (t: string) => inp.localCaches === undefined || inp.localCaches.includes(t)
  const phases = bakePhases(s, fns.length > 0)
  const skip = inp.skip?.skip ?? {}
  const reportFile = paths.report(inp.reportCommand ?? 'build')
  const configDir = inp.dockerConfigDir ?? DEFAULT_DOCKER_CONFIG
  const metadata = (i: number) => path.join(runDir, `bake-metadata.${i + 1}.json`)
  const writes: Step[] = []
  const bakes: Step[] = []
  const allGens: CacheGen[] = []
  const caches: Plan['caches'] = {}
  // the phases that still have something to build, after the skip
  const all = phases.map((groups) => phaseTargets(inp.bakePrint, groups, fns))
  // a phase whose groups name no known target is sent as it is: bake knows best
  const todo = all.map((ts, i) => (ts.length ? ts.filter((t) => skip[t] === undefined) : phases[i]))
  const lastRun = todo.map((t) => t.length > 0).lastIndexOf(true)
  let ranBefore = -1
  phases.forEach((groups, i) => {
    // each phase exports into its own folders; the last complete export is promoted
    const id = phases.length > 1 ? `${inp.runId}.${i + 1}` : inp.runId
    const { json, gens } = bakeOverride(s, targets, fns, id, have, groupTargets(inp.bakePrint, 'base-images'))
    if (i === 0) checkPushTargets(s, json)
    const built = withoutSkipped(json, gens, skip)
    for (const t of todo[i])
      if (json.target[t]) caches[t] ??= { from: json.target[t]['cache-from'] ?? [], to: json.target[t]['cache-to'] ?? [] }
    const overridePath = path.join(runDir, phases.length > 1 ? `bake.generated.${i + 1}.json` : 'bake.generated.json')
    if (i > 0) {
      // phase 2 builds on the bases just pushed, or on the unchanged ones the registry holds
      const bases = phases
        .slice(0, i)
        .flat()
        .flatMap((g) => groupTargets(inp.bakePrint, g))
      const { contexts, refs } = phase2Contexts(inp.bakePrint, fns, bases, (t) => targetTag(s, t))
      for (const [t, c] of Object.entries(contexts)) json.target[t] = { ...(json.target[t] ?? {}), contexts: c }
      for (const b of Object.keys(refs))
        if (skip[b]) {
          json.target = pinBases(json.target, { [b]: refs[b] }, { [b]: { 'containerimage.digest': skip[b] } })
          delete refs[b]
        }
      if (todo[i].length && Object.keys(refs).length && ranBefore >= 0)
        bakes.push({
          kind: 'pin-bases',
          why: `bake file for ${groups.join(', ')}, bases pinned to the digests just pushed`,
          path: overridePath,
          json,
          metadataFile: metadata(ranBefore),
          refs,
        })
      else if (todo[i].length)
        writes.push({
          kind: 'write',
          why: `bake file for ${groups.join(', ')}, on the unchanged bases`,
          path: overridePath,
          content: JSON.stringify(json, null, 2) + '\n',
          mode: 0o644,
          reason: 'changed',
        })
    } else if (todo[i].length) {
      writes.push({
        kind: 'write',
        why: 'bake file with function targets and per-target caches',
        path: overridePath,
        content: JSON.stringify(json, null, 2) + '\n',
        mode: 0o644,
        reason: 'changed',
      })
    }
    if (!todo[i].length) return
    allGens.push(...built)
    // a partial skip names the targets to build instead of the groups
    const names = inp.skip && todo[i].length < all[i].length ? todo[i] : groups
    bakes.push({
      kind: 'docker',
      why: `build ${names.join(', ')}; push to ${s.registry.build ? `the build registry ${s.registry.buildAddress}` : 'the local registry'}`,
      argv: bakeArgv(s, inp, overridePath, metadata(i), names),
      env,
      cwd: s.projectDir,
      report: {
        command: inp.reportCommand ?? 'build',
        file: reportFile,
        final: i === lastRun,
        ...(names !== groups ? { targets: names } : {}),
        progress: inp.progress ?? 'plain',
        metadataFile: metadata(i),
        builder: s.builder.name,
      },
      builder: s.builder.name,
    })
    const rec = Object.fromEntries(todo[i].filter((t) => inp.skip?.records[t]).map((t) => [t, inp.skip!.records[t]]))
    if (inp.skip && Object.keys(rec).length)
      bakes.push({
        kind: 'record-inputs',
        why: 'remember the inputs of what was built, to skip it when unchanged',
        dir: inp.skip.dir,
        metadataFile: metadata(i),
        records: rec,
      })
    ranBefore = i
  })
  const steps: Step[] = [
    // first: a wrong login or address stops the build before anything is written
    ...checkRegistryStep(s, configDir),
    ...inp.renderWrites,
    ...builderConfigWrites(s, inp.builder),
    {
      kind: 'mkdir',
      why: 'reports, run and cache folders',
      paths: [paths.reports, runDir, ...new Set(allGens.map((g) => g.dir))],
    },
    ...seedCacheSteps(allGens),
    ...writes,
    ensureRegistryStep(s, env),
    // nothing to build: the builder is not even needed
    ...(bakes.length ? [ensureBuilderStep(s, inp.builder, env)] : []),
    ...bakes,
    // skipped targets too: a fresh local registry gets every image the stack runs
    ...copyToLocalStep(
      s,
      configDir,
      all.flat().map((t) => fns.find((f) => f.target === t)?.tag ?? targetTag(s, t)),
    ),
  ]
  steps.push(...statCacheSteps(inp.skip))
  if (allGens.length) steps.push({ kind: 'promote-cache', why: "make this run's local cache exports current", gens: allGens })
  steps.push({ kind: 'cleanup', why: "remove this run's generated files", paths: [runDir] })
  const sorted = Object.fromEntries(Object.entries(caches).sort(([a], [b]) => a.localeCompare(b)))
  return {
    command: 'build',
    project: s.projectDir,
    mode: s.mode,
    env,
    caches: sorted,
    steps,
    envSources: envSources(s, env),
    skip: skipInfo(inp.skip, reportFile, inp.reportCommand ?? 'build'),
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
