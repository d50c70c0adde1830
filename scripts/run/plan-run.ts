// The end of every planning command: print the plan (--dry-run) or execute it.
import type { CommandCtx } from '../commands/types.ts'
import { Executor } from './execute.ts'
import { planToJson, planToText } from '../plan/show.ts'
import type { Plan, Step } from '../plan/types.ts'
import type { Settings } from '../project/config.ts'
import { stackEnv } from '../plan/env.ts'
import { httpStatus } from '../registry/probe.ts'
import { registryFirstSteps, registryUrl } from '../registry/plan.ts'

export const DRY_RUN_FLAGS: [string, string][] = [
  ['--dry-run', 'print the plan and change nothing (may ask docker read-only questions)'],
  [
    '--json',
    'with --dry-run: the plan as JSON (every docker call as an argv array with its env); else the cache hit report as JSON on stdout',
  ],
]

export async function runOrShow(c: CommandCtx, plan: Plan): Promise<number> {
  if (c.flags['dry-run']) {
    c.io.out(
      c.flags.json
        ? planToJson(plan, c.runner.docker, c.runner.globalFlags)
        : planToText(plan, c.runner.docker, c.runner.globalFlags),
    )
    return 0
  }
  const ex = new Executor(c.runner)
  await ex.execute(plan)
  if (c.flags.json && ex.lastReport) c.io.out(JSON.stringify(ex.lastReport, null, 2) + '\n')
  return 0
}

/** A registry that does not answer is started before the skip check asks it (registry/plan.ts registryFirstSteps); never in --dry-run. */
export async function registryFirst(c: CommandCtx, s: Settings, renderWrites: Step[]): Promise<void> {
  if (c.flags['dry-run'] || (await httpStatus(registryUrl(s))) === 200) return
  const env = stackEnv(s)
  const steps = registryFirstSteps(s, renderWrites, env)
  if (steps.length)
    await new Executor(c.runner).execute({ command: 'registry', project: s.projectName, mode: s.mode, env, caches: {}, steps })
}
