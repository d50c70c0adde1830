// The one bake-phase step builder that `build` and `up` both call: for each
// phase (bases first), the generated bake file (written, or pinned to the
// digests the previous phase pushed), the `docker buildx bake` call and the
// records of what it built, with each target's cache exports. Pure.
import path from 'node:path'
import type { PlanContext } from '../plan/context.ts'
import type { CacheGen, Env, Plan, Step } from '../plan/types.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import { hasFsEntitlements } from '../docker/version.ts'
import type { FunctionTarget } from '../functions/targets.ts'
import type { SkipPlan } from '../skip/check.ts'
import { keyLabelsFor, publishStep } from './bykey.ts'
import { bakeProgressArg, type ProgressMode } from '../report/mode.ts'
import { bakeOverride, targetTag } from './override.ts'
import { applyPins } from './pins.ts'
import { checkBakeRun } from './guard.ts'
import { hclEscape, hclString } from './escape.ts'
import { groupTargets, phase2Contexts, phaseTargets, pinBases, targetsFromPrint } from './phases.ts'

/** What the bakes of one command build, and how (the parts of build's and up's inputs the bakes read). */
export interface BakeRun {
  /** `docker buildx bake --print` of the targets to build */
  print: BakeFile
  fns: FunctionTarget[]
  /** the groups of each phase, in order */
  phases: string[][]
  /** the environment of the bake calls (the stack's, plus the bake variables) */
  env: Env
  extraArgs: string[]
  /** folders the user grants bake read access to (--allow-read, <PREFIX>_ALLOW_READ), besides the project */
  allowRead?: string[]
  /** cache names that have a complete local export; undefined: all */
  localCaches?: string[]
  buildxVersion?: string
  progress?: ProgressMode
  skip?: SkipPlan
  /** the hit report the bakes write into */
  report: { command: string; file: string }
  /** the line each bake is logged with (default: what it builds and where it pushes) */
  why?: string
  /** false: a later step (up's compose) ends the report */
  final?: false
}

export interface BakeSteps {
  /** generated bake files that need nothing built before them */
  writes: Step[]
  /** bakes, pinned bake files and records, in order */
  bakes: Step[]
  /** this run's local cache exports, promoted when every bake succeeded */
  gens: CacheGen[]
  caches: Plan['caches']
  /** every target the phases name, skipped ones included */
  targets: string[]
}

