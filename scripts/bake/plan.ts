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
import { envSources, stackEnv } from '../plan/env.ts'
import type { CacheGen, Plan, Step } from '../plan/types.ts'
import { bakeOverride, targetTag } from './override.ts'
import { bakeVariableEnv } from './vars.ts'
import { bakePhases, groupTargets, phase2Contexts, targetsFromPrint } from './phases.ts'
import type { BakeFile } from './types.ts'

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
}

/** Push guard: every tag a build would push is on the project's registry (or allowed by [bake] push_allow). */
export function checkPushTargets(s: Settings, json: BakeFile): void {
  const ok = [`${s.registry.buildAddress}/`, ...s.bake.pushAllow]
  for (const [t, def] of Object.entries(json.target)) {
    for (const tag of def.tags ?? []) {
      if (!ok.some((p) => tag.startsWith(p))) throw new UsageError(`target ${t} would push ${tag}, which is not on the project's registry ${s.registry.buildAddress}; fix its name, or allow the prefix with [bake] push_allow in esb.toml`)
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
    for (const c of new Set((inp.artifactFunctions ?? []).map((f) => f.context))) if (!c.startsWith(s.projectDir + path.sep)) argv.push('--allow', `fs.read=${c}`)
  }
  if (!s.bake.provenance) argv.push('--provenance=false')
  argv.push('--progress=rawjson', '--metadata-file', metadataFile)
  argv.push(...inp.extraArgs, ...groups)
  return argv
}

export function buildPlan(inp: BuildPlanInputs): Plan {
  const s = inp.settings
  const env = { ...stackEnv(s), ...bakeVariableEnv(s, inp.bakeVariables ?? []) }
  const paths = statePaths(s.projectDir, s.ctx.HOME_DIR)
  const runDir = paths.run(inp.runId)
  const fns = [...functionsFrom(inp.functionDockerfiles).map((f) => globTarget(s, f)), ...(inp.artifactFunctions ?? [])]
  const targets = targetsFromPrint(inp.bakePrint)
  const have = (t: string) => inp.localCaches === undefined || inp.localCaches.includes(t)
  const phases = bakePhases(s, fns.length > 0)
  const reportFile = paths.report(inp.reportCommand ?? 'build')
  const metadata = (i: number) => path.join(runDir, `bake-metadata.${i + 1}.json`)
  const writes: Step[] = []
  const bakes: Step[] = []
  const allGens: CacheGen[] = []
  const caches: Plan['caches'] = {}
  phases.forEach((groups, i) => {
    // each phase exports into its own folders; the last complete export is promoted
    const id = phases.length > 1 ? `${inp.runId}.${i + 1}` : inp.runId
    const { json, gens } = bakeOverride(s, targets, fns, id, have)
    if (i === 0) checkPushTargets(s, json)
    allGens.push(...gens)
    for (const [t, v] of Object.entries(json.target)) caches[t] ??= { from: v['cache-from'] ?? [], to: v['cache-to'] ?? [] }
    const overridePath = path.join(runDir, phases.length > 1 ? `bake.generated.${i + 1}.json` : 'bake.generated.json')
    const run: Step = {
      kind: 'docker',
      why: `build ${groups.join(', ')}; push to the local registry`,
      argv: bakeArgv(s, inp, overridePath, metadata(i), groups),
      env, cwd: s.projectDir,
      report: { command: inp.reportCommand ?? 'build', file: reportFile, final: i === phases.length - 1 },
      builder: s.builder.name,
    }
    if (i === 0) {
      writes.push({ kind: 'write', why: 'bake file with function targets and per-target caches', path: overridePath, content: JSON.stringify(json, null, 2) + '\n', mode: 0o644, reason: 'changed' })
      bakes.push(run)
    } else {
      const bases = phases.slice(0, i).flat().flatMap((g) => groupTargets(inp.bakePrint, g))
      const { contexts, refs } = phase2Contexts(inp.bakePrint, fns, bases, (t) => targetTag(s, t))
      for (const [t, c] of Object.entries(contexts)) json.target[t] = { ...(json.target[t] ?? {}), contexts: c }
      bakes.push({ kind: 'pin-bases', why: `bake file for ${groups.join(', ')}, bases pinned to the digests just pushed`, path: overridePath, json, metadataFile: metadata(i - 1), refs }, run)
    }
  })
  const steps: Step[] = [
    ...inp.renderWrites,
    ...builderConfigWrites(s, inp.builder),
    { kind: 'mkdir', why: 'reports, run and cache folders', paths: [paths.reports, runDir, ...new Set(allGens.map((g) => g.dir))] },
    ...writes,
    ensureRegistryStep(s, env),
    ensureBuilderStep(s, inp.builder, env),
    ...bakes,
  ]
  if (allGens.length) steps.push({ kind: 'promote-cache', why: 'make this run\'s local cache exports current', gens: allGens })
  steps.push({ kind: 'cleanup', why: 'remove this run\'s generated files', paths: [runDir] })
  const sorted = Object.fromEntries(Object.entries(caches).sort(([a], [b]) => a.localeCompare(b)))
  return { command: 'build', project: s.projectDir, mode: s.mode, env, caches: sorted, steps, envSources: envSources(s, env) }
}
