// The runner: the ONLY code that spawns docker. It spawns, streams output
// and cancels; it decides nothing. Plans are executed by plan/execute.ts.
import { execFileSync } from 'node:child_process'
import { $, type ProcessPromise } from 'zx/core'
import { CancelledError, DockerError } from '../errors.ts'
import { DEFAULT_DOCKER_CONFIG } from './config.ts'

$.verbose = false
$.quiet = true

export type Env = Record<string, string>

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}
export interface RunOptions {
  env?: Env
  cwd?: string
  /** collect stdout/stderr instead of passing them to the terminal */
  capture?: boolean
  /** return a failed result instead of throwing DockerError */
  allowFail?: boolean
  input?: string
  /** receive stdout and stderr line by line instead of passing them to the terminal */
  onLine?: (line: string) => void
}

export type Signal = 'SIGINT' | 'SIGTERM'

export class Runner {
  private active = new Set<ProcessPromise>()
  private cancelledBy: Signal | null = null
  private aborter = new AbortController()
  /** aborted on cancel: streams and HTTP requests (oci/) stop with it */
  readonly signal = this.aborter.signal

  constructor(
    /** how to call docker back: DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND, else `docker` */
    readonly docker: string,
    /** docker's global flags, put before every subcommand */
    readonly globalFlags: string[],
    readonly log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
    /** set on every docker call (an absolute DOCKER_CONFIG) */
    readonly baseEnv: Env = {},
    /** the docker config folder docker uses (--config, DOCKER_CONFIG, ~/.docker): registry credentials */
    readonly configDir: string = DEFAULT_DOCKER_CONFIG,
  ) {}

  /** read-only questions started early, while the plan is made (prefetch) */
  private early = new Map<string, Promise<RunResult>>()
  private earlyChildren = new Map<string, ProcessPromise>()

  /**
   * Starts a read-only question now, in parallel with other work; the next
   * run() of the same argv with capture and allowFail takes its answer.
   */
  prefetch(argv: string[], env?: Env): void {
    const key = JSON.stringify(argv)
    if (this.early.has(key)) return
    const before = new Set(this.active)
    const p = this.run(argv, { capture: true, allowFail: true, env })
    p.catch(() => undefined)
    this.early.set(key, p)
    // run() registers its child before its first await
    const child = [...this.active].find((c) => !before.has(c))
    if (child) this.earlyChildren.set(key, child)
  }

  /** Stops the early questions nobody took (the command is over; their answers would only hold the exit). */
  dropEarly(): void {
    for (const key of this.early.keys()) {
      const child = this.earlyChildren.get(key)
      try {
        void child?.kill('SIGTERM').catch(() => undefined)
      } catch {
        /* it has finished meanwhile */
      }
    }
    this.early.clear()
    this.earlyChildren.clear()
  }

  async run(argv: string[], o: RunOptions = {}): Promise<RunResult> {
    const early = o.capture && o.allowFail && !o.input ? this.early.get(JSON.stringify(argv)) : undefined
    if (early) {
      this.early.delete(JSON.stringify(argv))
      this.earlyChildren.delete(JSON.stringify(argv))
      return early
    }
    this.throwIfCancelled()
    const full = [...this.globalFlags, ...argv]
    const piped = o.capture || o.onLine
    const p = $({
      cwd: o.cwd,
      env: { ...process.env, ...this.baseEnv, ...(o.env ?? {}) },
      nothrow: true,
      quiet: true,
      input: o.input,
      stdio: piped ? ['pipe', 'pipe', 'pipe'] : [o.input !== undefined ? 'pipe' : 'inherit', 'inherit', 'inherit'],
    })`${this.docker} ${full}`
    if (o.onLine) for (const stream of [p.stdout, p.stderr]) splitLines(stream, o.onLine)
    this.active.add(p)
    let out
    try {
      out = await p
    } finally {
      this.active.delete(p)
    }
    this.throwIfCancelled()
    const code = out.exitCode ?? (out.signal ? 128 + 15 : 1)
    const res = { code, stdout: out.stdout, stderr: out.stderr }
    if (code !== 0 && !o.allowFail) throw new DockerError(argv, code, o.capture ? lastLine(out.stderr) : '')
    return res
  }

  /** Stops running children (they get the same signal) and makes run() throw. */
  cancel(signal: Signal): Promise<unknown> {
    this.cancelledBy = signal
    this.aborter.abort(new CancelledError(signal))
    return Promise.allSettled([...this.active].map((p) => p.kill(signal)))
  }

  /** the signal that cancelled this run, or null */
  get cancelled(): Signal | null {
    return this.cancelledBy
  }

  /** docker children still running (a cancelled build is given time to stop them) */
  get busy(): boolean {
    return this.active.size > 0
  }

  throwIfCancelled(): void {
    if (this.cancelledBy) throw new CancelledError(this.cancelledBy)
  }
}

function splitLines(stream: NodeJS.ReadableStream, cb: (line: string) => void): void {
  let buf = ''
  stream.on('data', (d: Buffer) => {
    buf += d.toString('utf8')
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      cb(buf.slice(0, i))
      buf = buf.slice(i + 1)
    }
  })
  stream.on('end', () => {
    if (buf) cb(buf)
  })
}

export function lastLine(s: string): string {
  return s.trim().split('\n').filter(Boolean).pop() ?? ''
}

/**
 * A docker credential helper's answer for a registry host (registry/auth.ts):
 * `docker-credential-<name> get`, the host on stdin, as the Docker CLI asks
 * it. Argv, never a shell: the name comes from the user's docker config.
 */
export function credentialHelper(name: string, host: string): string {
  return execFileSync(`docker-credential-${name}`, ['get'], {
    input: host,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 30_000,
  }).toString('utf8')
}
