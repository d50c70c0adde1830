// Which registry container docker esb may stop or garbage-collect: only one it
// created (its compose project label is the infra project docker esb runs,
// `<slug>-infra`) or adopted (a stopped container of another project that
// ensure-registry started as it is: its id is recorded in
// `.<slug>/registry-adopted.json`). A look-alike with the same name (another
// compose project's container docker esb never started) is not touched.
import fs from 'node:fs'
import path from 'node:path'
import type { Runner } from '../docker/runner.ts'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import { guardPath, stateWrite } from '../project/statefs.ts'

export const PROJECT_LABEL = 'com.docker.compose.project'

export const adoptedFile = (s: Settings) => path.join(statePaths(s.projectDir, s.ctx.HOME_DIR).state, 'registry-adopted.json')

/** Container name -> the id of the container docker esb adopted under it. */
export function readAdopted(file: string): Record<string, string> {
  try {
    guardPath(file)
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
    return m && typeof m === 'object' && !Array.isArray(m) ? (m as Record<string, string>) : {}
  } catch {
    return {}
  }
}

export function recordAdopted(file: string, name: string, id: string): void {
  stateWrite(file, JSON.stringify({ ...readAdopted(file), [name]: id }, null, 2) + '\n')
}

export interface RegistryContainer {
  name: string
  id: string
  /** its compose project label ('' when none) */
  project: string
}

/** The container named like the registry, or null when there is none (one docker call). */
export async function inspectRegistry(
  runner: Runner,
  s: Settings,
  env?: Record<string, string>,
): Promise<RegistryContainer | null> {
  const name = s.registry.containerName
  const r = await runner.run(['container', 'inspect', '--format', `{{.Id}}\t{{index .Config.Labels "${PROJECT_LABEL}"}}`, name], {
    capture: true,
    allowFail: true,
    env,
  })
  const [id = '', project = ''] = r.stdout.trim().split('\t')
  return r.code === 0 && id ? { name, id, project: project === '<no value>' ? '' : project } : null
}

/** Why docker esb must not act on `c` (null: it may; no container is nothing to refuse). Pure but for reading the record. */
export function notOurs(s: Settings, c: RegistryContainer | null): string | null {
  if (!c || c.project === s.registry.composeProject) return null
  if (readAdopted(adoptedFile(s))[c.name] === c.id) return null
  return `registry container ${c.name} belongs to ${c.project ? `compose project ${c.project}` : 'no compose project'}, not ${s.registry.composeProject}, and docker esb did not start it`
}

/** notOurs() for the registry container as the engine has it now. */
export async function registryNotOurs(runner: Runner, s: Settings): Promise<string | null> {
  return notOurs(s, await inspectRegistry(runner, s))
}
