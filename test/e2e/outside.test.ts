// What a build reads from outside, on the real engine (issue 21): the adopt
// fixture's Dockerfiles start with `# syntax=docker/dockerfile:1.7`, pin their
// bases by digest on docker.io, COPY --from a pinned uv and build a function
// FROM the unpinned public.ecr.aws/lambda/java:21, all served by a company
// mirror the copy's buildkitd.toml names. A no-op build skips every target
// with no bake; one function's source edited rebuilds only it; a moved tag
// rebuilds exactly its dependents and names the old and new digest; a moved
// frontend rebuilds everything on BuildKit's cache through the pins; with the
// mirror gone a no-op still skips on the digests of the last build.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { e2eName, freePort, run, tmpdir, type Ran } from '../lib/helpers.ts'
import { e2eDockerConfig, must } from './project.ts'
import { FRONTEND, adoptCopy, adoptEnv, moveTag, startMirror, type Mirror } from './mirror.ts'

const id = e2eName()
const dir = tmpdir(`esb-e2e-outside-${id}-`)
const cfg = e2eDockerConfig()
let port = 0
let mirror: Mirror | undefined
const env = () => adoptEnv(id, port, cfg)
const sh = (cmd: string, args: string[]): Ran => run(cmd, args, { cwd: dir, env: env() })
const infra = ['compose', '-p', 'acme-infra', '-f', 'docker-compose.infra.yml']
const JAVA = 'public.ecr.aws/lambda/java:21'

/** `docker esb build --json`: the hit report (skipped, rebuilt, outside) and what was said on stderr. */
function build(...args: string[]): { report: any; stderr: string } {
  const r = must(sh('docker', ['esb', 'build', '--json', ...args]), `docker esb build ${args.join(' ')}`)
  return { report: JSON.parse(r.stdout), stderr: r.stderr }
}
const short = (d: string) => d.slice(0, 19)

test.before(async () => {
  port = await freePort()
  mirror = await startMirror()
  adoptCopy(dir, mirror)
  must(sh('bash', ['tools/setup-certs.sh']), 'certs')
})

test.after(async () => {
  sh('docker', [...infra, 'down', '-v', '--remove-orphans', '-t', '1'])
  sh('docker', ['buildx', 'rm', '-f', `acme-${id}-buildx`])
  const imgs = sh('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
    .stdout.split('\n')
    .filter((i) => i.startsWith(`127.0.0.1:${port}/`))
  if (imgs.length) sh('docker', ['image', 'rm', '-f', ...imgs])
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(cfg, { recursive: true, force: true })
  await mirror?.stop()
})

let all: string[] = []
test('first build: every target, each outside image resolved through the mirror and listed with its dependents', () => {
  const { report } = build()
  all = Object.keys(report.rebuilt).sort()
  assert.ok(all.length >= 10, all.join(' '))
  assert.equal(report.skipped, [])
  const o = report.outside
  assert.is(o[FRONTEND].digest, mirror!.digests[FRONTEND])
  assert.match(o[FRONTEND].via, /^docker\.io via mirror 127\.0\.0\.1:\d+$/)
  assert.equal(o[FRONTEND].targets, all, 'every target reads the frontend')
  assert.is(o[JAVA].digest, mirror!.digests[JAVA])
  assert.ok(o[JAVA].targets.length >= 1 && o[JAVA].targets.every((t: string) => /java/.test(t)), o[JAVA].targets.join(' '))
})

test('no-op: every target skipped before BuildKit, no bake, no builder call', () => {
  const { report, stderr } = build()
  assert.equal(report.skipped.sort(), all)
  assert.equal(report.rebuilt, {})
  assert.not.match(stderr, /buildx bake/)
  assert.match(stderr, /nothing to build/)
})

test("one function's source edited: only that function rebuilt", () => {
  const entry = path.join(dir, 'artifacts', 'e2e-docker', 'entries')
  const src = path.join(entry, fs.readdirSync(entry)[0], 'functions', 'lambda-echo', 'src', 'handler.sh')
  fs.appendFileSync(src, '\n# edited\n')
  const { report } = build()
  assert.equal(Object.keys(report.rebuilt), ['fn-lambda-echo-docker'], JSON.stringify(report.rebuilt))
  assert.match(report.rebuilt['fn-lambda-echo-docker'].join(' '), /functions\/lambda-echo\/src\/handler\.sh/)
})

test('a moved tag upstream: exactly the targets on it rebuilt, the reason names the old and the new digest', async () => {
  const before = mirror!.digests[JAVA]
  const after = await moveTag(mirror!, JAVA)
  const { report } = build()
  const rebuilt = Object.keys(report.rebuilt).sort()
  assert.ok(rebuilt.length >= 1 && rebuilt.every((t) => /java/.test(t)), rebuilt.join(' '))
  for (const t of rebuilt) assert.equal(report.rebuilt[t], [`base ${JAVA} moved ${short(before)}… -> ${short(after)}…`], t)
  assert.is(report.outside[JAVA].digest, after)
})

test('a moved frontend: every target rebuilt for that reason, said once, pinned in the bake file, on the cache', async () => {
  const before = mirror!.digests[FRONTEND]
  const after = await moveTag(mirror!, FRONTEND)
  const why = `frontend ${FRONTEND} moved ${short(before)}… -> ${short(after)}…`
  const text = must(sh('docker', ['esb', 'build', '--dry-run']), 'dry run').stdout
  assert.match(text, new RegExp(`^rebuild ${all.length} targets: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'))
  const plan = JSON.parse(must(sh('docker', ['esb', 'build', '--dry-run', '--json']), 'dry run json').stdout)
  const bakeFiles = plan.steps
    .filter((s: any) => (s.kind === 'write' || s.kind === 'pin-bases') && /bake\.generated/.test(s.path))
    .map((s: any) => (s.kind === 'write' ? s.content : JSON.stringify(s.json)))
    .join('\n')
  assert.ok(bakeFiles.includes(`"BUILDKIT_SYNTAX": "${FRONTEND}@${after}"`), 'the frontend is pinned to the digest keyed')
  assert.ok(bakeFiles.includes(`docker-image://${JAVA}@${mirror!.digests[JAVA]}`), 'the Java image is pinned to the digest keyed')
  const { report } = build()
  assert.equal(Object.keys(report.rebuilt).sort(), all)
  // each for that reason (those built on a base also name the base)
  for (const t of all) assert.is(report.rebuilt[t][0], why, t)
  // the pinned frontend gives BuildKit the same steps: its cache still hits
  assert.ok(report.total.cached / report.total.total >= 0.95, JSON.stringify(report.total))
})

test('the mirror gone: a no-op still skips every target on the digests of the last build, and says so; --pull refuses', async () => {
  await mirror!.stop()
  mirror = undefined
  const { report, stderr } = build()
  assert.equal(report.skipped.sort(), all)
  assert.match(stderr, /keyed with the digests of the last build: .*docker\/dockerfile:1\.7/)
  const pulled = sh('docker', ['esb', 'build', '--pull'])
  assert.is(pulled.code, 1, pulled.stderr)
  assert.match(pulled.stderr, /^docker esb: --pull: image \S+ cannot be resolved/m)
})

test.run()
