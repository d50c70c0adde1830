// import / export / images against REAL registries (Debian's docker-registry
// binary on free loopback ports, started by the test): round trips with the
// same digests and byte-identical manifests, multi-platform indexes, docker
// save archives, idempotent re-import, every error case, and an interrupted
// upload that leaves no tag.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { BUNDLE, freePort, run, startRegistry, tmpdir } from '../lib/helpers.ts'
import { makeLayout, makeDockerSave, tarDir, sha } from '../lib/oci-fixtures.ts'

type Reg = Awaited<ReturnType<typeof startRegistry>>
let A: Reg, B: Reg
const dirs: string[] = []

test.before(async () => {
  A = await startRegistry()
  B = await startRegistry()
})
test.after(async () => {
  await A.stop()
  await B.stop()
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

function project(reg: Reg): string {
  const d = tmpdir('esb-img-')
  dirs.push(d)
  fs.writeFileSync(path.join(d, 'esb.toml'), `brand = "acme"\n[registry]\nport = ${reg.port}\n`)
  return d
}
const esb = (proj: string, ...args: string[]) =>
  run(BUNDLE, [...args, '-C', proj], { cwd: proj, env: { PORT_REGISTRY: undefined } })
const raw = async (reg: Reg, repo: string, ref: string) => {
  const r = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, {
    headers: {
      Accept:
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  })
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) }
}
const tags = async (reg: Reg, repo: string) => ((await (await fetch(`${reg.url}/v2/${repo}/tags/list`)).json()) as any).tags ?? []

test('import an OCI layout folder; re-import transfers nothing; images lists it as a function', async () => {
  const pa = project(A)
  const fx = makeLayout(path.join(pa, 'layout'), { name: 'fn-hello', tag: 'v1' })
  const r = esb(pa, 'import', path.join(pa, 'layout'))
  assert.is(r.code, 0, r.stderr)
  assert.is(r.stdout.trim(), `127.0.0.1:${A.port}/acme-fn-hello:v1@${fx.rootDigest}`)
  assert.match(r.stderr, /3 blobs pushed/)
  const m = await raw(A, 'acme-fn-hello', 'v1')
  assert.is(sha(m.bytes), fx.rootDigest)
  const again = esb(pa, 'import', path.join(pa, 'layout'))
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, /0 blobs pushed \(0\.0 MiB\), 3 already there/)
  const ls = esb(pa, 'images', '--json')
  assert.is(ls.code, 0, ls.stderr)
  const rows = JSON.parse(ls.stdout)
  assert.equal(
    rows.map((x: any) => [x.repository, x.tag, x.kind, x.digest]),
    [[`127.0.0.1:${A.port}/acme-fn-hello`, 'v1', 'function', fx.rootDigest]],
  )
  assert.ok(rows[0].size > 24000)
})

test('round trip: export from one registry, import into an empty one: same digests, byte-identical manifests; docker load format', async () => {
  const pa = project(A)
  const single = makeLayout(path.join(pa, 'l1'), { name: 'fn-one', tag: 'latest' })
  const multi = makeLayout(path.join(pa, 'l2'), { name: 'fn-multi', tag: 'latest', platforms: ['amd64', 'arm64'] })
  assert.is(esb(pa, 'import', path.join(pa, 'l1')).code, 0)
  assert.is(esb(pa, 'import', path.join(pa, 'l2')).code, 0)
  const out = path.join(pa, 'fns.tar')
  const ex = esb(pa, 'export', 'fn-one', 'fn-multi', '-o', out)
  assert.is(ex.code, 0, ex.stderr)
  // the archive: an OCI layout and a docker manifest.json
  const list = run('tar', ['-tf', out]).stdout.split('\n')
  assert.ok(list.includes('oci-layout') && list.includes('index.json') && list.includes('manifest.json'))
  const dm = JSON.parse(run('tar', ['-xOf', out, 'manifest.json']).stdout)
  assert.equal(
    dm.map((x: any) => x.RepoTags[0]),
    [`127.0.0.1:${A.port}/acme-fn-one:latest`, `127.0.0.1:${A.port}/acme-fn-multi:latest`],
  )
  for (const e of dm) for (const l of [e.Config, ...e.Layers]) assert.ok(list.includes(l), l)

  const pb = project(B)
  const im = esb(pb, 'import', out)
  assert.is(im.code, 0, im.stderr)
  for (const [repo, fx] of [
    ['acme-fn-one', single],
    ['acme-fn-multi', multi],
  ] as const) {
    const a = await raw(A, repo, 'latest')
    const b = await raw(B, repo, 'latest')
    assert.is(b.status, 200)
    assert.ok(a.bytes.equals(b.bytes), `${repo}: manifests byte-identical`)
    assert.is(sha(b.bytes), fx.rootDigest)
  }
  // every platform of the index came along
  const idx = JSON.parse((await raw(B, 'acme-fn-multi', 'latest')).bytes.toString())
  for (const d of idx.manifests) assert.is((await raw(B, 'acme-fn-multi', d.digest)).status, 200)
})

