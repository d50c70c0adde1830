// Differential test: docker esb's .env reader against the real `docker
// compose` (`config --environment` prints the variables it read). For every
// file, compose and parseEnvFile agree on every value, or both fail; the one
// allowed difference is our refusal of a nameless variable, which compose
// makes silently.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { dockerConfig, tmpdir, which } from '../lib/helpers.ts'
import { parseEnvFile } from '../../scripts/project/envfile.ts'
import { UsageError } from '../../scripts/errors.ts'

const DOCKER = which('docker')
const CFG = dockerConfig()
const DIR = tmpdir('esb-envfile-')
fs.writeFileSync(path.join(DIR, 'compose.yml'), 'services:\n  s:\n    image: busybox\n')
// compose runs with only these; nothing else from our environment can leak in
const ENV: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: DIR, DOCKER_CONFIG: CFG }
// compose adds PWD (its working folder) when it is not set
const LOOKUP: Record<string, string> = { ...ENV, PWD: DIR }
// what compose (and the docker CLI that starts it) adds to the printed environment
const AMBIENT = /^(COMPOSE_PROJECT_NAME|DOCKER_CLI_PLUGIN_[A-Z_]+|DOCKER_CONFIG|HOME|PATH|PWD)$/

interface Compose {
  code: number | null
  stdout: string
  stderr: string
}

