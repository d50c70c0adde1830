// `build/up --dry-run` through the real docker CLI: global flags pass on to
// the read-only calls (real buildx/compose parse the rendered files), and the
// JSON plan holds per-target caches and the right registry addresses.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { dockerConfig, run, startRegistry, tmpdir } from '../lib/helpers.ts'

const cfg = dockerConfig()

function project(): string {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'esb.toml'), 'brand = "Acme Prod"\n[templates]\nrender = true\n')
  for (const f of ['hello', 'echo']) {
    fs.mkdirSync(path.join(dir, 'functions', f), { recursive: true })
    fs.writeFileSync(path.join(dir, 'functions', f, 'Dockerfile'), 'FROM lambda-base\n')
  }
  return dir
}

const plan = (dir: string, ...args: string[]) => {
  const r = run('docker', ['--config', cfg, '--log-level', 'error', 'esb', ...args, '--dry-run', '--json'], { cwd: dir })
  assert.is(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

for (const mode of ['docker', 'containerd']) {
  test(`build --dry-run --json, ${mode} mode`, () => {
    const dir = project()
    const p = plan(dir, 'build', '--mode', mode)
    assert.equal(fs.readdirSync(dir).sort(), ['esb.toml', 'functions'], 'a dry run writes nothing')
    const targets = Object.keys(p.caches)
    const control =
      mode === 'docker'
        ? ['agent-docker', 'gateway-docker', 'provisioner']
        : ['agent-containerd', 'gateway-containerd', 'provisioner', 'runtime-node-containerd']
    for (const t of ['os-base', 'lambda-base', 'python-base', 'fn-hello', 'fn-echo', ...control])
      assert.ok(targets.includes(t), t)
    const locals = targets.map((t) => p.caches[t].to.find((x: string) => x.startsWith('type=local')))
    const regs = targets.map((t) => p.caches[t].to.find((x: string) => x.startsWith('type=registry')))
    assert.is(new Set(locals).size, targets.length)
    assert.is(new Set(regs).size, targets.length)
    for (const t of targets) {
      assert.match(p.caches[t].to.join(' '), new RegExp(`${dir}/\\.acme-prod/buildx-cache/${t}/gen-`))
      // functions export only their image's layers; bases and control images every stage (bench/results/cachemode.json)
      assert.match(
        p.caches[t].to.join(' '),
        new RegExp(`ref=127\\.0\\.0\\.1:5010/acme-prod-cache/${t}:cache,mode=${t.startsWith('fn-') ? 'min' : 'max'}`),
      )
    }
    const bake = p.steps.find((s: any) => s.kind === 'docker')
    assert.equal(bake.argv.slice(0, 6), ['docker', '--config', cfg, '--log-level', 'error', 'buildx'], 'global flags pass on')
    assert.is(bake.env.BUILDX_BUILDER, 'acme-prod-buildx')
    assert.is(bake.env.HOST_REGISTRY_ADDR, '127.0.0.1:5010')
    assert.is(bake.env.CONTAINER_REGISTRY, mode === 'docker' ? '127.0.0.1:5010' : 'registry:5010')
    assert.is(bake.env.ACME_PROD_REGISTRY, '127.0.0.1:5010/')
    assert.is(bake.env.PROJECT_NAME, 'acme-prod-default')
    const reg = p.steps.find((s: any) => s.kind === 'ensure-registry')
    assert.is(reg.url, 'http://127.0.0.1:5010/v2/')
    const b = p.steps.find((s: any) => s.kind === 'ensure-builder')
    assert.ok(b.create.includes('docker-container') && b.create.includes('network=host'))
    fs.rmSync(dir, { recursive: true })
  })
}

test('up --dry-run --json: per-service caches through an override file, same builder', () => {
  const dir = project()
  const p = plan(dir, 'up', '--mode', 'containerd', '--env', 'e2e')
  assert.equal(Object.keys(p.caches).sort(), ['agent', 'gateway', 'runtime-node'])
  const [bases, up] = p.steps.filter((s: any) => s.kind === 'docker')
  assert.ok(bases.argv.includes('bake') && bases.argv.at(-1) === 'base-images', 'the bases the stack builds on come first')
  assert.ok(up.argv.includes('up') && up.argv.includes('--build'))
  assert.ok(
    up.argv.some((a: string) => new RegExp(`^${dir}/\\.acme-prod/runs/[^/]+/compose\\.cache\\.json$`).test(a)),
    up.argv.join(' '),
  )
  assert.is(up.env.BUILDX_BUILDER, 'acme-prod-buildx')
  assert.is(up.env.PROJECT_NAME, 'acme-prod-e2e')
  fs.rmSync(dir, { recursive: true })
})

test('--dry-run says why each target is built: a base that cannot be keyed, or --no-skip for every target', () => {
  const dir = project()
  const first = plan(dir, 'build')
  // this project has function folders only: the lambda base's Dockerfile is not there, so it (and what builds on it) is always built
  assert.equal(first.skip.rebuild['fn-hello'], ['always built: it builds on lambda-base, which is always built'])
  assert.match(
    first.skip.rebuild['lambda-base'][0],
    /^always built: its Dockerfile \S+\/services\/lambda-base\/Dockerfile cannot be read$/,
  )
  assert.equal(first.skip.skipped, [])
  const all = plan(dir, 'build', '--no-skip')
  assert.ok(
    Object.values(all.skip.rebuild).every((w: any) => w[0] === 'always built: --no-skip'),
    JSON.stringify(all.skip.rebuild),
  )
  assert.ok(Object.keys(all.skip.rebuild).length >= 8)
  const text = run('docker', ['--config', cfg, 'esb', 'build', '--dry-run', '--no-skip'], { cwd: dir })
  // four or more targets rebuilt for the same reason are one line, then their names
  const n = Object.keys(all.skip.rebuild).length
  assert.match(text.stdout, new RegExp(`^rebuild ${n} targets: always built: --no-skip\\n  .*\\bfn-hello\\b`, 'm'))
  assert.equal(fs.readdirSync(dir).sort(), ['esb.toml', 'functions'], 'a dry run writes nothing, not even the stat cache')
  fs.rmSync(dir, { recursive: true })
})

test('a registry cache the registry does not hold is not read (no ERROR line from BuildKit), one it holds is', async () => {
  const reg = await startRegistry()
  const dir = project()
  fs.appendFileSync(path.join(dir, 'esb.toml'), `[registry]\nport = ${reg.port}\n`)
  const regFrom = (p: any, t: string) => p.caches[t].from.filter((x: string) => x.startsWith('type=registry'))
  try {
    const empty = plan(dir, 'build')
    for (const t of Object.keys(empty.caches)) {
      assert.equal(regFrom(empty, t), [], t)
      assert.ok(
        empty.caches[t].to.some((x: string) => x.startsWith('type=registry')),
        `${t} still exports its registry cache`,
      )
    }
    // an (empty) cache index for fn-hello: read again
    const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] })
    const put = await fetch(`${reg.url}/v2/acme-prod-cache/fn-hello/manifests/cache`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
      body: index,
    })
    assert.is(put.status, 201)
    const one = plan(dir, 'build')
    assert.equal(regFrom(one, 'fn-hello'), [`type=registry,ref=127.0.0.1:${reg.port}/acme-prod-cache/fn-hello:cache`])
    assert.equal(regFrom(one, 'fn-echo'), [])
  } finally {
    await reg.stop()
    fs.rmSync(dir, { recursive: true })
  }
})

test('human-readable --dry-run lists caches and commands', () => {
  const dir = project()
  const r = run('docker', ['--config', cfg, 'esb', 'build', '--dry-run'], { cwd: dir })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /caches \(per target\):/)
  assert.match(r.stdout, /docker --config \S+ buildx bake --builder acme-prod-buildx/)
  fs.rmSync(dir, { recursive: true })
})

test.run()
