// Read-only questions the build and up planners need answered: which bake
// variables the project's files declare, and what bake would build
// (`docker buildx bake --print`, with those variables set), parsed into typed values here.
import fs from 'node:fs'
import path from 'node:path'
import { EsbError, UsageError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import type { Runner } from '../docker/runner.ts'
import { withRendered, type RenderResult } from '../render/plan.ts'
import { stackEnv } from '../plan/env.ts'
import { parseBakeFile, type BakeFile } from '../docker/bakefile.ts'
import { bakeFailure } from './errors.ts'
import { bakeVariableEnv, declaredVariables } from './vars.ts'
import { buildxIdentity, type QueryCache } from '../docker/queries.ts'

export interface BakeInputs {
  print: BakeFile
  /** variables the project's bake files declare */
  variables: string[]
}

/** `cache`: the print kept for the same bake files, variable values, groups and buildx binary. */
export async function bakeInputs(
  s: Settings,
  runner: Runner,
  r: RenderResult,
  groups: string[],
  cache?: QueryCache,
): Promise<BakeInputs> {
  return withRendered(s, r, s.bake.files, async (files) => {
    for (const f of files) {
      // a config error (exit 2), caught before a folder or a missing file fails a read later
      let st: fs.Stats | null = null
      try {
        st = fs.statSync(f)
      } catch {
        /* missing */
      }
      if (!st?.isFile())
        throw new UsageError(
          `bake file ${path.relative(s.projectDir, f) || f} ${st ? 'is not a file' : 'not found'}; set [bake] files in esb.toml to the project's bake file(s)`,
        )
    }
    const variables = declaredVariables(files)
    const argv = ['buildx', 'bake', ...files.flatMap((f) => ['-f', f]), '--print', ...groups]
    const env = { ...stackEnv(s), ...bakeVariableEnv(s, variables) }
    // bake reads its variables from the environment it runs in: the user's, then docker esb's
    const key = [
      'bake --print',
      buildxIdentity(runner.configDir),
      s.projectDir,
      // the files as the project names them (a file not rendered yet is read from a temp copy)
      s.bake.files,
      groups,
      files.map((f) => fs.readFileSync(f, 'utf8')),
      variables.map((v) => env[v] ?? process.env[v] ?? null),
    ]
    // a compose-format bake file reads any ${VAR} and .env: its print is never kept, only HCL and JSON ones are
    const keepable = files.every((f) => /\.(hcl|json)$/i.test(f))
    const kept = keepable ? cache?.get(key) : undefined
    const res = kept
      ? { code: 0, stdout: kept, stderr: '' }
      : await runner.run(argv, { capture: true, allowFail: true, env, cwd: s.projectDir })
    if (res.code !== 0) throw new EsbError(bakeFailure(s, res.stderr, groups, 'docker buildx bake --print'))
    if (!kept && keepable) cache?.set(key, res.stdout)
    let json: unknown
    try {
      json = JSON.parse(res.stdout)
    } catch {
      throw new EsbError(`'docker buildx bake --print' gave no JSON; is docker buildx >= 0.17 installed?`)
    }
    try {
      return { print: parseBakeFile(json, "'docker buildx bake --print'"), variables }
    } catch (e) {
      throw new EsbError((e as Error).message)
    }
  })
}