function compose(file: string): Promise<Compose> {
  return new Promise((resolve, reject) => {
    const p = spawn(DOCKER ?? 'docker', ['compose', '-f', 'compose.yml', '--env-file', file, 'config', '--environment'], {
      cwd: DIR,
      env: ENV,
    })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8')
    })
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8')
    })
    p.on('error', reject)
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs compose over all files, a few at a time (the machine has 2 cores). */
async function composeAll(texts: string[], parallel = 4): Promise<Compose[]> {
  const out: Compose[] = new Array(texts.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < texts.length) {
      const i = next++
      const file = `case-${i}.env`
      fs.writeFileSync(path.join(DIR, file), texts[i])
      out[i] = await compose(file)
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return out
}

/** What compose prints for these variables: sorted `K=V` lines (Go sorts bytes), ambient ones left out. */
function render(vars: Record<string, string>): string {
  return Object.entries(vars)
    .filter(([k]) => !AMBIENT.test(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((l) => `${l}\n`)
    .join('')
}
const withoutAmbient = (stdout: string): string =>
  stdout
    .split(/(?<=\n)/)
    .filter((l) => !AMBIENT.test(l.split('=')[0]))
    .join('')

type Verdict = { ok: true; onlyUs?: boolean } | { ok: false; why: string }

function compare(text: string, c: Compose): Verdict {
  let ours: Record<string, string> | null = null
  let err: Error | null = null
  try {
    ours = parseEnvFile('case.env', text, (n) => LOOKUP[n])
  } catch (e) {
    err = e as Error
    if (!(e instanceof UsageError)) return { ok: false, why: `parseEnvFile threw a non-UsageError: ${err.stack}` }
    if (/\n/.test(err.message)) return { ok: false, why: `error is not one line: ${err.message}` }
  }
  if (err) {
    if (c.code !== 0) return { ok: true }
    // our one deliberate refusal: compose makes a variable with an empty name
    if (/: no name before|no '=' and no line break/.test(err.message) && /(^|\n)=/.test(c.stdout))
      return { ok: true, onlyUs: true }
    return { ok: false, why: `we refused (${err.message}) but compose read:\n${c.stdout}` }
  }
  if (c.code !== 0) return { ok: false, why: `compose failed (${c.stderr.trim()}) but we read ${JSON.stringify(ours)}` }
  const want = withoutAmbient(c.stdout)
  const got = render(ours ?? {})
  return want === got ? { ok: true } : { ok: false, why: `compose:\n${JSON.stringify(want)}\nours:\n${JSON.stringify(got)}` }
}

// Hand-written: the cases, compose's surprises, and compose-go's own test inputs.
const HAND: string[] = [
  'A=1 # c\nPORT_REGISTRY=6000\n',
  'FOO="unterminated\nB=1\nC=2\n',
  "FOO='it''s'\nB=2\n",
  'A= # c\nB=x #c\nC=x#c\nD=x\t#c\n',
  'A="x" B=2\n',
  'A="x"#c\nB=\'y\' # c\n',
  'A=\\$x $$y\nB="\\$x $$y"\nC=\'$x $$y\'\n',
  'A=${B\n',
  'A=${B:?boom}\n',
  'A=1\nB=${A:?boom}\n',
  'A=\nB=${A:?e}\n',
  'A=\nB=${A?e}\n',
  '=x\n',
  'FOO',
  'A="x"y',
  'A=1\r\nB="x\r\ny"\r\nC=3 # c\r\n',
  '\uFEFFA=1\nB=2\n',
  'export A=1\nexport\tB=2\n  export C=3\nexportD=4\nexport=5\n',
  'export \nA=1\n',
  'export\nB=1\n',
  'A: 1\nB:2\nC: x=y\nD=1:2\n',
  'A\tB=1\n',
  '1A=x\n',
  'A.b-c[0]=1\n',
  'é=1\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ\n',
  '²=sq\n',
  'K="\\a\\b\\f\\n\\r\\t\\v\\\\|\\0123|\\0|\\01|\\012|\\0400|\\0377|\\0089|\\01234|\\x41\\u00e9\\c\\q\\\'"\n',
  "K='a\\'b\\\\c\\nd\\\"'\n",
  'A=1\nB=${X:-${A}}\nC=${A:+${A}x}\nD=${X+y}\nE=${A-z}\nF=${X:+y}\nG=${A+y}\n',
  'a=${X:-${Y:-d}}e}f\n',
  'A=x\nB=${A:-{}}\nC=${X:-{x}y}\nD=${X:-{}x}\nE=${X:-}}\n',
  'A=$1$-$ $}x$\n',
  'A=${A.B}\n',
  'A=${}\n',
  'A=${A B}\n',
  'A=1\nA\nB\nC=$A$B\n',
  'HOME=x\nB=$HOME\nC=${HOME:-d}\n',
  '# only a comment',
  '',
  '\n\n  \t\n',
  '   # indented\nA=1\n',
  'B=b\nA="multi\nline $B"\n',
  'A="${B:-x\ny}"\n',
  '\u017f=long-s\nB=$\u017f\n\u212a=kelvin\nC=${\u212a}\n',
  'A=a\\\nB=2\n',
  'A="a\\"\nB=2"\n',
  'A=\'\'\nB=""\nC=\n',
  'A = "x" \n',
  'A=x\tB\n',
  'A B=1\n',
  '"A"=1\n',
  'lol$wut',
  'A=1\nA=2\n',
  "A='x\ny'\nB=\"it's\"\nC='say \"hi\"'\n",
  'A="\\${B}"\nB=1\nC="\\$$B"\n',
  'OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n',
  "export OPTION_A='postgres://localhost:5432/database?sslmode=disable'\n",
  'OPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F = \nOPTION_H = my string # Inline comment\n',
  'foo="\n  a\n  multine\n  value\n"\nINVALID LINE\nzot=qix',
  'TEST_URLS="stratum+tcp://a.com:3333\nstratum+tcp://a.com:443"',
  'FOO="bar\\n\\ b\\az"\nBAR="bar\\\\\\n\\ b\\az"\n',
  'A=${B:-x} ${C:-y}\nD=${B-x}${C:+y}z}\n',
  'A=1\nB="${A:+${X:?inner}}"\n',
  'A=1\nB=${X:-${Y:?unused}}\n',
  'A=$$$$A\nB=$A$\n',
  // compose reads the file more than once: COMPOSE_* first, then the values, then again with those values in its environment
  'A=1\nB=$A\nA=2\n',
  'A=1\nB=${A:?need}\nA=\n',
  'A=1\nB=${A?need}\nA\n',
  'B=${A:?x}\nA=1\n',
  'A=1\nB=${A:-${C:?later}}\nC=\n',
  'COMPOSE_X=1\nB=$COMPOSE_X\nCOMPOSE_X=2\n',
  'COMPOSE_X=$COMPOSE_Y\nCOMPOSE_Y=y\n',
  'COMPOSE_X=${A:?x}\nA=1\n',
  'P=$PWD\nQ=${PWD:+set}\n',
]

// Generated: a seeded mix of names, quotes, escapes, comments, references to
// earlier names, blank lines and line endings.
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function generate(seed: number): string {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]
  const names = ['A', 'B', 'K_1', 'lower', 'X.Y', 'dash-ed', 'V9', 'Ü', 'COMPOSE_Z']
  const seen: string[] = []
  const ref = (): string => {
    const ids = seen.filter((n) => /^[A-Za-z_]\w*$/.test(n))
    const n = r() < 0.85 && ids.length ? pick(ids) : pick(['MISSING', 'HOME', ...names])
    if (r() < 0.05) return `\${${n}:?need}`
    return pick([
      `$${n}`,
      `\${${n}}`,
      `\${${n}:-d${n}}`,
      `\${${n}-x}`,
      `\${${n}:+p}`,
      `\${${n}+q}`,
      `\${${n}:-\${A:-z}}`,
      `$${n}tail`,
    ])
  }
  const common = ['word', ' ', '  ', 'é', '=', ':', '#', ' #', '$$', '$', '-', '{', '}', '\\', '\t', '.', ',']
  const frag = (kind: string): string => {
    const x = r()
    if (x < 0.2) return ref()
    if (kind === '"') return pick([...common, '\\n', '\\t', '\\"', '\\\\', '\\$', "'", '\n', '\\0101', '\\x41', '\\a'])
    if (kind === "'") return pick([...common, '\\n', "\\'", '\\\\', '"', '\n', '$A'])
    return pick([...common, '"', "'", '\\n'])
  }
  const value = (): string => {
    const kind = pick(['', '', '"', "'"])
    const n = Math.floor(r() * 5)
    let body = ''
    for (let i = 0; i < n; i++) body += frag(kind)
    // unquoted: one line, and a leading quote would make it a quoted value
    if (kind === '') return body.replace(/\n/g, '').replace(/^["']/, 'v$&')
    const close = r() < 0.03 ? '' : kind // sometimes unterminated
    return kind + body + close + pick(['', '', '', ' # note', '#x', ' ', ' B=2', r() < 0.3 ? 'tail' : ''])
  }
  const eol = pick(['\n', '\n', '\r\n'])
  const lines: string[] = []
  for (let i = 0, n = 1 + Math.floor(r() * 7); i < n; i++) {
    const kind = r()
    if (kind < 0.08) lines.push(pick(['', '   ', '# comment', '  # indented "quote', '\t']))
    else if (kind < 0.12 && seen.length) lines.push(pick(seen))
    else {
      const name = pick(names)
      lines.push(
        `${r() < 0.15 ? pick(['export ', 'export\t']) : ''}${name}${pick(['=', '=', '=', ' = ', ': ', ':'])}${value()}${pick(['', '', ' # c'])}`,
      )
      seen.push(name)
    }
  }
  const text = lines.join(eol) + (r() < 0.9 ? eol : '')
  return r() < 0.05 ? `\uFEFF${text}` : text
}

const GENERATED = Array.from({ length: 250 }, (_, i) => generate(1000 + i))

test('docker compose is there to compare with', async () => {
  assert.ok(DOCKER, 'docker not found on PATH')
  const c = await compose('none.env')
  assert.match(c.stderr, /none\.env/, 'compose runs and names the missing env file')
})

for (const [label, texts] of [
  ['hand-written', HAND],
  ['generated', GENERATED],
] as const) {
  test(`${label} .env files: parseEnvFile reads what docker compose reads (${texts.length} files)`, async () => {
    const results = await composeAll([...texts])
    const bad: string[] = []
    let refusedToo = 0
    let onlyUs = 0
    results.forEach((c, i) => {
      if (c.code !== 0) refusedToo++
      const v = compare(texts[i], c)
      if (v.ok && v.onlyUs) onlyUs++
      if (!v.ok) bad.push(`#${i} ${JSON.stringify(texts[i])}\n${v.why}`)
    })
    console.log(
      `  ${label}: ${texts.length - bad.length}/${texts.length} agree (${refusedToo} rejected by both, ${onlyUs} nameless variables refused by us only)`,
    )
    assert.is(bad.length, 0, `${bad.length} of ${texts.length} differ:\n\n${bad.slice(0, 8).join('\n\n')}`)
  })
}

test.after(() => {
  fs.rmSync(DIR, { recursive: true, force: true })
  fs.rmSync(CFG, { recursive: true, force: true })
})

test.run()
