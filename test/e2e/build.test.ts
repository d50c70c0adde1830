// `docker esb build` on the real engine: the registry from nothing and
// reused, one builder created/reused/recreated (state kept), per-target
// caches that survive the builder, and the four rebuild scenarios, each hit
// rate counted by docker esb itself from BuildKit's records.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { Project, must } from './project.ts'
import { freePort } from '../lib/helpers.ts'

let p: Project
const rates: Record<string, unknown> = {}

test.before(async () => {
  p = await Project.create()
  p.seed()
})
test.after(() => {
  // measured hit rates, for the README / closing note
  if (process.env.ESB_E2E_RATES) fs.writeFileSync(process.env.ESB_E2E_RATES, JSON.stringify(rates, null, 2) + '\n')
  p?.cleanup()
})

const build = (...args: string[]) => {
  const r = must(p.esb(['build', '--json', ...args]), 'docker esb build')
  return JSON.parse(r.stdout)
}
const status = (url: string) =>
  fetch(url).then(
    (r) => r.status,
    () => 0,
  )
const builderId = () => p.docker(['inspect', '--format', '{{.Id}}', `buildx_buildkit_${p.builder}0`]).stdout.trim()

test('first build: registry reused (seeded), builder created, images pushed under the contract names', () => {
  assert.is(p.docker(['buildx', 'inspect', p.builder]).code, 1, 'no builder yet')
  const r = build()
  assert.ok(r.total.total >= 18, JSON.stringify(r.total))
  assert.ok(r.total.cached < r.total.total, 'it built')
  const ins = must(p.docker(['buildx', 'inspect', p.builder]), 'inspect')
  assert.match(ins.stdout, /Driver:\s+docker-container/)
  for (const img of [
    'os-base',
    'lambda-base',
    'python-base',
    'gateway-docker',
    'agent-docker',
    'provisioner',
    'fn-hello',
    'fn-echo',
  ]) {
    must(p.docker(['buildx', 'imagetools', 'inspect', `${p.registry}/${p.brand}-${img}:latest`]), img)
  }
  // the user's current builder is untouched (never --use)
  assert.not.match(must(p.docker(['buildx', 'ls']), 'ls').stdout, new RegExp(`${p.builder}\\*`))
  rates.first = r.total
})

test('no-op rebuild: every target skipped before BuildKit, builder untouched; with --no-skip 100% cached', () => {
  const id = builderId()
  const r = build()
  assert.is(r.total.total, 0, 'nothing went to bake')
  assert.equal(r.rebuilt, {})
  assert.ok(r.skipped.includes('fn-hello') && r.skipped.includes('os-base') && r.skipped.length >= 8, JSON.stringify(r.skipped))
  const all = build('--no-skip')
  assert.is(all.total.cached, all.total.total, JSON.stringify(all))
  assert.ok(all.total.total >= 18)
  assert.is(builderId(), id)
  rates.noop = all.total
})

test('builder options change: recreated with --keep-state, cache still hits 100%', () => {
  const id = builderId()
  fs.appendFileSync(path.join(p.dir, 'esb.toml'), '[builder]\ndriver_opts = ["env.ESB_E2E_MARK=1"]\n')
  const res = must(p.esb(['build', '--json', '--no-skip']), 'build')
  assert.match(res.stderr, /options changed, recreating with --keep-state/)
  assert.is.not(builderId(), id, 'a new builder container')
  const r = JSON.parse(res.stdout)
  assert.is(r.total.cached, r.total.total, JSON.stringify(r.total))
  rates.recreated_keep_state = r.total
})

test('builder removed, nothing changed: no target rebuilt, no builder started', () => {
  must(p.docker(['buildx', 'rm', p.builder]), 'rm')
  const r = build()
  assert.is(r.total.total, 0)
  assert.equal(r.rebuilt, {})
  assert.is(p.docker(['buildx', 'inspect', p.builder]).code, 1, 'no builder was needed')
})

test('builder removed (state gone): served from the local cache', () => {
  // registry cache off for this run, so the hits can only come from the local folders
  const toml = fs.readFileSync(path.join(p.dir, 'esb.toml'), 'utf8')
  fs.writeFileSync(path.join(p.dir, 'esb.toml'), toml + '[cache]\nregistry = false\n')
  const r = build('--no-skip')
  fs.writeFileSync(path.join(p.dir, 'esb.toml'), toml)
  assert.is(r.total.cached, r.total.total, JSON.stringify(r))
  rates.local_cache_only = r.total
})

test('fresh builder and empty local cache: served from the registry cache', () => {
  must(p.docker(['buildx', 'rm', p.builder]), 'rm')
  fs.rmSync(p.cacheDir, { recursive: true })
  const r = build('--no-skip')
  assert.is(r.total.cached, r.total.total, JSON.stringify(r))
  assert.ok(fs.existsSync(path.join(p.cacheDir, 'os-base', 'current', 'index.json')), 'local cache written again')
  rates.registry_cache_only = r.total
})

