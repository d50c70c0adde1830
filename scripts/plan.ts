// Plans: what build/up/down will do, as plain data. Nothing here spawns or
// writes; runner.ts executes a plan, `--dry-run` prints it.
import path from 'node:path'
import type { Settings } from './config.ts'
import { cacheFlagsFor } from './cache.ts'
import { GEN_MIN_AGE_MS } from './cachefs.ts'

export type Env = Record<string, string>

export type Step =
  /** a file we generate (rendered template, bake/compose override) */
  | { kind: 'write'; why: string; path: string; content: string; mode: number | null; reason: 'new' | 'changed' }
  /** folders that must exist (reports, cache folders) */
  | { kind: 'mkdir'; why: string; paths: string[] }
  /** a docker invocation: argv after `docker` (global flags are added by the runner) */
  | {
      kind: 'docker'; why: string; argv: string[]; env: Env; cwd: string
      report?: { command: string; file: string; final?: boolean }
      /** the builder this call builds on (held shared while it runs) */
      builder?: string
    }
  /** create the builder unless `inspect` shows it exists with the same fingerprint */
  | { kind: 'ensure-builder'; why: string; name: string; inspect: string[]; create: string[]; remove: string[]; bootstrap: string[]; fingerprint: string; stateFile: string; env: Env }
  /** start the registry unless it already answers; then wait for GET /v2/ == 200 */
  | { kind: 'ensure-registry'; why: string; url: string; port: number; timeoutMs: number; up: string[]; env: Env; cwd: string; containerName: string }
  /** write a phase-2 bake file whose base contexts are pinned to the digests phase 1 pushed */
  | { kind: 'pin-bases'; why: string; path: string; json: any; metadataFile: string; refs: Record<string, string> }
  /** remove local cache generations that are not current (and not younger than minAgeMs), and old run folders */
  | { kind: 'prune-local'; why: string; cacheDir: string; runsDir: string; minAgeMs: number }
  /** remove this run's own files */
  | { kind: 'cleanup'; why: string; paths: string[] }
  /** swap the local cache `current` symlink of each target to this run's export */
  | { kind: 'promote-cache'; why: string; gens: { target: string; dir: string; gen: string }[] }

export interface Plan {
  command: string
  project: string
  mode: string
  env: Env
  /** per target (bake) or per service (compose): where its cache comes from and goes to */
  caches: Record<string, { from: string[]; to: string[] }>
  steps: Step[]
}

/** The environment every docker child gets (besides the user's own). */
export function stackEnv(s: Settings): Env {
  const P = s.prefix
  const env: Env = {
    ...s.fileVars,
    BUILDX_BUILDER: s.builder.name,
    DOCKER_BUILDKIT: '1',
    CONTAINER_REGISTRY: s.registry.runtimeAddress,
    HOST_REGISTRY_ADDR: s.registry.buildAddress,
    PORT_REGISTRY: String(s.registry.port),
    REGISTRY_BIND: s.registry.bind,
    REGISTRY_IMAGE: s.registry.image,
    REGISTRY_CONTAINER_NAME: s.registry.containerName,
    PROJECT_NAME: s.projectName,
    ENV: s.env,
    MODE: s.mode,
    CERT_DIR: s.fileVars.CERT_DIR ?? `./${s.ctx.HOME_DIR}/certs`,
    BUILDKITD_CONFIG: s.builder.buildkitdConfig,
    [`${P}_ENV`]: s.env,
    [`${P}_MODE`]: s.mode,
    [`${P}_TAG`]: s.tag,
    [`${P}_REGISTRY`]: `${s.registry.buildAddress}/`,
    [`${P}_REPO`]: s.projectDir,
    // The existing stack spells these literally in some compose files.
    ESB_REGISTRY: `${s.registry.buildAddress}/`,
    ESB_TAG: s.tag,
  }
  if (s.mode === 'containerd') env.CONTAINER_REGISTRY_INSECURE = '1'
  // Provenance attestations change the digest on every build, so `up --build` would recreate containers.
  if (!s.bake.provenance) env.BUILDX_NO_DEFAULT_ATTESTATIONS = '1'
  return env
}

