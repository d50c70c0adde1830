// The end of every planning command: print the plan (--dry-run) or execute it.
import type { CommandCtx } from './types.ts'
import { Executor } from '../plan/execute.ts'
import { planToJson, planToText } from '../plan/show.ts'
import type { Plan } from '../plan/types.ts'

export const DRY_RUN_FLAGS: [string, string][] = [
  ['--dry-run', 'print the plan and change nothing (may ask docker read-only questions)'],
  ['--json', 'with --dry-run: the plan as JSON (every docker call as an argv array with its env); else the cache hit report as JSON on stdout'],
]

export async function runOrShow(c: CommandCtx, plan: Plan): Promise<number> {
  if (c.flags['dry-run']) {
    c.io.out(c.flags.json ? planToJson(plan, c.runner.docker, c.runner.globalFlags) : planToText(plan, c.runner.docker, c.runner.globalFlags))
    return 0
  }
  const ex = new Executor(c.runner)
  await ex.execute(plan)
  if (c.flags.json && ex.lastReport) c.io.out(JSON.stringify(ex.lastReport, null, 2) + '\n')
  return 0
}
