// doctor, status and completion on the real engine, with a built project:
// every check passes with its line; status reports the builder, registry,
// caches and last build; the Docker CLI completes commands, flags, bake
// targets and image names through `docker __complete esb ...`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { Project, must } from './project.ts'
import { run, which } from '../lib/helpers.ts'

let p: Project
test.before(async () => {
  p = await Project.create()
  p.seed()
  must(p.esb(['build']), 'build')
})
test.after(() => p?.cleanup())

test('doctor on a built project: every check passes, the builder reaches the registry from inside; exit 0', () => {
  const r = p.esb(['doctor'])
  assert.is(r.code, 0, r.stdout + r.stderr)
  for (const line of [
    'engine',
    'buildx',
    'compose',
    'builder',
    'builder network',
    'registry from the builder',
    'builder config',
    'registry',
    'disk',
  ]) {
    assert.match(r.stdout, new RegExp(`^ok {4}${line} +`, 'm'), `${line}:\n${r.stdout}`)
  }
  assert.match(r.stdout, /^info {2}registry container +\S+-infra-registry \(compose project \S+-infra\)$/m)
  const j = JSON.parse(must(p.esb(['doctor', '--format', 'json']), 'doctor json').stdout)
  assert.is(j.ok, true)
  assert.ok(j.checks.every((c: { status: string }) => c.status !== 'fail'))
  assert.match(
    j.checks.find((c: { check: string }) => c.check === 'builder').detail,
    /driver docker-container, running, BuildKit v/,
  )
})

test('doctor with a builder that is not network=host: that check fails with its fix; exit 1', () => {
  const other = `${p.brand}-nohost`
  must(p.docker(['buildx', 'create', '--name', other, '--driver', 'docker-container']), 'create')
  try {
    const r = p.esb(['doctor'], { BUILDX_BUILDER: other })
    assert.is(r.code, 1, r.stdout + r.stderr)
    assert.match(
      r.stdout,
      /^FAIL {2}builder network +not network=host: the builder cannot reach 127\.0\.0\.1:<port>\n +fix: run docker esb build: it recreates the builder with network=host, keeping its cache \(--keep-state\)$/m,
    )
  } finally {
    p.docker(['buildx', 'rm', '-f', other])
  }
})

test('status: builder running with its cache, registry images and caches, a local cache per target, the last build', () => {
  const st = JSON.parse(must(p.esb(['status', '--json']), 'status').stdout)
  assert.is(st.builder.status, 'running')
  assert.ok(st.builder.cache.total, 'buildx du total')
  assert.is(st.registry.running, true)
  assert.ok(st.registry.images >= 8, `images ${st.registry.images}`)
  assert.ok(st.registry.caches >= 8, `caches ${st.registry.caches}`)
  const targets = st.localCaches.map((c: { target: string }) => c.target)
  for (const t of ['os-base', 'lambda-base', 'fn-hello', 'gateway-docker']) assert.ok(targets.includes(t), t)
  assert.ok(st.localCaches.every((c: { current: string | null; bytes: number }) => c.current && c.bytes > 0))
  assert.is(st.lastRuns[0].command, 'build')
  assert.equal(st.leftoverRuns, [])
  const text = must(p.esb(['status']), 'status text').stdout
  assert.match(text, /^registry +http:\/\/127\.0\.0\.1:\d+\/v2\/: \d+ images, \d+ caches/m)
  assert.match(text, /^prune would free: /m)
})

test('completion through the Docker CLI: commands, flags, --mode values, bake targets after build --, image names for export', () => {
  const complete = (...words: string[]) => {
    const r = must(p.docker(['__complete', 'esb', ...words]), `__complete ${words.join(' ')}`)
    const lines = r.stdout.trim().split('\n')
    return { items: lines.slice(0, -1).map((l) => l.split('\t')[0]), directive: lines.at(-1) }
  }
  assert.equal(complete('sta'), { items: ['status'], directive: ':4' })
  assert.ok(complete('build', '--no').items.includes('--no-skip'))
  assert.equal(complete('up', '--mode', ''), { items: ['docker', 'containerd'], directive: ':4' })
  assert.is(complete('build', '-C', '').directive, ':16', 'folders')
  const targets = complete('build', '--', '').items
  for (const t of ['base-images', 'functions', 'os-base', 'fn-hello']) assert.ok(targets.includes(t), `${t} in ${targets}`)
  const images = complete('export', 'fn-')
  assert.equal(images.items, ['fn-echo', 'fn-hello'])
})

test("build on a terminal (tmux): BuildKit's live display redraws in place, the hit report follows it", async () => {
  if (!which('tmux')) {
    console.log('  (skipped: no tmux)')
    return
  }
  fs.appendFileSync(path.join(p.dir, 'functions', 'hello', 'handler'), 'echo tty\n')
  const script = path.join(p.dir, 'tty.sh')
  const env = Object.entries(p.env())
    .map(([k, v]) => (v === undefined ? `unset ${k}` : `export ${k}='${v}'`))
    .join('\n')
  fs.writeFileSync(script, `${env}\nunset BUILDKIT_PROGRESS\ncd '${p.dir}'\ndocker esb build\necho "EXIT=$?"\nsleep 600\n`)
  const session = `esb-${p.brand}`
  must(run('tmux', ['new-session', '-d', '-s', session, '-x', '160', '-y', '60', `bash ${script}`]), 'tmux')
  try {
    let pane = ''
    for (let i = 0; i < 240 && !/EXIT=\d+/.test(pane); i++) {
      await new Promise((r) => setTimeout(r, 500))
      pane = run('tmux', ['capture-pane', '-p', '-t', session, '-S', '-500']).stdout
    }
    assert.match(pane, /EXIT=0/, pane)
    // the live display: one "[+] Building" block redrawn in place, not a log of "#N" lines
    assert.is((pane.match(/\[\+\] Building/g) ?? []).length, 1, pane)
    assert.not.match(pane, /^#\d+ /m, pane)
    assert.match(pane, /cache hits \(build, [\d.]+s\):\n +fn-hello +\d+\/\d+ /, pane)
  } finally {
    run('tmux', ['kill-session', '-t', session])
  }
  const rep = p.report('build')
  assert.ok(rep.targets['fn-hello'].total >= 2, JSON.stringify(rep.targets))
})

test.run()