export function modeComposeFile(s: Settings): string {
  return path.join(s.templates.out, `docker-compose.${s.mode}.yml`)
}
export function infraComposeFile(s: Settings): string {
  return path.join(s.templates.out, 'docker-compose.infra.yml')
}
export function stateDir(s: Settings): string {
  return path.join(s.projectDir, s.ctx.HOME_DIR)
}
/**
 * Files of one run (generated bake/compose files, bake metadata). Per run,
 * never shared: parallel runs that shared one generated file read each
 * other's tags and cache destinations (seen in the e2e tests as corrupted
 * local caches and a missing image).
 */
export function runDir(s: Settings, runId: string): string {
  return path.join(stateDir(s), 'runs', runId)
}

/** Options that define the builder; a change means the builder is recreated (state kept). */
export function builderCreateArgv(s: Settings, procEnv: Record<string, string | undefined>, hasBuildkitdConfig: boolean): string[] {
  const argv = ['buildx', 'create', '--name', s.builder.name, '--driver', 'docker-container', '--driver-opt', 'network=host']
  if (s.builder.image) argv.push('--driver-opt', `image=${s.builder.image}`)
  for (const k of ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    const v = procEnv[k]
    if (!v) continue
    // driver opts are CSV: quote values with commas (no_proxy lists).
    const opt = `env.${k}=${v}`
    argv.push('--driver-opt', opt.includes(',') || opt.includes('"') ? `"${opt.replace(/"/g, '""')}"` : opt)
  }
  for (const o of s.builder.driverOpts) argv.push('--driver-opt', o)
  if (hasBuildkitdConfig) argv.push('--buildkitd-config', s.builder.buildkitdConfig)
  return argv
}

export function fingerprintOf(argv: string[], buildkitdConfig: string | null): string {
  // A readable fingerprint: the create argv plus the config content hash is enough to spot drift.
  let h = 0x811c9dc5
  const text = JSON.stringify([argv, buildkitdConfig ?? ''])
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0 }
  return h.toString(16).padStart(8, '0')
}

/**
 * The buildkitd.toml docker esb writes: plain HTTP for registry names that
 * are not loopback (BuildKit treats 127.0.0.0/8 as plain HTTP by itself), a
 * GC policy so the builder's cache does not grow forever, optional mirrors.
 */
export function buildkitdToml(s: Settings): string {
  const lines = [
    '# Generated by docker esb. To use your own, set BUILDKITD_CONFIG or [builder] buildkitd_config.',
    '',
    `[registry."registry:5010"]`,
    '  http = true',
    '',
  ]
  const rt = s.registry.runtimeAddress
  if (rt !== 'registry:5010' && !/^127\./.test(rt)) lines.push(`[registry."${rt}"]`, '  http = true', '')
  if (s.builder.mirrors.length) lines.push('[registry."docker.io"]', `  mirrors = [${s.builder.mirrors.map((m) => JSON.stringify(m)).join(', ')}]`, '')
  for (const m of s.builder.mirrors) if (!/^127\./.test(m)) lines.push(`[registry."${m}"]`, '  http = true', '')
  lines.push(
    '[worker.oci]',
    '  gc = true',
    '',
    '# local context and cache mounts older than two days go first',
    '[[worker.oci.gcpolicy]]',
    '  filters = ["type==source.local", "type==exec.cachemount", "type==source.git.checkout"]',
    '  keepDuration = "48h"',
    '',
    '# then everything beyond the space kept ([builder] gc_keep)',
    '[[worker.oci.gcpolicy]]',
    '  all = true',
    `  keepBytes = ${JSON.stringify(s.builder.gcKeep)}`,
    '',
  )
  return lines.join('\n')
}

