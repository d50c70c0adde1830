// `docker esb down` as a plan: stop the stack; with --registry, the local registry too. Pure.
import type { Settings } from '../project/config.ts'
import { infraCompose, registryOverrideStep } from '../registry/plan.ts'
import { stackEnv } from '../plan/env.ts'
import type { Plan, Step } from '../plan/types.ts'
import { composeFileArgs } from './files.ts'

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
    steps.push(registryOverrideStep(s), {
      kind: 'docker',
      why: 'stop the local registry (its data volume is kept)',
      argv: [...infraCompose(s), 'down'],
      env,
      cwd: s.projectDir,
    })
  return { command: 'down', project: s.projectDir, mode: s.mode, env, caches: {}, steps }
}
