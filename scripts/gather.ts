// Read-only questions the planners need answered: what bake would build,
// which compose services build, which function Dockerfiles exist. Asked
// through the runner; nothing here writes into the project.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { glob } from 'zx'
import { EsbError } from './errors.ts'
import type { Settings } from './config.ts'
import type { Runner } from './runner.ts'
import type { RenderResult } from './context.ts'
import { modeComposeFile, stackEnv, type BuilderInputs } from './plan.ts'

/** A file as it will be after rendering: its rendered content if it is generated, else as on disk. */
function withRendered<T>(s: Settings, r: RenderResult, files: string[], use: (paths: string[]) => Promise<T>): Promise<T> {
  let tmp: string | null = null
  const paths = files.map((f) => {
    const abs = path.resolve(s.projectDir, f)
    const hit = r.rendered.find((x) => path.join(s.templates.out, x.relPath) === abs)
    if (!hit || r.states.get(hit.relPath) === hit.content) return abs
    tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'docker-esb-plan-'))
    const p = path.join(tmp, `${path.basename(abs)}`)
    fs.writeFileSync(p, hit.content)
    return p
  })
  return use(paths).finally(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }) })
}

export async function bakePrint(s: Settings, runner: Runner, r: RenderResult, groups: string[]): Promise<any> {
  return withRendered(s, r, s.bake.files, async (files) => {
    for (const f of files) if (!fs.existsSync(f)) throw new EsbError(`bake file ${f} not found; render it ('docker esb render') or set [bake] files in esb.toml`)
    const argv = ['buildx', 'bake', ...files.flatMap((f) => ['-f', f]), '--print', ...groups]
    const res = await runner.run(argv, { capture: true, allowFail: true, env: stackEnv(s), cwd: s.projectDir })
    if (res.code !== 0) throw new EsbError(`'docker buildx bake --print' failed for ${s.bake.files.join(', ')}: ${res.stderr.trim().split('\n').pop()}`)
    try { return JSON.parse(res.stdout) } catch { throw new EsbError(`'docker buildx bake --print' gave no JSON; is docker buildx >= 0.17 installed?`) }
  })
}

export async function composeConfig(s: Settings, runner: Runner, r: RenderResult): Promise<any> {
  const file = modeComposeFile(s)
  return withRendered(s, r, [file], async ([f]) => {
    if (!fs.existsSync(f)) throw new EsbError(`compose file ${file} not found; render it ('docker esb render')`)
    const argv = ['compose', '--project-directory', s.projectDir, '-p', s.projectName, '-f', f, 'config', '--format', 'json']
    const res = await runner.run(argv, { capture: true, allowFail: true, env: stackEnv(s), cwd: s.projectDir })
    if (res.code !== 0) throw new EsbError(`'docker compose config' failed for ${file}: ${res.stderr.trim().split('\n').pop()}`)
    return JSON.parse(res.stdout)
  })
}

export function functionDockerfiles(s: Settings): string[] {
  return glob.sync(s.functions.dockerfiles, { cwd: s.projectDir, onlyFiles: true }).sort()
}

export function builderInputs(s: Settings, procEnv: Record<string, string | undefined>): BuilderInputs {
  let cfg: string | null = null
  try { cfg = fs.readFileSync(s.builder.buildkitdConfig, 'utf8') } catch { /* optional */ }
  return { procEnv, buildkitdConfig: cfg }
}

/** Cache names with a complete local export (`<dir>/<name>/current/index.json`). */
export function localCaches(s: Settings): string[] {
  if (!s.cache.local || !fs.existsSync(s.cache.dir)) return []
  return fs.readdirSync(s.cache.dir).filter((n) => fs.existsSync(path.join(s.cache.dir, n, 'current', 'index.json')))
}

/** `docker buildx version` -> "0.29.1"; an error when buildx is missing or older than 0.17. */
export async function buildxVersion(runner: Runner): Promise<string> {
  const r = await runner.run(['buildx', 'version'], { capture: true, allowFail: true })
  const v = /v?(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1]
  if (r.code !== 0 || !v) throw new EsbError(`docker buildx is not available (${(r.stderr || r.stdout).trim().split('\n').pop() || 'no output'}); install the buildx plugin >= 0.17`)
  if (versionLess(v, '0.17.0')) throw new EsbError(`docker buildx ${v} is too old; docker esb needs >= 0.17 (bake contexts, cache exports)`)
  return v
}

export function versionLess(a: string, b: string): boolean {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0)
  return false
}

export function runId(): string {
  return `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`
}