/** `docker buildx bake` argv for one phase. */
function bakeArgv(ctx: PlanContext, run: BakeRun, overridePath: string, metadataFile: string, groups: string[]): string[] {
  const s = ctx.settings
  const argv = ['buildx', 'bake', '--builder', s.builder.name]
  for (const f of s.bake.files) argv.push('-f', path.resolve(s.projectDir, f))
  argv.push('-f', overridePath)
  if (hasFsEntitlements(run.buildxVersion)) {
    // reads: the project, and only what the user granted (an artifact entry outside the project needs a grant)
    argv.push('--allow', `fs.read=${s.projectDir}`, '--allow', `fs.write=${s.cache.dir}`)
    for (const d of new Set(run.allowRead ?? [])) argv.push('--allow', `fs.read=${d}`)
  }
  if (!s.bake.provenance) argv.push('--provenance=false')
  argv.push(bakeProgressArg(run.progress ?? 'plain'), '--metadata-file', metadataFile)
  argv.push(...run.extraArgs, ...groups)
  return argv
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

/**
 * A target's local export is written, seeded and promoted only by the first
 * phase that builds it: the other phases' override keeps no local cache-to
 * for it (no folder of that generation is made). `mine`: the targets this
 * phase's groups name (none known: every target no phase names); `before`:
 * the targets earlier phases name.
 */
function phaseGens(json: BakeFile, gens: CacheGen[], mine: string[], before: string[], named: string[]): CacheGen[] {
  const own = (t: string) => (mine.length ? mine.includes(t) : !named.includes(t)) && !before.includes(t)
  for (const g of gens)
    if (!own(g.target) && json.target[g.target]?.['cache-to'])
      json.target[g.target]['cache-to'] = json.target[g.target]['cache-to']!.filter((c) => !c.startsWith('type=local,'))
  return gens.filter((g) => own(g.target))
}

const bakeFileWrite = (why: string, p: string, json: BakeFile): Step => ({
  kind: 'write',
  why,
  path: p,
  content: JSON.stringify(hclEscape(json), null, 2) + '\n',
  mode: 0o644,
  reason: 'changed',
})

/** The steps of every phase of a bake run. */
export function bakeSteps(ctx: PlanContext, run: BakeRun): BakeSteps {
  const s = ctx.settings
  const { print, fns } = run
  const targets = targetsFromPrint(print)
  const noRegistry = new Set(run.skip?.noRegistryCache ?? [])
  const have = {
    local: (t: string) => run.localCaches === undefined || run.localCaches.includes(t),
    registry: (t: string) => !noRegistry.has(t),
  }
  const skip = run.skip?.skip ?? {}
  const { phases } = run
  const metadata = (i: number) => path.join(ctx.runDir, `bake-metadata.${i + 1}.json`)
  const out: BakeSteps = { writes: [], bakes: [], gens: [], caches: {}, targets: [] }
  // the phases that still have something to build, after the skip
  const all = phases.map((groups) => phaseTargets(print, groups, fns))
  out.targets = all.flat()
  // a phase whose groups name no known target is sent as it is: bake knows best
  const todo = all.map((ts, i) => (ts.length ? ts.filter((t) => skip[t] === undefined) : phases[i]))
  const lastRun = todo.map((t) => t.length > 0).lastIndexOf(true)
  const baseTargets = groupTargets(print, 'base-images')
  let ranBefore = -1
  phases.forEach((groups, i) => {
    // each phase exports into its own folders; the last complete export is promoted
    const id = phases.length > 1 ? `${ctx.runId}.${i + 1}` : ctx.runId
    const { json, gens } = bakeOverride(s, targets, fns, id, have, baseTargets)
    if (i === 0) checkBakeRun(s, print, json, run.extraArgs)
    keyLabelsFor(json, todo[i], run.skip, s.cache.branch, baseTargets)
    const built = phaseGens(json, withoutSkipped(json, gens, skip), all[i], all.slice(0, i).flat(), out.targets)
    for (const t of todo[i])
      if (json.target[t]) out.caches[t] ??= { from: json.target[t]['cache-from'] ?? [], to: json.target[t]['cache-to'] ?? [] }
    const overridePath = path.join(ctx.runDir, phases.length > 1 ? `bake.generated.${i + 1}.json` : 'bake.generated.json')
    if (i > 0) {
      // phase 2 builds on the bases just pushed, or on the unchanged ones the registry holds
      const bases = phases
        .slice(0, i)
        .flat()
        .flatMap((g) => groupTargets(print, g))
      const { contexts, refs } = phase2Contexts(print, fns, bases, (t) => targetTag(s, t))
      for (const [t, c] of Object.entries(contexts)) json.target[t] = { ...(json.target[t] ?? {}), contexts: c }
      applyPins(json, todo[i], run.skip?.pins)
      for (const b of Object.keys(refs))
        if (skip[b]) {
          json.target = pinBases(json.target, { [b]: refs[b] }, { [b]: { 'containerimage.digest': skip[b] } })
          delete refs[b]
        }
      if (todo[i].length && Object.keys(refs).length && ranBefore >= 0)
        out.bakes.push({
          kind: 'pin-bases',
          why: `bake file for ${groups.join(', ')}, bases pinned to the digests just pushed`,
          path: overridePath,
          json: hclEscape(json),
          metadataFile: metadata(ranBefore),
          refs: Object.fromEntries(Object.entries(refs).map(([b, r]) => [b, hclString(r)])),
        })
      else if (todo[i].length)
        out.writes.push(bakeFileWrite(`bake file for ${groups.join(', ')}, on the unchanged bases`, overridePath, json))
    } else if (todo[i].length) {
      applyPins(json, todo[i], run.skip?.pins)
      out.writes.push(bakeFileWrite('bake file with function targets and per-target caches', overridePath, json))
    }
    if (!todo[i].length) return
    out.gens.push(...built)
    // a partial skip names the targets to build instead of the groups
    const names = run.skip && todo[i].length < all[i].length ? todo[i] : groups
    const where = s.registry.build ? `the build registry ${s.registry.buildAddress}` : 'the local registry'
    out.bakes.push({
      kind: 'docker',
      why: run.why ?? `build ${names.join(', ')}; push to ${where}`,
      argv: bakeArgv(ctx, run, overridePath, metadata(i), names),
      env: run.env,
      cwd: s.projectDir,
      report: {
        command: run.report.command,
        file: run.report.file,
        final: run.final ?? i === lastRun,
        // the targets it builds, when known: a one-target bake names its steps by stage only (the report needs the name)
        ...(all[i].length ? { targets: todo[i] } : {}),
        progress: run.progress ?? 'plain',
        metadataFile: metadata(i),
        builder: s.builder.name,
      },
      builder: s.builder.name,
    })
    const rec = Object.fromEntries(todo[i].filter((t) => run.skip?.records[t]).map((t) => [t, run.skip!.records[t]]))
    if (run.skip && Object.keys(rec).length)
      out.bakes.push({
        kind: 'record-inputs',
        why: 'remember the inputs of what was built, to skip it when unchanged',
        dir: run.skip.dir,
        metadataFile: metadata(i),
        records: rec,
      })
    out.bakes.push(...publishStep(ctx, run.skip, todo[i], metadata(i)))
    ranBefore = i
  })
  return out
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
