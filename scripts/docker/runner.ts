// The runner: the ONLY code that spawns docker. It spawns, streams output
// and cancels; it decides nothing. Plans are executed by plan/execute.ts.
// docker is spawned with its argv, never through a shell: no quoting to get
// wrong, no shell started per call, and no ~/.bashrc (bash reads it for
// `bash -c` when its stdin is a socket, as Node's pipes are, and SHLVL < 1:
// measured +0.2 s a no-op build on a machine with pyenv in its .bashrc).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { CancelledError, DockerError } from '../errors.ts'
import { DEFAULT_DOCKER_CONFIG } from './config.ts'

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
  private active = new Set<ChildProcess>()
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
  private earlyChildren = new Map<string, ChildProcess>()

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
      child?.kill('SIGTERM')
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
    const child = spawn(this.docker, full, {
      cwd: o.cwd,
      env: { ...process.env, ...this.baseEnv, ...(o.env ?? {}) },
      // stdin: the input given, else nothing when docker's output is read here, else the user's
      stdio: [
        o.input !== undefined ? 'pipe' : piped ? 'ignore' : 'inherit',
        piped ? 'pipe' : 'inherit',
        piped ? 'pipe' : 'inherit',
      ],
    })
    this.active.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')))
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')))
    if (o.onLine) for (const stream of [child.stdout, child.stderr]) if (stream) splitLines(stream, o.onLine)
    if (child.stdin) {
      child.stdin.on('error', () => undefined) // docker may exit before reading it all
      child.stdin.end(o.input)
    }
    let code: number
    try {
      code = await new Promise<number>((resolve, reject) => {
        child.on('error', (e: NodeJS.ErrnoException) =>
          e.code === 'ENOENT' ? resolve(127) : reject(new DockerError(argv, 1, e.message)),
        )
        child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + 15 : 1)))
      })
    } finally {
      this.active.delete(child)
    }
    this.throwIfCancelled()
    const res = { code, stdout, stderr }
    if (code !== 0 && !o.allowFail) throw new DockerError(argv, code, o.capture ? lastLine(stderr) : '')
    return res
  }

  /** Stops running children (they get the same signal) and makes run() throw. */
  cancel(signal: Signal): Promise<unknown> {
    this.cancelledBy = signal
    this.aborter.abort(new CancelledError(signal))
    return Promise.allSettled([...this.active].map((c) => c.kill(signal)))
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
