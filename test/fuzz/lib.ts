// Shared by the fuzz tests: seed and case count from the environment, one
// case = one run of the built bundle in a fresh folder, and the properties
// every case must keep (exit code, one error line naming the input, no
// stack, no byte written when an error is reported).
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { BUNDLE, FAKE_DOCKER, tmpdir, type Ran } from '../lib/helpers.ts'

// fixed by default so `make test` is reproducible; `make fuzz-long` picks a random one
export const SEED = Number(process.env.FUZZ_SEED ?? 42)
export const RUNS = Number(process.env.FUZZ_RUNS ?? 25)

/** A uvu test running one fast-check property; a failure says how to replay it. */
export function fuzz<T>(name: string, arb: fc.Arbitrary<T>, check: (v: T) => void | Promise<void>, examples: T[] = []): void {
  test(name, async () => {
    try {
      await fc.assert(
        fc.asyncProperty(arb, async (v) => {
          await check(v)
        }),
        { seed: SEED, numRuns: RUNS, examples: examples.map((e) => [e] as [T]) },
      )
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e)
      // fast-check keeps the failing assertion in `cause`
      const cause = e instanceof Error && e.cause instanceof Error ? `\n${e.cause.message}` : ''
      throw new Error(`${msg}${cause}\nreplay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} node test/run.mjs fuzz`, { cause: e })
    }
  })
}

/** One case's folders: the project, the bundle's TMPDIR, and a folder outside the project that escapes aim at. */
export interface Space {
  root: string
  proj: string
  tmp: string
  outside: string
}

export function space(): Space {
  const root = tmpdir('esb-fuzz-')
  const s = { root, proj: path.join(root, 'proj'), tmp: path.join(root, 'tmp'), outside: path.join(root, 'outside') }
  for (const d of [s.proj, s.tmp, s.outside]) fs.mkdirSync(d)
  fs.writeFileSync(path.join(s.outside, 'keep.txt'), 'not the project\n')
  return s
}

/** Generated paths say @ROOT@ / @OUT@ for folders only known when the case runs. */
export function fill(s: Space, text: string): string {
  return text.replaceAll('@ROOT@', s.root).replaceAll('@OUT@', s.outside)
}

/** Writes files (relative to the project) with their parent folders. */
export function writeFiles(s: Space, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(s.proj, rel)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, typeof content === 'string' ? fill(s, content) : content)
  }
}

/** Every entry below root: kind, size, mtime and content hash (folders: only that they exist; links: their target). */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name)
      const st = fs.lstatSync(p)
      const rel = path.relative(root, p)
      if (st.isSymbolicLink()) out.set(rel, `link ${fs.readlinkSync(p)}`)
      else if (st.isDirectory()) {
        out.set(rel, `dir ${st.mode & 0o7777}`)
        walk(p)
      } else if (st.isFile())
        out.set(
          rel,
          `file ${st.size} ${st.mtimeMs} ${st.mode & 0o7777} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 16)}`,
        )
      else out.set(rel, `other ${st.mode}`)
    }
  }
  walk(root)
  return out
}

/** What changed between two snapshots, one line per path. */
export function changes(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = []
  for (const [k, v] of b) if (a.get(k) !== v) out.push(`${a.has(k) ? 'changed' : 'added'} ${k}`)
  for (const k of a.keys()) if (!b.has(k)) out.push(`removed ${k}`)
  return out
}

/** The fake docker answering what build needs (bake --print, an adoptable builder). */
export function fakeDocker(s: Space): Record<string, string> {
  const rules = path.join(s.root, 'rules.json')
  fs.writeFileSync(
    rules,
    JSON.stringify([
      { match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) },
      { match: ['buildx', 'inspect'], stdout: 'Driver: docker-container\nDriver Options: network="host"\n' },
    ]),
  )
  return { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules }
}

export interface Expect {
  /** exit codes allowed (default 0 or 2: config input is the user's to fix) */
  codes?: number[]
  /** the error line must contain one of these (a file's name, a flag) */
  names: string[]
  /** nothing may be written even on success (--dry-run, --check) */
  readOnly?: boolean
}

/**
 * Runs the bundle in the case's project with only the environment given
 * (no ESB_* of the caller leaks in), TMPDIR the case's own, and checks the
 * properties. Returns the run for more checks.
 */
export function runCase(s: Space, args: string[], env: Record<string, string>, exp: Expect): Ran {
  const before = snapshot(s.root)
  // a hang (a read that never ends) is a failure too, not a stuck test run
  const go = () =>
    spawnSync(BUNDLE, args, {
      cwd: s.proj,
      env: cleanEnv(s, env),
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
      maxBuffer: 64 << 20,
    })
  let p = go()
  // the machine could not start the process (EAGAIN, ENOMEM on a busy host): not the product's doing, try once more
  if (p.error && (p.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') p = go()
  const r: Ran = {
    code: p.status,
    signal: p.signal,
    stdout: p.stdout ?? '',
    stderr: `${p.error ? `(test: ${p.error.message})\n` : ''}${p.stderr ?? ''}`,
  }
  const after = snapshot(s.root)
  checkOutcome(r, exp, changes(before, after), `${args.join(' ')}`)
  return r
}

function cleanEnv(s: Space, env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? s.root, TMPDIR: s.tmp, NO_COLOR: '1', ...env }
}

/** `docker esb:` lines that are errors (a warning may come before the error). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('docker esb:') && !l.startsWith('docker esb: warning:'))
}

/**
 * Errors of scripts/project/config.ts that do not say where the bad value
 * came from (esb.toml, .env, the environment). That file is being changed
 * elsewhere: these are reported, and only their naming is let pass here.
 */
export const KNOWN_UNNAMED: RegExp[] = []

// FUZZ_STATS=1: how cases ended (exit code and error shape), to see what the generators reach
const stats = new Map<string, number>()
process.on('exit', () => {
  if (!process.env.FUZZ_STATS) return
  for (const [k, n] of [...stats].sort((a, b) => b[1] - a[1])) console.error(`${String(n).padStart(4)}  ${k}`)
})

export function checkOutcome(r: Ran, exp: Expect, changed: string[], what: string): void {
  const key = `${what.split(' -C')[0].replace(/\/\S*/g, '/…')} -> ${r.code}${
    r.code
      ? ` ${(errorLines(r.stderr)[0] ?? '')
          .replace(/\/\S*/g, '/…')
          .replace(/"[^"]*"/g, '"…"')
          .slice(11, 70)}`
      : ''
  }`
  stats.set(key, (stats.get(key) ?? 0) + 1)
  const ctx = `${what}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n${r.stderr.slice(0, 2000)}`
  assert.not.match(r.stderr, /internal error|\n\s+at \S/, `no stack trace: ${ctx}`)
  assert.ok((exp.codes ?? [0, 2]).includes(r.code ?? -1), `exit code: ${ctx}`)
  if (r.code !== 0) {
    const errs = errorLines(r.stderr)
    assert.is(errs.length, 1, `one error line: ${ctx}`)
    if (!KNOWN_UNNAMED.some((re) => re.test(errs[0])))
      assert.ok(
        exp.names.some((n) => errs[0].includes(n)),
        `the error names one of ${JSON.stringify(exp.names)}: ${ctx}`,
      )
  }
  if (r.code !== 0 || exp.readOnly) assert.equal(changed, [], `nothing written: ${ctx}`)
}

export function drop(s: Space): void {
  fs.rmSync(s.root, { recursive: true, force: true })
}
