// Read-only question the up planner needs answered: which services the mode's
// compose file defines (`docker compose config`), parsed into typed values here.
import fs from 'node:fs'
import { EsbError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import type { Runner } from '../docker/runner.ts'
import { withRendered, type RenderResult } from '../render/plan.ts'
import { stackEnv } from '../plan/env.ts'
import { composeFileArgs, modeComposeFile } from './plan.ts'
import { parseComposeConfig, type ComposeConfig } from './types.ts'

export async function composeConfig(s: Settings, runner: Runner, r: RenderResult): Promise<ComposeConfig> {
  const file = modeComposeFile(s)
  return withRendered(s, r, [file], async ([f]) => {
    if (!fs.existsSync(f)) throw new EsbError(`compose file ${file} not found; render it ('docker esb render')`)
    const argv = ['compose', '--project-directory', s.projectDir, '-p', s.projectName, '-f', f, ...composeFileArgs(s).slice(2), 'config', '--format', 'json']
    const res = await runner.run(argv, { capture: true, allowFail: true, env: stackEnv(s), cwd: s.projectDir })
    if (res.code !== 0) throw new EsbError(`'docker compose config' failed for ${file}: ${res.stderr.trim().split('\n').pop()}`)
    let json: unknown
    try { json = JSON.parse(res.stdout) } catch { throw new EsbError(`'docker compose config' gave no JSON for ${file}; is docker compose >= 2.20 installed?`) }
    try { return parseComposeConfig(json, "'docker compose config'") } catch (e) { throw new EsbError((e as Error).message) }
  })
}
