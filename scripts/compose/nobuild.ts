// `up` when every buildable service is unchanged: start the stack without
// building, and what the plan says about the skip (bases and services). Pure.
import { ensureRegistryStep } from '../registry/plan.ts'
import { statCacheSteps } from '../bake/steps.ts'
import { skipInfo } from '../bake/skipinfo.ts'
import { envSources } from '../plan/env.ts'
import { argNotes } from '../bake/args.ts'
import type { PlanContext } from '../plan/context.ts'
import type { Plan, SkipInfo, Step } from '../plan/types.ts'
import type { UpPlanInputs } from './inputs.ts'
import { composeFileArgs } from './files.ts'

/** Bases and services skipped as unchanged, and why the others are rebuilt: services as `service:<name>`. */
export function upSkipInfo(inp: UpPlanInputs, reportFile: string): SkipInfo | undefined {
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
    ...(base?.notes ? { notes: base.notes } : {}),
    ...(base?.outside ? { outside: base.outside } : {}),
  }
}

/** Every buildable service unchanged, its image still in the engine: start the stack without building. */
export function noBuildPlan(ctx: PlanContext, inp: UpPlanInputs, reportFile: string): Plan {
  const s = ctx.settings
  const env = ctx.env
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
    ...argNotes(s),
    skip: info && { ...info, rebuild: {} },
  }
}
