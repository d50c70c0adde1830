// `docker esb up` and `down` as plans: bake the bases the stack builds on,
// then `docker compose up --build -d` on the same builder with a generated
// override giving each buildable service its own caches. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import { cacheFlagsFor } from '../cache/flags.ts'
import { builderConfigWrites, ensureBuilderStep, type BuilderInputs } from '../builder/plan.ts'
import { ensureRegistryStep, infraCompose } from '../registry/plan.ts'
import { checkRegistryStep } from '../buildregistry/steps.ts'
import { DEFAULT_DOCKER_CONFIG } from '../docker/config.ts'
import { buildPlan, seedCacheSteps, skipInfo, statCacheSteps } from '../bake/plan.ts'
import { groupTargets } from '../bake/phases.ts'
import { targetTag } from '../bake/override.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import type { SkipPlan } from '../skip/check.ts'
import { envSources, stackEnv } from '../plan/env.ts'
import type { CacheGen, Plan, SkipInfo, Step } from '../plan/types.ts'
import type { ComposeConfig } from './types.ts'
import { composeProgressArg, type ProgressMode } from '../report/mode.ts'
import { bakedRefs, baseContexts, sharedTargets } from './share.ts'
import type { ServiceSkip } from './skip.ts'
import { containersArgv, imageIdsArgv } from './engine.ts'

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
  /** the bases that are unchanged (skipped) and why the others are rebuilt */
  skip?: SkipPlan
  /** the docker config folder (credentials for [registry] build_address) */
  dockerConfigDir?: string
  /** bake variables the project's bake files declare (set for the base bake, as build does) */
  bakeVariables?: string[]
  buildxVersion?: string
  /** the services that are unchanged since compose built them (compose/skip.ts) */
  services?: ServiceSkip
  /** how build output is shown (report/mode.ts); default plain */
  progress?: ProgressMode
}

type ServiceOverride = { build: { cache_from: string[]; cache_to: string[]; additional_contexts?: Record<string, string> } }

/**
 * Services with a build section get caches through an override file: a
 * service that builds what a bake target builds uses that target's cache
 * (read only when this run just baked it), and its `service:<base>` contexts
 * the base image just pushed; any other service has its own cache.
 * `baked`: bake target -> tag, for the bases baked in this run.
 */
export function composeOverride(
  s: Settings,
  config: ComposeConfig,
  runId: string,
  haveLocal: (t: string) => boolean = () => true,
  print?: BakeFile,
  baked: Record<string, string> = {},
  current = new Set<string>(),
): { yaml: { services: Record<string, ServiceOverride> }; gens: CacheGen[]; shared: Record<string, string> } {
  const services: Record<string, ServiceOverride> = {}
  const gens: CacheGen[] = []
  const shared = sharedTargets(s, config, print)
  const bases = print ? groupTargets(print, 'base-images') : []
  for (const [name, svc] of Object.entries(config.services ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!svc?.build) continue
    // per mode: the same service builds differently in each mode (build args), so they must not share a cache
    const cname = shared[name] ?? `svc-${s.mode}-${name}`
    // a compose service is a control-plane image unless it builds one of the bake file's bases
    const c = cacheFlagsFor(s, cname, bases.includes(cname) ? 'bases' : 'control', runId, haveLocal(cname))
    // a base baked in this run, or a target unchanged since its last build: its cache is current
    const fresh = baked[cname] !== undefined || current.has(cname)
    services[name] = { build: { cache_from: c.cacheFrom, cache_to: fresh ? [] : c.cacheTo } }
    const ctx = baseContexts(svc, shared, baked)
    if (ctx) services[name].build.additional_contexts = ctx
    if (c.localGen && !fresh) gens.push({ target: cname, dir: path.dirname(c.localGen), gen: c.localGen })
  }
  return { yaml: { services }, gens, shared }
}

interface BaseBake {
  steps: Step[]
  gens: CacheGen[]
  /** base target -> the reference its children use: its tag (pinned after the bake) or tag@digest (skipped, unchanged) */
  baked: Record<string, string>
  /** the bases this run bakes: their tags, pinned from the metadata file */
  pinRefs: Record<string, string>
  metadataFile: string
}

/** The base-images phase of build (only its targets), reporting into up's report. */
function baseSteps(inp: UpPlanInputs, runDir: string, reportFile: string): BaseBake {
  const print = inp.bakePrint
  if (!print?.group?.['base-images']) return { steps: [], gens: [], baked: {}, pinRefs: {}, metadataFile: '' }
  const s = inp.settings
  const targets = groupTargets(print, 'base-images')
  const basePrint: BakeFile = {
    group: { 'base-images': print.group['base-images'] },
    target: Object.fromEntries(targets.map((t) => [t, print.target[t]])),
  }
  const b = buildPlan({
    ...inp,
    bakePrint: basePrint,
    settings: { ...s, bake: { ...s.bake, groups: ['base-images'] } },
    renderWrites: [],
    functionDockerfiles: [],
    extraArgs: [],
  })
  const steps: Step[] = []
  const gens: CacheGen[] = []
  let metadataFile = ''
  for (const st of b.steps) {
    if (st.kind === 'write' && st.path.startsWith(runDir)) steps.push(st)
    if (st.kind === 'docker') {
      steps.push({
        ...st,
        why: 'build the base images the stack builds on',
        report: { ...st.report, command: 'up', file: reportFile, final: false },
      })
      metadataFile = st.argv[st.argv.indexOf('--metadata-file') + 1]
    }
    if (st.kind === 'record-inputs' || st.kind === 'copy-images') steps.push(st)
    if (st.kind === 'promote-cache') gens.push(...st.gens)
  }
  const skip = inp.skip?.skip ?? {}
  const pinRefs = Object.fromEntries(targets.filter((t) => !skip[t]).map((t) => [t, targetTag(s, t)]))
  return { steps, gens, baked: bakedRefs(s, print, skip), pinRefs, metadataFile }
}

