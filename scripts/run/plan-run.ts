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
import { statePaths } from '../project/names.ts'
import { allowSalt } from '../skip/secrets.ts'
import { inputsDir } from '../skip/state.ts'
import { portHoldersArgv } from '../registry/ensure.ts'
import { earlyBuilderSteps, noRecords } from '../builder/early.ts'
import { builderInputs, storedBuilder } from '../builder/inspect.ts'

/** --dry-run prints the plan (as JSON with --json); else --json prints the hit report. */
export interface ShowOptions {
  dryRun: boolean
  json: boolean
  /** --show-secrets: the dry run prints secret values instead of (masked) */
  showSecrets?: boolean
}

export async function runOrShow(runner: Runner, io: Io, show: ShowOptions, plan: Plan): Promise<number> {
  if (show.dryRun) {
    const args = [plan, runner.docker, runner.globalFlags, show.showSecrets === true] as const
    io.out(show.json ? planToJson(...args) : planToText(...args))
    return 0
  }
  for (const n of plan.notes ?? []) io.err(`docker esb: note: ${n}\n`)
  const ex = new Executor(runner)
  await ex.execute(plan)
  if (show.json && ex.lastReport)
    io.out(JSON.stringify({ ...ex.lastReport, ...(ex.metadata ? { metadata: ex.metadata } : {}) }, null, 2) + '\n')
  return 0
}

/** What registryFirst needs of the command: --no-skip, and the process environment (the builder's proxy variables). */
export interface FirstOptions {
  skip: boolean
  procEnv: Record<string, string | undefined>
}

/**
 * Before the skip check, never in --dry-run: the secret salt may be made
 * when a target mounting a secret file is keyed (skip/secrets.ts: keys
 * computed now are recorded after the build), a registry that does not
 * answer is started (registry/plan.ts registryFirstSteps), and on a first
 * build the builder is made meanwhile (builder/early.ts).
 */
export async function registryFirst(
  runner: Runner,
  show: ShowOptions,
  s: Settings,
  renderWrites: Step[],
  o: FirstOptions,
): Promise<void> {
  if (show.dryRun) return
  const inputs = inputsDir(statePaths(s.projectDir, s.ctx.HOME_DIR).state)
  allowSalt(inputs)
  const env = stackEnv(s)
  const run = (steps: Step[]) =>
    new Executor(runner).execute({ command: 'registry', project: s.projectName, mode: s.mode, env, caches: {}, steps })
  const builder = earlyBuilderSteps(s, builderInputs(s, o.procEnv), env, {
    stored: storedBuilder(runner.configDir, s.builder.name) !== null,
    buildsAll: !o.skip || noRecords(inputs),
  })
  const made = builder.length ? run(builder) : null
  let registry: Promise<void> | null = null
  // a registry that answers is looked at by ensure-registry (is it ours?): asked now, while the plan is made
  if ((await httpStatus(registryUrl(s))) === 200) runner.prefetch(portHoldersArgv(s.registry.port), env)
  else {
    const steps = registryFirstSteps(s, renderWrites, env)
    if (steps.length) registry = run(steps)
  }
  // both end before an error is given: a failed builder never leaves the registry half started
  const ends = await Promise.allSettled([made, registry])
  for (const e of ends) if (e.status === 'rejected') throw e.reason
}
