// `docker esb up` and `down` as plans: bake the bases the stack builds on,
// then `docker compose up --build -d` on the same builder with a generated
// override giving each buildable service its own caches. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import { cacheFlagsFor } from '../cache/flags.ts'
import { builderConfigWrites, ensureBuilderStep, type BuilderInputs } from '../builder/plan.ts'
import { ensureRegistryStep, infraCompose } from '../registry/plan.ts'
import { buildPlan } from '../bake/plan.ts'
import type { BakeFile } from '../bake/types.ts'
import { envSources, stackEnv } from '../plan/env.ts'
import type { CacheGen, Plan, Step } from '../plan/types.ts'
import type { ComposeConfig } from './types.ts'

export function modeComposeFile(s: Settings): string {
  return path.join(s.templates.out, `docker-compose.${s.mode}.yml`)
}

/** The mode's compose file, then [compose] files (`{mode}` replaced), as `-f` arguments. */
export function composeFileArgs(s: Settings): string[] {
  const extra = s.compose.files.map((f) => path.resolve(s.projectDir, f.replaceAll('{mode}', s.mode)))
  return [modeComposeFile(s), ...extra].flatMap((f) => ['-f', f])
}

export interface UpPlanInputs {
  settings: Settings
  renderWrites: Step[]
  builder: BuilderInputs
  /** `docker compose config --format json` of the mode file */
  composeConfig: ComposeConfig
  runId: string
  extraArgs: string[]
  localCaches?: string[]
  /** `docker buildx bake --print` when the project has a bake file: its bases are built first */
  bakePrint?: BakeFile
  /** bake variables the project's bake files declare (set for the base bake, as build does) */
  bakeVariables?: string[]
  buildxVersion?: string
}

/** Services with a build section get per-service caches through an override file. */
export function composeOverride(s: Settings, config: ComposeConfig, runId: string, haveLocal: (t: string) => boolean = () => true): { yaml: { services: Record<string, { build: { cache_from: string[]; cache_to: string[] } }> }; gens: CacheGen[] } {
  const services: Record<string, { build: { cache_from: string[]; cache_to: string[] } }> = {}
  const gens: CacheGen[] = []
  for (const [name, svc] of Object.entries(config.services ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!svc?.build) continue
    // per mode: the same service builds differently in each mode (build args), so they must not share a cache
    const cname = `svc-${s.mode}-${name}`
    const c = cacheFlagsFor(s, cname, runId, haveLocal(cname))
    services[name] = { build: { cache_from: c.cacheFrom, cache_to: c.cacheTo } }
    if (c.localGen) gens.push({ target: cname, dir: path.dirname(c.localGen), gen: c.localGen })
  }
  return { yaml: { services }, gens }
}

/** The base-images phase of build, reporting into up's report. */
function baseSteps(inp: UpPlanInputs, runDir: string, reportFile: string): { steps: Step[]; gens: CacheGen[] } {
  if (!inp.bakePrint?.group?.['base-images']) return { steps: [], gens: [] }
  const s = inp.settings
  const b = buildPlan({ ...inp, bakePrint: inp.bakePrint, settings: { ...s, bake: { ...s.bake, groups: ['base-images'] } }, renderWrites: [], functionDockerfiles: [], extraArgs: [] })
  const steps: Step[] = []
  const gens: CacheGen[] = []
  for (const st of b.steps) {
    if (st.kind === 'write' && st.path.startsWith(runDir)) steps.push(st)
    if (st.kind === 'docker') steps.push({ ...st, why: 'build the base images the stack builds on', report: { command: 'up', file: reportFile, final: false } })
    if (st.kind === 'promote-cache') gens.push(...st.gens)
  }
  return { steps, gens }
}

export function upPlan(inp: UpPlanInputs): Plan {
  const s = inp.settings
  const env = stackEnv(s)
  const paths = statePaths(s.projectDir, s.ctx.HOME_DIR)
  const runDir = paths.run(inp.runId)
  const reportFile = paths.report('up')
  const have = (t: string) => inp.localCaches === undefined || inp.localCaches.includes(t)
  const { yaml, gens } = composeOverride(s, inp.composeConfig, inp.runId, have)
  const overridePath = path.join(runDir, 'compose.cache.json')
  // plain progress: the build's "#N CACHED" lines are counted for the hit report
  const argv = ['compose', '--progress', 'plain', '-p', s.projectName, ...composeFileArgs(s), '-f', overridePath, 'up', '--build', '-d', ...inp.extraArgs]
  // The stack's images build FROM the bases in the registry: bake them first
  // (the same step as build's first phase; fully cached when nothing changed).
  const bases = baseSteps(inp, runDir, reportFile)
  gens.push(...bases.gens)
  const steps: Step[] = [
    ...inp.renderWrites,
    ...builderConfigWrites(s, inp.builder),
    { kind: 'mkdir', why: 'reports, run and cache folders', paths: [paths.reports, runDir, ...gens.map((g) => g.dir)] },
    { kind: 'write', why: 'compose override with per-service caches', path: overridePath, content: JSON.stringify(yaml, null, 2) + '\n', mode: 0o644, reason: 'changed' },
    ...bases.steps.filter((x) => x.kind === 'write'),
    ensureRegistryStep(s, env),
    ensureBuilderStep(s, inp.builder, env),
    ...bases.steps.filter((x) => x.kind === 'docker'),
    {
      kind: 'docker', why: `build and start the ${s.mode}-mode stack on builder ${s.builder.name}`, argv, env, cwd: s.projectDir,
      report: { command: 'up', file: reportFile, final: true },
      builder: s.builder.name,
    },
  ]
  if (gens.length) steps.push({ kind: 'promote-cache', why: 'make this run\'s local cache exports current', gens })
  steps.push({ kind: 'cleanup', why: 'remove this run\'s generated files', paths: [runDir] })
  const caches = Object.fromEntries(Object.entries(yaml.services).map(([t, v]) => [t, { from: v.build.cache_from, to: v.build.cache_to }]))
  return { command: 'up', project: s.projectDir, mode: s.mode, env, caches, steps, envSources: envSources(s, env) }
}

export function downPlan(s: Settings, withRegistry: boolean, extraArgs: string[]): Plan {
  const env = stackEnv(s)
  const steps: Step[] = [
    { kind: 'docker', why: `stop the ${s.mode}-mode stack ${s.projectName}`, argv: ['compose', '-p', s.projectName, ...composeFileArgs(s), 'down', ...extraArgs], env, cwd: s.projectDir },
  ]
  if (withRegistry) steps.push({ kind: 'docker', why: 'stop the local registry (its data volume is kept)', argv: [...infraCompose(s), 'down'], env, cwd: s.projectDir })
  return { command: 'down', project: s.projectDir, mode: s.mode, env, caches: {}, steps }
}