export interface BuilderInputs {
  procEnv: Record<string, string | undefined>
  /** content of the buildkitd config file if present */
  buildkitdConfig: string | null
}

function configWrite(s: Settings): Step[] {
  if (!s.builder.generateConfig) return []
  return [{ kind: 'write', why: 'buildkitd config of the builder', path: s.builder.buildkitdConfig, content: buildkitdToml(s), mode: 0o644, reason: 'changed' }]
}

export function ensureBuilderStep(s: Settings, b: BuilderInputs, env: Env): Step {
  // the generated config is known here; a user's file was read by the caller
  if (s.builder.generateConfig) b = { ...b, buildkitdConfig: buildkitdToml(s) }
  const create = [...builderCreateArgv(s, b.procEnv, b.buildkitdConfig !== null), '--bootstrap']
  return {
    kind: 'ensure-builder',
    why: `docker-container builder ${s.builder.name} (network=host, so it reaches 127.0.0.1:${s.registry.port})`,
    name: s.builder.name,
    inspect: ['buildx', 'inspect', s.builder.name],
    create,
    remove: ['buildx', 'rm', '--keep-state', s.builder.name],
    bootstrap: ['buildx', 'inspect', '--bootstrap', s.builder.name],
    fingerprint: fingerprintOf(create, b.buildkitdConfig),
    stateFile: path.join(stateDir(s), 'builder.json'),
    env,
  }
}

export function ensureRegistryStep(s: Settings, env: Env): Step {
  return {
    kind: 'ensure-registry',
    why: `local registry on ${s.registry.bind}:${s.registry.port} (compose project ${s.registry.composeProject})`,
    url: `http://127.0.0.1:${s.registry.port}/v2/`,
    port: s.registry.port,
    timeoutMs: 60_000,
    up: ['compose', '-p', s.registry.composeProject, '-f', infraComposeFile(s), 'up', '-d', '--wait', 'registry'],
    env,
    cwd: s.projectDir,
    containerName: s.registry.containerName,
  }
}

/** The targets bake will build, from `docker buildx bake --print` JSON. */
export function targetsFromPrint(print: any): string[] {
  return Object.keys(print?.target ?? {}).sort()
}

export interface FunctionDef { name: string; dockerfile: string }