test('a source change rebuilds only what depends on it; --metadata-file has every target at the digest the registry serves', async () => {
  fs.appendFileSync(path.join(p.dir, 'functions/hello/handler'), 'echo changed\n')
  const meta = path.join(p.dir, 'build-metadata.json')
  const r = build('--metadata-file', meta)
  const m = JSON.parse(fs.readFileSync(meta, 'utf8'))
  assert.equal(Object.keys(m).sort(), [...r.skipped, ...Object.keys(r.rebuilt)].sort())
  assert.equal(r.metadata, m, '--json carries the same')
  const accept = [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
  ].join(', ')
  for (const [t, e] of Object.entries<Record<string, string>>(m)) {
    assert.is(e['docker-esb.status'], t === 'fn-hello' ? 'built' : 'skipped', t)
    const ref = e['image.name'].split(',')[0]
    const [, host, repo, tag] = /^([^/]+)\/(.+):([^:/]+)$/.exec(ref)!
    const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: accept } })
    assert.is(res.headers.get('docker-content-digest'), e['containerimage.digest'], `${t}: ${ref}`)
  }
  fs.rmSync(meta)
  // only fn-hello goes to bake, and says why
  assert.equal(r.rebuilt, { 'fn-hello': ['handler'] })
  assert.not.ok(r.skipped.includes('fn-hello'))
  // COPY handler and the RUN after it; nothing else
  assert.is(r.targets['fn-hello'].total - r.targets['fn-hello'].cached, 2, JSON.stringify(r.targets))
  assert.is(r.total.total - r.total.cached, 2, JSON.stringify(r.total))
  rates.one_function_changed = r.total
})

test('a registry cache that cannot be written is reported, and the build still succeeds', () => {
  const toml = fs.readFileSync(path.join(p.dir, 'esb.toml'), 'utf8')
  fs.writeFileSync(
    path.join(p.dir, 'esb.toml'),
    toml + '[cache]\nref_prefix = "127.0.0.1:9/nowhere"\n[bake]\npush_allow = ["127.0.0.1:9/"]\n',
  )
  try {
    const res = must(p.esb(['build', '--json', '--no-skip']), 'build with an unreachable cache registry')
    const r = JSON.parse(res.stdout)
    assert.ok(
      r.cacheExportErrors.length > 0 && r.cacheExportErrors.every((e: any) => e.cache === 'registry'),
      JSON.stringify(r.cacheExportErrors),
    )
    assert.match(res.stderr, /warning: cache export failed \(the build did not\)/)
  } finally {
    fs.writeFileSync(path.join(p.dir, 'esb.toml'), toml)
  }
})

test('local cache folders: one per target, current -> a complete export, old exports pruned', () => {
  const dirs = fs.readdirSync(p.cacheDir).sort()
  assert.ok(dirs.includes('os-base') && dirs.includes('fn-hello'))
  for (const d of dirs) {
    const cur = path.join(p.cacheDir, d, 'current')
    assert.ok(fs.lstatSync(cur).isSymbolicLink(), d)
    assert.ok(fs.existsSync(path.join(cur, 'index.json')), d)
  }
})

test('registry port held by a foreign listener: one message naming it, nothing stopped', async () => {
  const port = await freePort()
  const srv = net.createServer((s) => s.end())
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()))
  try {
    const r = p.esb(['build'], { PORT_REGISTRY: String(port) })
    assert.is(r.code, 1)
    assert.match(
      r.stderr,
      new RegExp(
        `registry port ${port} is held by process node \\(pid ${process.pid}\\) that is not a registry; pick another port`,
      ),
    )
    assert.ok(srv.listening, 'the listener is untouched')
    // our own registry still runs
    assert.is(await status(`http://${p.registry}/v2/`), 200)
  } finally {
    srv.close()
  }
})

test('registry from nothing: started by build, data kept across down --registry', async () => {
  must(p.esb(['down', '--registry']), 'down --registry')
  assert.is.not(await status(`http://${p.registry}/v2/`), 200)
  const res = must(p.esb(['build']), 'build')
  assert.match(res.stderr, /local registry on 127\.0\.0\.1:\d+/)
  // images pushed before the restart are still there (named volume)
  must(p.docker(['buildx', 'imagetools', 'inspect', `${p.registry}/library/busybox:1.36`]), 'seeded image survived')
  const port = must(p.docker(['port', `${p.brand}-infra-registry`, '5010']), 'port').stdout
  assert.match(port, new RegExp(`^127\\.0\\.0\\.1:${p.port}$`, 'm'), 'published on loopback only')
})

test.run()
