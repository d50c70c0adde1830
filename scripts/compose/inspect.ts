// Read-only question the up planner needs answered: which services the mode's
// compose file defines (`docker compose config`), parsed into typed values here.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { EsbError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import type { Runner } from '../docker/runner.ts'
import { withRendered, type RenderResult } from '../render/plan.ts'
import { stackEnv } from '../plan/env.ts'
import { composeFileArgs, modeComposeFile } from './plan.ts'
import { parseComposeConfig, type ComposeConfig } from './types.ts'
import { containersArgv, imageIdsArgv, parseContainers, parseImageIds } from './engine.ts'
import { stableJson } from '../skip/keys.ts'

export async function composeConfig(s: Settings, runner: Runner, r: RenderResult): Promise<ComposeConfig> {
  const file = modeComposeFile(s)
  return withRendered(s, r, [file], async ([f]) => {
    if (!fs.existsSync(f)) throw new EsbError(`compose file ${file} not found; render it ('docker esb render')`)
    const argv = [
      'compose',
      '--project-directory',
      s.projectDir,
      '-p',
      s.projectName,
      '-f',
      f,
      ...composeFileArgs(s).slice(2),
      'config',
      '--format',
      'json',
    ]
    const res = await runner.run(argv, { capture: true, allowFail: true, env: stackEnv(s), cwd: s.projectDir })
    if (res.code !== 0) throw new EsbError(`'docker compose config' failed for ${file}: ${res.stderr.trim().split('\n').pop()}`)
    let json: unknown
    try {
      json = JSON.parse(res.stdout)
    } catch {
      throw new EsbError(`'docker compose config' gave no JSON for ${file}; is docker compose >= 2.20 installed?`)
    }
    try {
      return {
        ...parseComposeConfig(json, "'docker compose config'"),
        hash: crypto.createHash('sha256').update(stableJson(json)).digest('hex'),
      }
    } catch (e) {
      throw new EsbError((e as Error).message)
    }
  })
}

/** image -> the id the engine holds it as (null: not there). One docker call for all. */
export async function engineImageIds(runner: Runner, images: string[]): Promise<Record<string, string | null>> {
  if (!images.length) return {}
  // exit 1 when any is missing; the others are still printed
  const res = await runner.run(imageIdsArgv(images), { capture: true, allowFail: true })
  return parseImageIds(res.stdout, images)
}

/** service -> `<config-hash> <image>` of each of the project's containers (what compose compares before recreating). */
export async function projectContainers(runner: Runner, project: string): Promise<Record<string, string[]>> {
  const res = await runner.run(containersArgv(project), { capture: true, allowFail: true })
  return parseContainers(res.stdout)
}
