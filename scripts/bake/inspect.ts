// Read-only question the build planner needs answered: what bake would build
// (`docker buildx bake --print`), parsed into typed values here.
import fs from 'node:fs'
import { EsbError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import type { Runner } from '../docker/runner.ts'
import { withRendered, type RenderResult } from '../render/plan.ts'
import { stackEnv } from '../plan/env.ts'
import { parseBakeFile, type BakeFile } from './types.ts'
import { bakeFailure } from './errors.ts'

export async function bakePrint(s: Settings, runner: Runner, r: RenderResult, groups: string[], env: Record<string, string> = stackEnv(s)): Promise<BakeFile> {
  return withRendered(s, r, s.bake.files, async (files) => {
    for (const f of files) if (!fs.existsSync(f)) throw new EsbError(`bake file ${f} not found; render it ('docker esb render') or set [bake] files in esb.toml`)
    const argv = ['buildx', 'bake', ...files.flatMap((f) => ['-f', f]), '--print', ...groups]
    const res = await runner.run(argv, { capture: true, allowFail: true, env, cwd: s.projectDir })
    if (res.code !== 0) throw new EsbError(bakeFailure(s, res.stderr, groups).replace("'docker buildx bake'", "'docker buildx bake --print'"))
    let json: unknown
    try { json = JSON.parse(res.stdout) } catch { throw new EsbError(`'docker buildx bake --print' gave no JSON; is docker buildx >= 0.17 installed?`) }
    try { return parseBakeFile(json, "'docker buildx bake --print'") } catch (e) { throw new EsbError((e as Error).message) }
  })
}