test('import a registry reference (all platforms, digests unchanged) and a docker save tar', async () => {
  const pa = project(A)
  const fx = makeLayout(path.join(pa, 'l'), { name: 'fn-src', tag: 't1', platforms: ['amd64', 'arm64'] })
  assert.is(esb(pa, 'import', path.join(pa, 'l')).code, 0)
  const pb = project(B)
  const r = esb(pb, 'import', `127.0.0.1:${A.port}/acme-fn-src:t1`, '--name', 'fn-copied', '--tag', 'v2')
  assert.is(r.code, 0, r.stderr)
  assert.is(sha((await raw(B, 'acme-fn-copied', 'v2')).bytes), fx.rootDigest)

  const save = path.join(pb, 'save.tar')
  const s = await makeDockerSave(save, 'myteam/fn-legacy:1.0')
  const ri = esb(pb, 'import', save)
  assert.is(ri.code, 0, ri.stderr)
  const m = JSON.parse((await raw(B, 'acme-fn-legacy', '1.0')).bytes.toString())
  assert.is(m.config.digest, s.configDigest)
  assert.equal(
    m.layers.map((l: any) => l.digest),
    s.diffIds,
  )
})

test('errors: one line, non-zero, no tag', async () => {
  const pa = project(A)
  const one = (r: ReturnType<typeof esb>, code: number, re: RegExp) => {
    assert.is(r.code, code, r.stderr)
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('docker esb:'))
    assert.is(lines.length, 1, r.stderr)
    assert.match(lines[0], re)
  }
  // a blob whose bytes do not match its digest
  const bad = makeLayout(path.join(pa, 'bad'), { name: 'fn-bad', tag: 'x' })
  const man = JSON.parse(bad.manifests[bad.rootDigest].toString())
  fs.writeFileSync(path.join(pa, 'bad', 'blobs', 'sha256', man.layers[1].digest.slice(7)), Buffer.alloc(man.layers[1].size, 1))
  one(esb(pa, 'import', path.join(pa, 'bad')), 1, /digest sha256:\w+ does not match sha256:\w+; the source is corrupt/)
  assert.equal(await tags(A, 'acme-fn-bad'), [])
  // truncated archive
  makeLayout(path.join(pa, 'good'), { name: 'fn-trunc', tag: 'x', layers: [200000] })
  const tf = path.join(pa, 'good.tar')
  await tarDir(path.join(pa, 'good'), tf)
  const st = fs.statSync(tf).size
  fs.truncateSync(tf, Math.floor(st / 2))
  one(esb(pa, 'import', tf), 1, /truncated|corrupt|incomplete|missing/)
  assert.equal(await tags(A, 'acme-fn-trunc'), [])
  // unknown media type
  const odd = makeLayout(path.join(pa, 'odd'), { name: 'fn-odd', tag: 'x', layerType: 'application/x-strange' })
  void odd
  one(esb(pa, 'import', path.join(pa, 'odd')), 1, /unknown media type "application\/x-strange"/)
  // invalid names
  one(esb(pa, 'import', path.join(pa, 'good'), '--name', 'Bad Name'), 2, /"acme-Bad Name" is not a valid repository name/)
  one(esb(pa, 'import', path.join(pa, 'good'), '--tag', 'no:tag'), 2, /not a valid tag/)
  // unreachable source registry
  const port = await freePort()
  one(
    esb(pa, 'import', `127.0.0.1:${port}/x/fn:1`),
    1,
    new RegExp(`registry 127\\.0\\.0\\.1:${port} unreachable \\(ECONNREFUSED\\)`),
  )
  // the project's registry not running
  const pz = project({ ...A, port } as Reg)
  one(esb(pz, 'images'), 1, new RegExp(`registry is not running on 127\\.0\\.0\\.1:${port}`))
  // not a layout
  fs.mkdirSync(path.join(pa, 'empty'))
  one(esb(pa, 'import', path.join(pa, 'empty')), 2, /not an OCI image layout/)
  one(esb(pa, 'export', 'fn-nothere', '-o', path.join(pa, 'x.tar')), 1, /acme-fn-nothere:latest is not in the registry/)
  assert.not.ok(fs.existsSync(path.join(pa, 'x.tar')), 'no partial archive')
})

