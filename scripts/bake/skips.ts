// Which targets a build may skip: the skip check (skip/check.ts) run on the
// targets build's phases would send to bake. Asks the registry and reads
// the contexts; decides nothing itself.
import type { Settings } from '../project/config.ts'
import { checkSkips, type SkipOptions, type SkipPlan } from '../skip/check.ts'
import { effectiveBuildkitdToml } from '../builder/plan.ts'
import { effectiveTargets } from './override.ts'
import { bakePhases } from './phases.ts'
import { allFunctions, type BuildPlanInputs } from './plan.ts'
import { phaseTargets } from './phases.ts'

/** `--pull`: build and up resolve every outside image now, or stop. */
export const PULL_FLAG: [string, string] = [
  '--pull',
  'resolve every image read from another registry now, and stop if one cannot be (default: offline, key with the digests of the last build)',
]

/** The flag build and up share: `--no-skip` (minimist gives skip=false). */
export const SKIP_FLAG = {
  flag: ['--no-skip', 'send every target to bake, even those whose inputs, image and cache are unchanged'] as [string, string],
  boolean: 'skip',
  defaults: { skip: true },
}

/**
 * Which targets this build may skip (skip/check.ts), for the targets its
 * phases would build (or `groups`). Nothing is skipped with --no-skip,
 * [bake] skip = false, or flags after -- (they may change any target).
 */
export async function skipFor(
  s: Settings,
  inp: BuildPlanInputs,
  noSkip: boolean,
  groups?: string[],
  o: Pick<SkipOptions, 'pull' | 'signal' | 'onBuild' | 'byKey'> = {},
): Promise<SkipPlan> {
  const fns = allFunctions(inp)
  const build = (groups ? [groups] : bakePhases(s, fns.length > 0)).flatMap((g) => phaseTargets(inp.bakePrint, g, fns))
  const { defs, tags } = effectiveTargets(s, inp.bakePrint, fns)
  const why = noSkip
    ? 'always built: --no-skip'
    : !s.bake.skip
      ? 'always built: [bake] skip = false'
      : inp.extraArgs.length
        ? 'always built: flags after -- may change any target'
        : null
  return checkSkips(s, defs, [...new Set(build)], tags, why, {
    configDir: inp.dockerConfigDir,
    buildkitd: effectiveBuildkitdToml(s, inp.builder),
    pull: o.pull,
    signal: o.signal,
    onBuild: o.onBuild,
    byKey: o.byKey,
    // flags after -- may change any target: what they build is never tagged with its key
    publish: o.byKey !== false && !inp.extraArgs.length,
  })
}
