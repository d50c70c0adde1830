// Shared by contract and e2e tests: temp folders, the built bundle, a docker
// config whose plugin dirs hold dist/ (and the test tools), a real registry.
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BUNDLE = path.join(ROOT, 'dist', 'docker-esb')
export const FAKE_DOCKER = path.join(ROOT, 'test', 'lib', 'fake-docker.mjs')
export const TOOLS = process.env.TOOLS ?? path.join(ROOT, '.tools')

/**
 * A unique name for what an e2e test creates on the engine: `e2e`, the run's
 * id (ESB_E2E_RUN, set by test/run.mjs so that its final check can find
 * anything a test left behind), then random characters.
 */
export function e2eName(): string {
  return `e2e${process.env.ESB_E2E_RUN ?? ''}${Math.random()
    .toString(36)
    .slice(2, process.env.ESB_E2E_RUN ? 6 : 8)}`
}

export function tmpdir(prefix = 'esb-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** A DOCKER_CONFIG whose cliPluginsExtraDirs hold our dist/ and the buildx/compose plugins. */
export function dockerConfig(extra: string[] = []): string {
  const dir = tmpdir('esb-dockercfg-')
  const dirs = [path.join(ROOT, 'dist'), path.join(TOOLS, 'cli-plugins'), ...extra]
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ cliPluginsExtraDirs: dirs }))
  return dir
}

export interface Ran {
  code: number | null
  signal: string | null
  stdout: string
  stderr: string
}

export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {},
): Ran {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env, encoding: 'utf8', input: opts.input, maxBuffer: 64 << 20 })
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port
      s.close(() => resolve(p))
    })
  })
}

export function which(bin: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' })
  return r.status === 0 ? r.stdout.trim() : null
}

/** A real registry: Debian's docker-registry binary on 127.0.0.1 (`at`: that port, else a free one), answering /v2/ when this resolves. */
/** A real registry on a free loopback port; `deletes: false`: one that refuses DELETE (HTTP 405), as by default. */
export async function startRegistry(
  at?: number,
  o: { deletes?: boolean } = {},
): Promise<{
  port: number
  url: string
  dir: string
  proc: ChildProcess
  stop: () => Promise<void>
}> {
  const bin = which('docker-registry') ?? which('registry')
  if (!bin) throw new Error("docker-registry binary not found: install Debian's docker-registry (.ci/run does)")
  const port = at ?? (await freePort())
  const dir = tmpdir('esb-registry-')
  const cfg = path.join(dir, 'config.yml')
  fs.writeFileSync(
    cfg,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: ${o.deletes !== false}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  )
  const proc = spawn(bin, ['serve', cfg], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) break
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    port,
    url,
    dir,
    proc,
    stop: () =>
      new Promise((resolve) => {
        proc.once('exit', () => {
          fs.rmSync(dir, { recursive: true, force: true })
          resolve()
        })
        proc.kill('SIGTERM')
      }),
  }
}
