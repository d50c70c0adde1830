// The runner: the ONLY code that spawns docker. It executes plans made by
// plan.ts step by step, and answers read-only questions (bake --print,
// compose config) for the planners.
import fs from 'node:fs'
import path from 'node:path'
import net from 'node:net'
import http from 'node:http'
import { $, type ProcessPromise } from 'zx'
import { CancelledError, DockerError, EsbError } from './errors.ts'
import { writeFileAtomic } from './render.ts'
import { pinBases, type Env, type Plan, type Step } from './plan.ts'
import { promoteCache, pruneLocal } from './cachefs.ts'
import { portHolder } from './portholder.ts'
import { withMutex, withShared } from './lock.ts'
import { ProgressCollector, hitReport, reportText, stepOf, type HitReport } from './hitrate.ts'

$.verbose = false
$.quiet = true

export interface RunResult { code: number; stdout: string; stderr: string }
export interface RunOptions {
  env?: Env
  cwd?: string
  /** collect stdout/stderr instead of passing them to the terminal */
  capture?: boolean
  allowFail?: boolean
  input?: string
  /** receive stdout and stderr line by line instead of passing them to the terminal */
  onLine?: (line: string) => void
}

export class Runner {
  private active = new Set<ProcessPromise>()
  private cancelled: 'SIGINT' | 'SIGTERM' | null = null

  constructor(
    /** how to call docker back: DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND, else `docker` */
    readonly docker: string,
    /** docker's global flags, put before every subcommand */
    readonly globalFlags: string[],
    readonly log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
    /** set on every docker call (an absolute DOCKER_CONFIG) */
    readonly baseEnv: Env = {},
  ) {}