/** Bases and services skipped as unchanged, and why the others are rebuilt: services as `service:<name>`. */
function upSkipInfo(inp: UpPlanInputs, reportFile: string): SkipInfo | undefined {
  const base = skipInfo(inp.skip, reportFile, 'up')
  const svc = inp.services
  if (!svc) return base
  const named = (o: Record<string, unknown>) =>
    Object.keys(o)
      .sort()
      .map((n) => `service:${n}`)
  return {
    skipped: [...(base?.skipped ?? []), ...named(svc.skip)],
    rebuild: {
      ...(base?.rebuild ?? {}),
      ...Object.fromEntries(Object.entries(svc.rebuild).map(([n, why]) => [`service:${n}`, why])),
    },
    reportFile,
    command: 'up',
  }
}

/** Every buildable service unchanged, its image still in the engine: start the stack without building. */
function noBuildPlan(inp: UpPlanInputs, reportFile: string): Plan {
  const s = inp.settings
  const env = stackEnv(s)
  // --no-recreate: the containers are as the last up left them (compose/skip.ts). Without it compose
  // would recreate each once, comparing it with the image id rather than the digest its build recorded.
  const argv = ['compose', '-p', s.projectName, ...composeFileArgs(s), 'up', '-d', '--no-recreate', ...inp.extraArgs]
  const steps: Step[] = [
    ...inp.renderWrites,
    ensureRegistryStep(s, env),
    {
      kind: 'docker',
      why: `start the ${s.mode}-mode stack (its images are unchanged: nothing to build)`,
      argv,
      env,
      cwd: s.projectDir,
    },
    ...statCacheSteps(inp.skip ?? inp.services),
  ]
  // no service is built (and so no base, see servicesOff): control targets the services share are not either
  const info = upSkipInfo(inp, reportFile)
  return {
    command: 'up',
    project: s.projectDir,
    mode: s.mode,
    env,
    caches: {},
    steps,
    envSources: envSources(s, env),
    skip: info && { ...info, rebuild: {} },
  }
}

export function upPlan(inp: UpPlanInputs): Plan {
  const s = inp.settings
  const env = stackEnv(s)
  const paths = statePaths(s.projectDir, s.ctx.HOME_DIR)
  const runDir = paths.run(inp.runId)
  const reportFile = paths.report('up')
  const svc = inp.services
  const buildable = Object.keys(svc?.images ?? {})
  if (svc && buildable.length && buildable.every((n) => svc.skip[n] !== undefined)) return noBuildPlan(inp, reportFile)
  const have = (t: string) => inp.localCaches === undefined || inp.localCaches.includes(t)
  // The stack's images build FROM the bases in the registry: bake them first
  // (the same step as build's first phase; fully cached when nothing changed).
  const bases = baseSteps(inp, runDir, reportFile)
  const { yaml, gens } = composeOverride(
    s,
    inp.composeConfig,
    inp.runId,
    have,
    inp.bakePrint,
    bases.baked,
    new Set(Object.keys(inp.skip?.skip ?? {})),
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
    ...checkRegistryStep(s, inp.dockerConfigDir ?? DEFAULT_DOCKER_CONFIG),
    ...inp.renderWrites,
    ...builderConfigWrites(s, inp.builder),
    { kind: 'mkdir', why: 'reports, run and cache folders', paths: [paths.reports, runDir, ...new Set(gens.map((g) => g.dir))] },
    ...seedCacheSteps(gens),
    ...(pinned ? [] : [override]),
    ...bases.steps.filter((x) => x.kind === 'write'),
    ensureRegistryStep(s, env),
    ensureBuilderStep(s, inp.builder, env),
    ...bases.steps.filter((x) => x.kind === 'docker' || x.kind === 'record-inputs' || x.kind === 'copy-images'),
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
    skip: upSkipInfo(inp, reportFile),
  }
}

export function downPlan(s: Settings, withRegistry: boolean, extraArgs: string[]): Plan {
  const env = stackEnv(s)
  const steps: Step[] = [
    {
      kind: 'docker',
      why: `stop the ${s.mode}-mode stack ${s.projectName}`,
      argv: ['compose', '-p', s.projectName, ...composeFileArgs(s), 'down', ...extraArgs],
      env,
      cwd: s.projectDir,
    },
  ]
  if (withRegistry)
    steps.push({
      kind: 'docker',
      why: 'stop the local registry (its data volume is kept)',
      argv: [...infraCompose(s), 'down'],
      env,
      cwd: s.projectDir,
    })
  return { command: 'down', project: s.projectDir, mode: s.mode, env, caches: {}, steps }
}
