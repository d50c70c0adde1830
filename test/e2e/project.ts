// An isolated example project on the real engine: a unique brand (so the
// builder, registry container, volume, network and compose projects are all
// unique), a free registry port, a temp copy of examples/mini, and cleanup of
// everything it created -- even when a test fails.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { ROOT, TOOLS, e2eName, freePort, run, tmpdir, type Ran } from '../lib/helpers.ts'

export const BUSYBOX = 'busybox:1.36'

/** A docker config for the tests: our dist/, the provisioned plugins, the user's plugins. */
export function e2eDockerConfig(): string {
  const dir = tmpdir('esb-e2e-cfg-')
  const dirs = [path.join(ROOT, 'dist'), path.join(TOOLS, 'cli-plugins'), path.join(os.homedir(), '.docker', 'cli-plugins')]
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ cliPluginsExtraDirs: dirs }))
  return dir
}

export class Project {
  readonly brand: string
  readonly prefix: string
  readonly dir: string
  readonly cfg = e2eDockerConfig()
  readonly envs = new Set<string>(['default'])
  private constructor(
    readonly port: number,
    functions: number,
  ) {
    this.brand = e2eName()
    this.prefix = this.brand.toUpperCase()
    this.dir = tmpdir(`esb-e2e-${this.brand}-`)
    if (functions > 0) run(process.execPath, [path.join(ROOT, 'examples/mini/generate.mjs'), String(functions), this.dir])
    else fs.cpSync(path.join(ROOT, 'examples/mini'), this.dir, { recursive: true })
    fs.writeFileSync(path.join(this.dir, 'esb.toml'), `brand = "${this.brand}"\n[templates]\nrender = true\n`)
  }

  static async create(functions = 0): Promise<Project> {
    return new Project(await freePort(), functions)
  }

  get builder() {
    return `${this.brand}-buildx`
  }
  get registry() {
    return `127.0.0.1:${this.port}`
  }
  get cacheDir() {
    return path.join(this.dir, `.${this.brand}`, 'buildx-cache')
  }

  env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      DOCKER_CONFIG: this.cfg,
      PORT_REGISTRY: String(this.port),
      [`${this.prefix}_UPSTREAM_BASE`]: `${this.registry}/library/${BUSYBOX}`,
      BUILDX_BUILDER: undefined,
      ...extra,
    }
  }

  docker(args: string[], extra: Record<string, string | undefined> = {}): Ran {
    return run('docker', args, { cwd: this.dir, env: this.env(extra) })
  }

  esb(args: string[], extra: Record<string, string | undefined> = {}): Ran {
    const env = args.indexOf('--env')
    if (env >= 0) this.envs.add(args[env + 1])
    return this.docker(['esb', ...args], extra)
  }

  /** Runs `docker esb ...` in the background (for parallel runs). */
  esbAsync(args: string[], extra: Record<string, string | undefined> = {}): Promise<Ran> {
    const env = args.indexOf('--env')
    if (env >= 0) this.envs.add(args[env + 1])
    const e: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...this.env(extra) })) if (v !== undefined) e[k] = v
    return new Promise((resolve) => {
      const p = spawn('docker', ['esb', ...args], { cwd: this.dir, env: e })
      let stdout = '',
        stderr = ''
      p.stdout.on('data', (d) => (stdout += d))
      p.stderr.on('data', (d) => (stderr += d))
      p.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))
    })
  }

  /** The offline base: busybox in this project's registry (started the way docker esb starts it). */
  seed(): void {
    must(this.esb(['render']), 'render')
    must(
      this.docker(['compose', '-p', `${this.brand}-infra`, '-f', 'docker-compose.infra.yml', 'up', '-d', '--wait', 'registry']),
      'registry up',
    )
    if (this.docker(['image', 'inspect', BUSYBOX]).code !== 0) must(this.docker(['pull', BUSYBOX]), `pull ${BUSYBOX}`)
    must(this.docker(['tag', BUSYBOX, `${this.registry}/library/${BUSYBOX}`]), 'tag')
    must(this.docker(['push', '-q', `${this.registry}/library/${BUSYBOX}`]), 'push busybox')
  }

  report(command = 'build'): any {
    return JSON.parse(fs.readFileSync(path.join(this.dir, `.${this.brand}`, 'reports', `last-${command}.json`), 'utf8'))
  }

  /** Removes every container, network, volume, image and builder this project made. */
  cleanup(): void {
    for (const e of this.envs) this.docker(['compose', '-p', `${this.brand}-${e}`, 'down', '-v', '--remove-orphans', '-t', '1'])
    this.docker(['compose', '-p', `${this.brand}-infra`, 'down', '-v', '--remove-orphans', '-t', '1'])
    this.docker(['volume', 'rm', '-f', `${this.brand}-registry-data`])
    this.docker(['network', 'rm', `${this.brand}-registry`])
    this.docker(['buildx', 'rm', '-f', this.builder])
    const imgs = this.docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
      .stdout.split('\n')
      .filter((i) => i.startsWith(`${this.registry}/`))
    if (imgs.length) this.docker(['image', 'rm', '-f', ...imgs])
    fs.rmSync(this.dir, { recursive: true, force: true })
    fs.rmSync(this.cfg, { recursive: true, force: true })
  }
}

export function must(r: Ran, what: string): Ran {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-1000)}`)
  return r
}