  async run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
    if (this.cancelled) throw new CancelledError(this.cancelled)
    const full = [...this.globalFlags, ...argv]
    const p = $({
      cwd: o.cwd,
      env: { ...process.env, ...this.baseEnv, ...(o.env ?? {}) },
      nothrow: true,
      quiet: true,
      input: o.input,
      stdio: o.capture || o.onLine ? ['pipe', 'pipe', 'pipe'] : [o.input !== undefined ? 'pipe' : 'inherit', 'inherit', 'inherit'],
    })`${this.docker} ${full}`
    if (o.onLine) for (const stream of [p.stdout, p.stderr]) splitLines(stream, o.onLine)
    this.active.add(p)
    let out
    try { out = await p } finally { this.active.delete(p) }
    if (this.cancelled) throw new CancelledError(this.cancelled)
    const code = out.exitCode ?? (out.signal ? 128 + 15 : 1)
    const res = { code, stdout: out.stdout, stderr: out.stderr }
    if (code !== 0 && !o.allowFail) throw new DockerError(argv, code, o.capture ? lastLine(out.stderr) : '')
    return res
  }

  /** Stops running children (they get the same signal) and makes run() throw. */
  cancel(signal: 'SIGINT' | 'SIGTERM'): Promise<unknown> {
    this.cancelled = signal
    return Promise.allSettled([...this.active].map((p) => p.kill(signal)))
  }

  async execute(plan: Plan): Promise<void> {
    for (const step of plan.steps) await this.step(step)
  }

  private async step(st: Step): Promise<void> {
    switch (st.kind) {
      case 'write':
        writeFileAtomic(st.path, st.content, st.mode)
        return
      case 'pin-bases': {
        let md: any
        try { md = JSON.parse(fs.readFileSync(st.metadataFile, 'utf8')) } catch { throw new EsbError(`the base build left no metadata at ${st.metadataFile}; run the build again`) }
        let json
        try { json = pinBases(st.json, st.refs, md) } catch (e: any) { throw new EsbError(e.message) }
        writeFileAtomic(st.path, JSON.stringify(json, null, 2) + '\n')
        return
      }
      case 'prune-local': {
        const r = pruneLocal(st.cacheDir, st.runsDir, st.minAgeMs)
        this.log(`# local caches: removed ${r.removed.length} old export(s) and run folder(s)`)
        return
      }
      case 'cleanup':
        for (const p of st.paths) fs.rmSync(p, { recursive: true, force: true })
        return
      case 'mkdir':
        for (const p of st.paths) fs.mkdirSync(p, { recursive: true })
        return
      case 'docker': {
        this.log(`# ${st.why}`)
        const go = () => (st.report ? this.runWithReport(st) : this.run(st.argv, { env: st.env, cwd: st.cwd }).then(() => undefined))
        // a build holds its builder shared: no recreation under a running build
        return st.builder ? withShared(`builder-${st.builder}`, go) : go()
      }
      case 'ensure-registry':
        return withMutex(`registry-${st.port}`, () => this.ensureRegistry(st))
      case 'ensure-builder':
        return withMutex(`builder-${st.name}`, () => this.ensureBuilder(st))
      case 'promote-cache':
        for (const g of st.gens) promoteCache(g.dir, g.gen)
        return
    }
  }

  /** Runs a build, shows its progress for a person, and writes the cache hit report. */
  private async runWithReport(st: Extract<Step, { kind: 'docker' }>): Promise<void> {
    const rep = st.report!
    // phases of one command add up into one report
    const acc = this.reports.get(rep.file) ?? { col: new ProgressCollector(), raw: [] as string[], t0: Date.now() }
    this.reports.set(rep.file, acc)
    const { col, raw, t0 } = acc
    const logs = new Map<string, string[]>()
    const onLine = (line: string) => {
      raw.push(line)
      if (!line.startsWith('{')) { col.line(line); this.log(line); return } // warnings, errors, plain progress
      try {
        for (const l of JSON.parse(line).logs ?? []) {
          const arr = logs.get(l.vertex) ?? []
          arr.push(...Buffer.from(l.data ?? '', 'base64').toString('utf8').split('\n').filter(Boolean))
          logs.set(l.vertex, arr.slice(-30))
        }
      } catch { /* not ours */ }
      for (const v of col.line(line)) {
        if (!stepOf(v.name) && !v.error) continue
        // a cache that does not exist yet is not a failure (ignore-error / first run)
        if (v.error && /importing cache manifest from|exporting cache to/.test(v.name)) { this.log(`${v.name}  (skipped: ${v.error.split(': ').pop()})`); continue }
        const secs = v.startedMs && v.completedMs ? ` ${((v.completedMs - v.startedMs) / 1000).toFixed(1)}s` : ''
        this.log(`${v.name.length > 100 ? v.name.slice(0, 97) + '...' : v.name}  ${v.error ? 'ERROR: ' + v.error : v.cached ? 'CACHED' : 'done' + secs}`)
        if (v.error) {
          const digest = [...col.vertices.entries()].find(([, x]) => x === v)?.[0]
          for (const l of (digest && logs.get(digest)) || []) this.log(`  | ${l}`)
        }
      }
    }
    let failed = false
    try {
      await this.run(st.argv, { env: st.env, cwd: st.cwd, onLine })
    } catch (e) {
      failed = true
      throw e
    } finally {
      const report = hitReport(rep.command, col.vertices.values(), Date.now() - t0, failed)
      fs.mkdirSync(path.dirname(rep.file), { recursive: true })
      fs.writeFileSync(rep.file, JSON.stringify(report, null, 2) + '\n')
      fs.writeFileSync(rep.file.replace(/\.json$/, '.progress.log'), raw.join('\n') + '\n')
      this.lastReport = report
      if (!failed && rep.final !== false) this.log(reportText(report).trimEnd())
    }
  }

  private reports = new Map<string, { col: ProgressCollector; raw: string[]; t0: number }>()

  /** The hit report of the last build this runner ran (for --json). */
  lastReport: HitReport | null = null

  private async ensureRegistry(st: Extract<Step, { kind: 'ensure-registry' }>): Promise<void> {
    if ((await httpStatus(st.url)) === 200) {
      // a registry answers: ours (or a plain host process) is reused; another project's container is not ours to use
      const holder = (await this.run(['ps', '--filter', `publish=${st.port}`, '--format', '{{.Names}}'], { capture: true, allowFail: true, env: st.env })).stdout.trim().split('\n').filter(Boolean)
      if (holder.length && !holder.includes(st.containerName)) {
        throw new EsbError(`registry port ${st.port} is held by container ${holder.join(', ')}, not ${st.containerName}; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`)
      }
      this.log(`# registry answers on ${st.url}: reused`)
      return
    }
    if (!(await portFree(st.port))) {
      const holder = (await this.run(['ps', '--filter', `publish=${st.port}`, '--format', '{{.Names}}'], { capture: true, allowFail: true })).stdout.trim()
      const who = holder ? `container ${holder.split('\n').join(', ')}` : portHolder(st.port) ?? 'another process'
      throw new EsbError(`registry port ${st.port} is held by ${who} that is not a registry; pick another port with PORT_REGISTRY=<port> or [registry] port in esb.toml`)
    }
    this.log(`# ${st.why}`)
    await this.run(st.up, { env: st.env, cwd: st.cwd })
    const deadline = Date.now() + st.timeoutMs
    while (Date.now() < deadline) {
      if ((await httpStatus(st.url)) === 200) return
      await new Promise((r) => setTimeout(r, 250))
    }
    throw new EsbError(`registry did not answer 200 on ${st.url} within ${st.timeoutMs / 1000}s; see 'docker logs ${st.containerName}'`)
  }

  private async ensureBuilder(st: Extract<Step, { kind: 'ensure-builder' }>): Promise<void> {
    const inspect = await this.run(st.inspect, { capture: true, allowFail: true, env: st.env })
    let state: { fingerprint?: string } = {}
    try { state = JSON.parse(fs.readFileSync(st.stateFile, 'utf8')) } catch { /* none yet */ }
    if (inspect.code === 0) {
      const driver = /^Driver:\s*(\S+)/m.exec(inspect.stdout)?.[1]
      if (driver && driver !== 'docker-container') {
        throw new EsbError(`builder ${st.name} exists with driver ${driver}, not docker-container; remove it ('docker buildx rm ${st.name}') or set BUILDX_BUILDER to another name`)
      }
      if (state.fingerprint === st.fingerprint) { this.log(`# builder ${st.name}: reused`); return }
      // Options changed (or unknown): recreate, keeping BuildKit's state (the cache).
      this.log(`# builder ${st.name}: options changed, recreating with --keep-state`)
      await this.run(st.remove, { env: st.env })
    } else {
      this.log(`# ${st.why}: creating`)
    }
    const created = await this.run(st.create, { env: st.env, capture: true, allowFail: true })
    if (created.code !== 0) {
      throw new EsbError(`could not create builder ${st.name}: ${lastLine(created.stderr) || 'no output'}; check that the engine can run the BuildKit image (set [builder] image in esb.toml for an offline mirror)`)
    }
    // A fresh builder can report running before buildkitd listens (buildx#4021): bootstrap, retry once.
    const boot = await this.run(st.bootstrap, { env: st.env, capture: true, allowFail: true })
    if (boot.code !== 0) {
      await new Promise((r) => setTimeout(r, 2000))
      await this.run(st.bootstrap, { env: st.env, capture: true })
    }
    fs.mkdirSync(path.dirname(st.stateFile), { recursive: true })
    fs.writeFileSync(st.stateFile, JSON.stringify({ name: st.name, fingerprint: st.fingerprint, create: st.create }, null, 2) + '\n')
  }
}

function splitLines(stream: NodeJS.ReadableStream, cb: (line: string) => void): void {
  let buf = ''
  stream.on('data', (d: Buffer) => {
    buf += d.toString('utf8')
    let i
    while ((i = buf.indexOf('\n')) >= 0) { cb(buf.slice(0, i)); buf = buf.slice(i + 1) }
  })
  stream.on('end', () => { if (buf) cb(buf) })
}

function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? ''
}

/** GET on loopback; never through a proxy (node's http ignores proxy variables). */
export function httpStatus(url: string, timeoutMs = 2000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('timeout', () => { req.destroy(); resolve(0) })
    req.on('error', () => resolve(0))
  })
}

export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}