test('an upload interrupted midway leaves no tag, and a retry completes', async () => {
  const pa = project(A)
  makeLayout(path.join(pa, 'big'), { name: 'fn-big', tag: 'v1', layers: [1000, 96 << 20] })
  const child = spawn(BUNDLE, ['import', path.join(pa, 'big'), '-C', pa], { cwd: pa, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  // wait until the big blob is being pushed, then stop the import
  for (let i = 0; i < 200 && !/push sha256:\w+ \(96\.0 MiB\)/.test(err); i++) await new Promise((r) => setTimeout(r, 25))
  await new Promise((r) => setTimeout(r, 30))
  if (child.exitCode === null) {
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
  }
  assert.equal(await tags(A, 'acme-fn-big'), [], 'no tag after the interruption')
  const again = esb(pa, 'import', path.join(pa, 'big'))
  assert.is(again.code, 0, again.stderr)
  assert.equal(await tags(A, 'acme-fn-big'), ['v1'])
})

test('export -o onto a device, a pipe or a folder: one line, exit 2, nothing replaced', () => {
  const pa = project(A)
  const targets: [string, (p: string) => boolean][] = []
  const fifo = path.join(pa, 'pipe')
  spawnSync('mkfifo', [fifo])
  targets.push([fifo, (p) => fs.lstatSync(p).isFIFO()])
  // as root (CI): a character device like /dev/null, made in the test's own folder
  const dev = path.join(pa, 'fakenull')
  if (spawnSync('mknod', [dev, 'c', '1', '3']).status === 0) targets.push([dev, (p) => fs.lstatSync(p).isCharacterDevice()])
  else console.log('  (mknod needs root: the device case is not run here)')
  for (const [p, same] of targets) {
    const r = esb(pa, 'export', 'fn-hello', '-o', p)
    assert.is(r.code, 2, r.stderr)
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /is not a regular file/)
    assert.ok(same(p), `${p} is still what it was`)
    assert.equal(
      fs.readdirSync(pa).filter((f) => f.includes('.partial-')),
      [],
    )
  }
  const r = esb(pa, 'export', 'fn-hello', '-o', pa)
  assert.is(r.code, 1, r.stderr)
  assert.ok(fs.statSync(pa).isDirectory())
})

test('export and import on a terminal show bytes done of the total and the rate, redrawn in place; nothing of it in a log', () => {
  const pa = project(A)
  makeLayout(path.join(pa, 'l3'), { name: 'fn-meter', tag: 'latest' })
  assert.is(esb(pa, 'import', path.join(pa, 'l3')).code, 0)
  const out = path.join(pa, 'meter.tar')
  // `script` gives the command a pseudo-terminal, as an interactive shell would
  const tty = run('script', ['-qec', `${BUNDLE} export fn-meter -o ${out} -C ${pa}`, '/dev/null'], {
    cwd: pa,
    env: { PORT_REGISTRY: undefined },
  })
  assert.is(tty.code, 0, tty.stdout)
  // eslint-disable-next-line no-control-regex -- the terminal's erase-line sequence is what is checked
  assert.match(tty.stdout, /\r\x1b\[Kexport meter\.tar: \d+\.\d\/(\d+\.\d) MB \([\d.]+ MB\/s\)\r?\n/)
  const logged = esb(pa, 'export', 'fn-meter', '-o', out)
  assert.is(logged.code, 0)
  assert.not.match(logged.stderr, /MB\/s|\r/, 'no meter without a terminal')
})

test.run()