/** Function targets `fn-<name>` from Dockerfiles found by the glob (relative paths). */
export function functionsFrom(dockerfiles: string[]): FunctionDef[] {
  return dockerfiles
    .map((f) => ({ name: path.basename(path.dirname(f)).toLowerCase().replace(/[^a-z0-9-]+/g, '-'), dockerfile: f }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** The generated bake file: function targets and per-target cache flags. */
export function bakeOverride(s: Settings, targets: string[], fns: FunctionDef[], runId: string, haveLocal: (t: string) => boolean = () => true): { json: any; gens: { target: string; dir: string; gen: string }[] } {
  const target: Record<string, any> = {}
  const gens: { target: string; dir: string; gen: string }[] = []
  for (const f of fns) {
    const t = `fn-${f.name}`
    target[t] = {
      context: path.dirname(f.dockerfile),
      dockerfile: path.basename(f.dockerfile),
      contexts: { 'lambda-base': 'target:lambda-base' },
      tags: [`${s.registry.buildAddress}/${s.slug}-${t}:${s.tag}`],
      labels: { [`com.${s.slug}.managed`]: 'true', [`com.${s.slug}.project`]: s.projectName, [`com.${s.slug}.env`]: s.env, [`com.${s.slug}.kind`]: 'function' },
      output: ['type=image,push=true'],
    }
  }
  const all = [...new Set([...targets, ...Object.keys(target)])].sort()
  for (const t of all) {
    const c = cacheFlagsFor(s, t, runId, haveLocal(t))
    target[t] = { ...(target[t] ?? {}), 'cache-from': c.cacheFrom, 'cache-to': c.cacheTo }
    if (c.localGen) gens.push({ target: t, dir: path.dirname(c.localGen), gen: c.localGen })
  }
  const json: any = { target }
  if (fns.length) json.group = { functions: { targets: fns.map((f) => `fn-${f.name}`) } }
  return { json, gens }
}

export function defaultGroups(s: Settings, hasFunctions: boolean): string[] {
  if (s.bake.groups.length && !(s.bake.groups.length === 1 && s.bake.groups[0] === 'default')) return s.bake.groups
  return ['base-images', `control-images-${s.mode}`, ...(hasFunctions ? ['functions'] : [])]
}

export interface BuildPlanInputs {
  settings: Settings
  renderWrites: Step[]
  builder: BuilderInputs
  /** `docker buildx bake --print` of the project's bake files */
  bakePrint: any
  functionDockerfiles: string[]
  runId: string
  extraArgs: string[]
  /** cache names (targets, svc-<service>) that have a complete local export */
  localCaches?: string[]
  /** `docker buildx version`; file-system entitlements (--allow fs.*) exist from 0.19 on */
  buildxVersion?: string
}

function hasFsEntitlements(v: string | undefined): boolean {
  if (!v) return true
  const [maj, min] = v.split('.').map(Number)
  return maj > 0 || min >= 19
}

/**
 * Bake runs in two phases by default: the bases first, then control and
 * function images on top of the bases just pushed (see phase2Contexts).
 * Measured in the e2e tests: with `target:` contexts in one bake and a fresh
 * builder, children share their base's steps across solves, and one child
 * misses its own cache (a function at 0%) although its cache is complete.
 */
export function bakePhases(s: Settings, hasFunctions: boolean): string[][] {
  const groups = defaultGroups(s, hasFunctions)
  if (groups[0] !== 'base-images' || groups.length === 1) return [groups]
  return [['base-images'], groups.slice(1)]
}

/** The targets of a group in `bake --print` output (groups may nest). */
export function groupTargets(print: any, group: string, seen = new Set<string>()): string[] {
  const g = print?.group?.[group]
  if (!g) return print?.target?.[group] ? [group] : []
  const out: string[] = []
  for (const t of g.targets ?? []) {
    if (seen.has(t)) continue
    seen.add(t)
    out.push(...(print.group?.[t] ? groupTargets(print, t, seen) : [t]))
  }
  return [...new Set(out)]
}

/**
 * Phase 2 builds on what phase 1 pushed: every `target:<base>` context of a
 * phase-1 base becomes `docker-image://<its tag>` (pinned to the pushed
 * digest by the runner, so never a stale copy). Children then share no
 * vertices across solves, and each finds its own cache.
 */
export function phase2Contexts(print: any, fns: FunctionDef[], bases: string[]): { contexts: Record<string, Record<string, string>>; refs: Record<string, string> } {
  const refs: Record<string, string> = {}
  for (const b of bases) { const tag = print?.target?.[b]?.tags?.[0]; if (tag) refs[b] = tag }
  const contexts: Record<string, Record<string, string>> = {}
  const swap = (ctx: Record<string, string>) => {
    let changed = false
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(ctx)) {
      const base = typeof v === 'string' && v.startsWith('target:') ? v.slice(7) : null
      if (base && refs[base]) { out[k] = `docker-image://${refs[base]}`; changed = true } else out[k] = v
    }
    return changed ? out : null
  }
  for (const [t, def] of Object.entries<any>(print?.target ?? {})) {
    if (bases.includes(t)) continue
    const c = swap(def?.contexts ?? {})
    if (c) contexts[t] = c
  }
  for (const f of fns) { const c = swap({ 'lambda-base': 'target:lambda-base' }); if (c) contexts[`fn-${f.name}`] = c }
  return { contexts, refs }
}

/** Pins `docker-image://<ref>` contexts to `<ref>@<digest>` from a bake metadata file. Pure. */
export function pinBases(json: any, refs: Record<string, string>, metadata: any): any {
  const out = JSON.parse(JSON.stringify(json))
  for (const def of Object.values<any>(out.target ?? {})) {
    for (const [k, v] of Object.entries<string>(def.contexts ?? {})) {
      const base = Object.keys(refs).find((b) => v === `docker-image://${refs[b]}`)
      if (!base) continue
      const digest = metadata?.[base]?.['containerimage.digest']
      if (!digest) throw new Error(`the base build did not report a digest for ${base}; its image was not pushed`)
      def.contexts[k] = `docker-image://${refs[base]}@${digest}`
    }
  }
  return out
}

export function buildPlan(inp: BuildPlanInputs): Plan {
  const s = inp.settings
  const env = stackEnv(s)
  const fns = functionsFrom(inp.functionDockerfiles)
  const targets = targetsFromPrint(inp.bakePrint)
  const have = (t: string) => inp.localCaches === undefined || inp.localCaches.includes(t)
  const bakeFiles = s.bake.files.map((f) => path.resolve(s.projectDir, f))
  const phases = bakePhases(s, fns.length > 0)
  const reportFile = path.join(stateDir(s), 'reports', 'last-build.json')
  const metadata = (i: number) => path.join(runDir(s, inp.runId), `bake-metadata.${i + 1}.json`)
  const writes: Step[] = []
  const bakes: Step[] = []
  const allGens: { target: string; dir: string; gen: string }[] = []
  let caches: Plan['caches'] = {}
  phases.forEach((groups, i) => {
    // each phase exports into its own folders; the last complete export is promoted
    const id = phases.length > 1 ? `${inp.runId}.${i + 1}` : inp.runId
    const { json, gens } = bakeOverride(s, targets, fns, id, have)
    allGens.push(...gens)
    for (const [t, v] of Object.entries<any>(json.target)) caches[t] ??= { from: v['cache-from'], to: v['cache-to'] }
    const overridePath = path.join(runDir(s, inp.runId), phases.length > 1 ? `bake.generated.${i + 1}.json` : 'bake.generated.json')
    const argv = ['buildx', 'bake', '--builder', s.builder.name]
    for (const f of bakeFiles) argv.push('-f', f)
    argv.push('-f', overridePath)
    if (hasFsEntitlements(inp.buildxVersion)) argv.push('--allow', `fs.read=${s.projectDir}`, '--allow', `fs.write=${s.cache.dir}`)
    if (!s.bake.provenance) argv.push('--provenance=false')
    argv.push('--progress=rawjson', '--metadata-file', metadata(i))
    argv.push(...inp.extraArgs, ...groups)
    const run: Step = {
      kind: 'docker',
      why: `build ${groups.join(', ')}; push to the local registry`,
      argv, env, cwd: s.projectDir,
      report: { command: 'build', file: reportFile, final: i === phases.length - 1 },
      builder: s.builder.name,
    }
    if (i === 0) {
      writes.push({ kind: 'write', why: 'bake file with function targets and per-target caches', path: overridePath, content: JSON.stringify(json, null, 2) + '\n', mode: 0o644, reason: 'changed' })
      bakes.push(run)
    } else {
      const bases = phases.slice(0, i).flat().flatMap((g) => groupTargets(inp.bakePrint, g))
      const { contexts, refs } = phase2Contexts(inp.bakePrint, fns, bases)
      for (const [t, c] of Object.entries(contexts)) json.target[t] = { ...(json.target[t] ?? {}), contexts: c }
      bakes.push({ kind: 'pin-bases', why: `bake file for ${groups.join(', ')}, bases pinned to the digests just pushed`, path: overridePath, json, metadataFile: metadata(i - 1), refs }, run)
    }
  })
  caches = Object.fromEntries(Object.entries(caches).sort(([a], [b]) => a.localeCompare(b)))
  const steps: Step[] = [
    ...inp.renderWrites,
    ...configWrite(s),
    { kind: 'mkdir', why: 'reports, run and cache folders', paths: [path.join(stateDir(s), 'reports'), runDir(s, inp.runId), ...new Set(allGens.map((g) => g.dir))] },
    ...writes,
    ensureRegistryStep(s, env),
    ensureBuilderStep(s, inp.builder, env),
    ...bakes,
  ]
  if (allGens.length) steps.push({ kind: 'promote-cache', why: 'make this run\'s local cache exports current', gens: allGens })
  steps.push({ kind: 'cleanup', why: 'remove this run\'s generated files', paths: [runDir(s, inp.runId)] })
  return { command: 'build', project: s.projectDir, mode: s.mode, env, caches, steps }
}

export interface UpPlanInputs {
  settings: Settings
  renderWrites: Step[]
  builder: BuilderInputs
  /** `docker compose config --format json` of the mode file */
  composeConfig: any
  runId: string
  extraArgs: string[]
  localCaches?: string[]
  /** `docker buildx bake --print` when the project has a bake file: its bases are built first */
  bakePrint?: any
  buildxVersion?: string
}

/** Services with a build section get per-service caches through an override file. */
export function composeOverride(s: Settings, config: any, runId: string, haveLocal: (t: string) => boolean = () => true): { yaml: any; gens: { target: string; dir: string; gen: string }[] } {
  const services: Record<string, any> = {}
  const gens: { target: string; dir: string; gen: string }[] = []
  for (const [name, svc] of Object.entries<any>(config?.services ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!svc?.build) continue
    // per mode: the same service builds differently in each mode (build args), so they must not share a cache
    const cname = `svc-${s.mode}-${name}`
    const c = cacheFlagsFor(s, cname, runId, haveLocal(cname))
    services[name] = { build: { cache_from: c.cacheFrom, cache_to: c.cacheTo } }
    if (c.localGen) gens.push({ target: cname, dir: path.dirname(c.localGen), gen: c.localGen })
  }
  return { yaml: { services }, gens }
}

export function upPlan(inp: UpPlanInputs): Plan {
  const s = inp.settings
  const env = stackEnv(s)
  const have = (t: string) => inp.localCaches === undefined || inp.localCaches.includes(t)
  const { yaml, gens } = composeOverride(s, inp.composeConfig, inp.runId, have)
  const overridePath = path.join(runDir(s, inp.runId), 'compose.cache.json')
  // plain progress: the build's "#N CACHED" lines are counted for the hit report
  const argv = ['compose', '--progress', 'plain', '-p', s.projectName, '-f', modeComposeFile(s), '-f', overridePath, 'up', '--build', '-d', ...inp.extraArgs]
  // The stack's images build FROM the bases in the registry: bake them first
  // (the same step as build's first phase; fully cached when nothing changed).
  const baseSteps: Step[] = []
  if (inp.bakePrint?.group?.['base-images']) {
    const b = buildPlan({ ...inp, settings: { ...s, bake: { ...s.bake, groups: ['base-images'] } }, renderWrites: [], functionDockerfiles: [], extraArgs: [] })
    for (const st of b.steps) {
      if (st.kind === 'write' && st.path.startsWith(runDir(s, inp.runId))) baseSteps.push(st)
      if (st.kind === 'docker') baseSteps.push({ ...st, why: 'build the base images the stack builds on', report: { command: 'up', file: path.join(stateDir(s), 'reports', 'last-up.json'), final: false } })
      if (st.kind === 'promote-cache') gens.push(...st.gens)
    }
  }
  const steps: Step[] = [
    ...inp.renderWrites,
    ...configWrite(s),
    { kind: 'mkdir', why: 'reports, run and cache folders', paths: [path.join(stateDir(s), 'reports'), runDir(s, inp.runId), ...gens.map((g) => g.dir)] },
    { kind: 'write', why: 'compose override with per-service caches', path: overridePath, content: JSON.stringify(yaml, null, 2) + '\n', mode: 0o644, reason: 'changed' },
    ...baseSteps.filter((x) => x.kind === 'write'),
    ensureRegistryStep(s, env),
    ensureBuilderStep(s, inp.builder, env),
    ...baseSteps.filter((x) => x.kind === 'docker'),
    {
      kind: 'docker', why: `build and start the ${s.mode}-mode stack on builder ${s.builder.name}`, argv, env, cwd: s.projectDir,
      report: { command: 'up', file: path.join(stateDir(s), 'reports', 'last-up.json'), final: true },
      builder: s.builder.name,
    },
  ]
  if (gens.length) steps.push({ kind: 'promote-cache', why: 'make this run\'s local cache exports current', gens })
  steps.push({ kind: 'cleanup', why: 'remove this run\'s generated files', paths: [runDir(s, inp.runId)] })
  const caches = Object.fromEntries(Object.entries<any>(yaml.services).map(([t, v]) => [t, { from: v.build.cache_from, to: v.build.cache_to }]))
  return { command: 'up', project: s.projectDir, mode: s.mode, env, caches, steps }
}

export function downPlan(s: Settings, withRegistry: boolean, extraArgs: string[]): Plan {
  const env = stackEnv(s)
  const steps: Step[] = [
    { kind: 'docker', why: `stop the ${s.mode}-mode stack ${s.projectName}`, argv: ['compose', '-p', s.projectName, '-f', modeComposeFile(s), 'down', ...extraArgs], env, cwd: s.projectDir },
  ]
  if (withRegistry) steps.push({ kind: 'docker', why: 'stop the local registry (its data volume is kept)', argv: ['compose', '-p', s.registry.composeProject, '-f', infraComposeFile(s), 'down'], env, cwd: s.projectDir })
  return { command: 'down', project: s.projectDir, mode: s.mode, env, caches: {}, steps }
}

export interface PruneOptions { local: boolean; registry: boolean; builder: boolean }

/**
 * Cleanup. The registry frees space only when garbage-collected while
 * stopped; cache refs are re-tagged on every build, so their old manifests
 * are untagged and `--delete-untagged` reclaims them. Never touches what is
 * not the project's.
 */
export function prunePlan(s: Settings, o: PruneOptions): Plan {
  const env = stackEnv(s)
  const steps: Step[] = []
  if (o.local) steps.push({ kind: 'prune-local', why: 'remove local cache exports that are not current, and old run folders', cacheDir: s.cache.dir, runsDir: path.join(stateDir(s), 'runs'), minAgeMs: GEN_MIN_AGE_MS })
  if (o.builder) {
    steps.push({ kind: 'docker', why: `BuildKit cache of ${s.builder.name} down to ${s.builder.gcKeep}`, argv: ['buildx', 'prune', '--builder', s.builder.name, '--force', '--keep-storage', s.builder.gcKeep], env, cwd: s.projectDir })
  }
  if (o.registry) {
    const infra = ['compose', '-p', s.registry.composeProject, '-f', infraComposeFile(s)]
    steps.push(
      { kind: 'docker', why: 'stop the registry (garbage collection needs it stopped)', argv: [...infra, 'stop', 'registry'], env, cwd: s.projectDir },
      {
        kind: 'docker', why: 'garbage-collect the registry: free blobs no tag refers to',
        argv: ['run', '--rm', '-v', `${s.slug}-registry-data:/var/lib/registry`, '--entrypoint', '/bin/registry', s.registry.image, 'garbage-collect', '--delete-untagged', '/etc/docker/registry/config.yml'],
        env, cwd: s.projectDir,
      },
      { kind: 'docker', why: 'start the registry again', argv: [...infra, 'up', '-d', '--wait', 'registry'], env, cwd: s.projectDir },
    )
  }
  return { command: 'prune', project: s.projectDir, mode: s.mode, env, caches: {}, steps }
}
