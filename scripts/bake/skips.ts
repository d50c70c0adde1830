// Which targets a build may skip: the skip check (skip/check.ts) run on the
// targets build's phases would send to bake. Asks the registry and reads
// the contexts; decides nothing itself.
import type { Settings } from '../project/config.ts'
import { checkSkips, type SkipPlan } from '../skip/check.ts'
import { effectiveTargets } from './override.ts'
import { bakePhases } from './phases.ts'
import { allFunctions, phaseTargets, type BuildPlanInputs } from './plan.ts'
/**
 * Which targets this build may skip (skip/check.ts), for the targets its
 * phases would build. `off`: the reason nothing is skipped (--no-skip);
 * flags after -- may change any target, so they turn the skip off too.
 */
export async function skipFor(s: Settings, inp: BuildPlanInputs, off: string | null, groups?: string[]): Promise<SkipPlan> {
  const fns = allFunctions(inp)
  const build = (groups ? [groups] : bakePhases(s, fns.length > 0)).flatMap((g) => phaseTargets(inp.bakePrint, g, fns))
  const { defs, tags } = effectiveTargets(s, inp.bakePrint, fns)
  const why = off ?? (!s.bake.skip ? 'always built: [bake] skip = false' : inp.extraArgs.length ? 'always built: flags after -- may change any target' : null)
  return checkSkips(s, defs, [...new Set(build)], tags, why)
}
