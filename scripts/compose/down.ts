// `docker esb down` as a plan: stop the stack; with --registry, the local
// registry too, when its container is one docker esb created or adopted
// (registry/owner.ts). downFacts() asks what the plan needs; downPlan is pure.
import fs from 'node:fs'
import path from 'node:path'
import type { Runner } from '../docker/runner.ts'
import type { Settings } from '../project/config.ts'
import { registryNotOurs } from '../registry/owner.ts'
import { infraCompose, registryOverrideStep } from '../registry/plan.ts'
import { stackEnv } from '../plan/env.ts'
import type { Plan, Step } from '../plan/types.ts'
import { composeFileArgs, modeComposeFile } from './files.ts'

export interface DownFacts {
  /** why the registry container is not docker esb's (left running, said in a note); null: it is, or there is none */
  notOurs: string | null
  /** docker-compose.<mode>.yml is not there */
  stackMissing: boolean
}

export async function downFacts(runner: Runner, s: Settings, withRegistry: boolean): Promise<DownFacts> {
  return {
    notOurs: withRegistry ? await registryNotOurs(runner, s) : null,
    stackMissing: !fs.existsSync(modeComposeFile(s)),
  }
}

export function downPlan(
  s: Settings,
  withRegistry: boolean,
  extraArgs: string[],
  { notOurs, stackMissing }: DownFacts = { notOurs: null, stackMissing: false },
): Plan {
  const env = stackEnv(s)
  const steps: Step[] = []
  const notes: string[] = []
  const file = modeComposeFile(s)
  // without the stack's file compose cannot stop it: said, and the registry is still stopped
  if (!stackMissing)
    steps.push({
      kind: 'docker',
      why: `stop the ${s.mode}-mode stack ${s.projectName}`,
      argv: ['compose', '-p', s.projectName, ...composeFileArgs(s), 'down', ...extraArgs],
      env,
      cwd: s.projectDir,
    })
  else
    notes.push(
      `${path.relative(s.projectDir, file) || file} not found: the ${s.mode}-mode stack ${s.projectName} is not stopped (render it, or stop it with 'docker compose -p ${s.projectName} down')`,
    )
  if (withRegistry && notOurs)
    notes.push(`${notOurs}: left running (stop it with its own compose project, or 'docker rm -f ${s.registry.containerName}')`)
  else if (withRegistry)
    steps.push(registryOverrideStep(s), {
      kind: 'docker',
      why: 'stop the local registry (its data volume is kept)',
      argv: [...infraCompose(s), 'down'],
      env,
      cwd: s.projectDir,
    })
  return { command: 'down', project: s.projectDir, mode: s.mode, env, caches: {}, steps, ...(notes.length ? { notes } : {}) }
}
