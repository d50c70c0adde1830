// The end of every planning command: print the plan (--dry-run) or execute it.
import type { Runner } from '../docker/runner.ts'
import type { Io } from '../io.ts'
import { Executor } from './execute.ts'
import { planToJson, planToText } from '../plan/show.ts'
import type { Plan, Step } from '../plan/types.ts'
import type { Settings } from '../project/config.ts'
import { stackEnv } from '../plan/env.ts'
import { httpStatus } from '../registry/probe.ts'
import { registryFirstSteps, registryUrl } from '../registry/plan.ts'

/** --dry-run prints the plan (as JSON with --json); else --json prints the hit report. */
export interface ShowOptions {
  dryRun: boolean
  json: boolean
}

export async function runOrShow(runner: Runner, io: Io, show: ShowOptions, plan: Plan): Promise<number> {
  if (show.dryRun) {
    io.out(show.json ? planToJson(plan, runner.docker, runner.globalFlags) : planToText(plan, runner.docker, runner.globalFlags))
    return 0
  }
  const ex = new Executor(runner)
  await ex.execute(plan)
  if (show.json && ex.lastReport) io.out(JSON.stringify(ex.lastReport, null, 2) + '\n')
  return 0
}

/** A registry that does not answer is started before the skip check asks it (registry/plan.ts registryFirstSteps); never in --dry-run. */
export async function registryFirst(runner: Runner, show: ShowOptions, s: Settings, renderWrites: Step[]): Promise<void> {
  if (show.dryRun || (await httpStatus(registryUrl(s))) === 200) return
  const env = stackEnv(s)
  const steps = registryFirstSteps(s, renderWrites, env)
  if (steps.length)
    await new Executor(runner).execute({ command: 'registry', project: s.projectName, mode: s.mode, env, caches: {}, steps })
}
