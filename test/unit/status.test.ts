// `docker esb status` (scripts/status/): the text a person reads (format.ts),
// the size of a cache folder and what prune --local would free of it, and
// what gather.ts makes of the builder, the registry and the project's state
// folders, with a fake docker and a registry played by a local HTTP server.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { statusText } from '../../scripts/status/format.ts'
import { gatherStatus, localCache, treeBytes, type Status } from '../../scripts/status/gather.ts'
import { status } from '../../scripts/commands/status.ts'
import type { Runner, RunResult } from '../../scripts/docker/runner.ts'
import type { Settings } from '../../scripts/project/config.ts'
import { freePort } from '../lib/helpers.ts'
import { removeTemp, tempDir, tempProject } from '../lib/settings.ts'

const MB = 1024 ** 2
const GB = 1024 ** 3
const cache = (target: string, bytes: number, ageSeconds: number | null, current: string | null = 'gen-R1.1') => ({
  target,
  current,
  bytes,
  exports: 2,
  ageSeconds,
  prunableBytes: 0,
})
const full: Status = {
  project: '/p',
  builder: { name: 'esb-buildx', exists: true, status: 'running', cache: { total: '2.1GB', reclaimable: '300MB' } },
  registry: { url: 'http://127.0.0.1:5010/v2/', running: true, images: 5, caches: 3, other: 1, diskBytes: 1.5 * GB },
  localCaches: [
    cache('os-base', 5 * MB, 119),
    cache('fn-hello-world', 0, null, null),
    cache('gateway', 2.5 * GB, 120),
    cache('agent', GB, 7199),
    cache('python-base', 1.5 * MB, 3 * 3600),
    cache('api', 10 * MB, 2 * 86400),
  ],
  lastRuns: [
    {
      command: 'build',
      when: '2025-01-02T03:04:05.000Z',
      seconds: 12.3,
      cached: 40,
      steps: 50,
      percent: 80,
      rebuilt: 2,
      skipped: 3,
    },
    { command: 'up', when: '2025-01-02T04:00:00.000Z', seconds: 1, cached: 0, steps: 0, percent: 0, rebuilt: 0, skipped: 2 },
  ],
  leftoverRuns: ['/p/.esb/runs/R8', '/p/.esb/runs/R9'],
  prune: { localBytes: 3 * MB, builderReclaimable: '300MB' },
}

test('status as text: builder, registry, last runs, the cache table (sizes, ages), left run folders, what prune frees', () => {
  assert.fixture(
    statusText(full),
    [
      'project   /p',
      'builder   esb-buildx: running, cache 2.1GB (300MB reclaimable)',
      'registry  http://127.0.0.1:5010/v2/: 5 images, 3 caches, 1 other, 1.5 GB on disk',
      'last build 2025-01-02T03:04:05.000Z: 12.3s, 40/50 steps cached (80%), 2 rebuilt, 3 skipped',
      'last up    2025-01-02T04:00:00.000Z: 1s, 0/0 steps cached (0%), 0 rebuilt, 2 skipped',
      '',
      'CACHE                SIZE   AGE  EXPORTS',
      'os-base            5.0 MB  119s  2',
      'fn-hello-world     0.0 MB     -  2 (none complete)',
      'gateway            2.5 GB    2m  2',
      'agent              1.0 GB  120m  2',
      'python-base        1.5 MB    3h  2',
      'api               10.0 MB    2d  2',
      '',
      '2 run folder(s) left (a run in progress, or one that was killed): /p/.esb/runs/R8, /p/.esb/runs/R9',
      '',
      'prune would free: 3.0 MB of old local cache exports (prune --local), up to 300MB of builder cache (prune --builder)',
      '',
    ].join('\n'),
  )
})

test('status as text: the key tags beyond [registry] keep that prune --registry would untag, and what it frees with them', () => {
  const t = statusText({ ...full, prune: { ...full.prune, keyTagsBeyondKeep: 19, keyTagBytes: 5 * 1048576 } })
  assert.match(
    t,
    /, up to 300MB of builder cache \(prune --builder\), up to 5\.0 MB of images behind 19 key tag\(s\) beyond \[registry\] keep \(prune --registry\)\n$/,
  )
})

test('status as text with nothing there: no builder, no registry, no cache table, no run folders', () => {
  const none: Status = {
    ...full,
    builder: { name: 'esb-buildx', exists: false, status: null, cache: { total: null, reclaimable: null } },
    registry: { ...full.registry, running: false, diskBytes: null },
    localCaches: [],
    lastRuns: [],
    leftoverRuns: [],
    prune: { localBytes: 0, builderReclaimable: null },
  }
  assert.fixture(
    statusText(none),
    'project   /p\nbuilder   esb-buildx: not created yet\nregistry  http://127.0.0.1:5010/v2/: not running\n\nprune would free: 0.0 MB of old local cache exports (prune --local)\n',
  )
  // a builder that exists but says no status, its cache size without a reclaimable part; a registry that answers but cannot be asked its disk; no other repositories
  const half = statusText({
    ...none,
    builder: { ...none.builder, exists: true, cache: { total: '1GB', reclaimable: null } },
    registry: { ...full.registry, other: 0, diskBytes: null },
    localCaches: [cache('a', 0, 5)],
  })
  assert.match(half, /^builder {3}esb-buildx: unknown, cache 1GB \(\? reclaimable\)$/m)
  assert.match(
    half,
    /\nprune would free: 0\.0 MB of old local cache exports \(prune --local\)\n$/,
    'no builder part without a reclaimable size',
  )
  assert.match(half, /^registry {2}http:\/\/127\.0\.0\.1:5010\/v2\/: 5 images, 3 caches, \? on disk$/m)
  assert.match(half, /^CACHE {8}SIZE {3}AGE {2}EXPORTS\na {10}0\.0 MB {4}5s {2}2$/m, 'the target column is 6 wide at least')
})

/** A cache folder of one target: an old export, the current one, a new one; blobs shared by hard links. */
function cacheFolder(root: string, now: number) {
  const dir = path.join(root, 'os-base')
  const put = (rel: string, bytes: number) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    fs.writeFileSync(path.join(dir, rel), Buffer.alloc(bytes))
  }
  put('gen-cur/blobs/shared', 1000)
  put('gen-cur/index.json', 10)
  put('gen-old/blobs/a', 100)
  fs.linkSync(path.join(dir, 'gen-cur/blobs/shared'), path.join(dir, 'gen-old/blobs/shared'))
  put('gen-new/blobs/b', 50)
  fs.symlinkSync('gen-cur', path.join(dir, 'current'))
  const at = (gen: string, agoMs: number) => fs.utimesSync(path.join(dir, gen), (now - agoMs) / 1000, (now - agoMs) / 1000)
  at('gen-old', 2 * 3600_000)
  at('gen-cur', 90_000)
  at('gen-new', 60_000)
  return dir
}

test('a cache folder: bytes count each hard-linked blob once; prune would free the old exports but the current one and young ones', () => {
  const root = tempDir('esb-status-')
  const now = Date.now()
  const dir = cacheFolder(root, now)
  const seen = new Set<string>()
  assert.is(treeBytes(path.join(dir, 'gen-cur'), seen), 1010)
  assert.is(treeBytes(path.join(dir, 'gen-old'), seen), 100, 'the shared blob is counted once across calls')
  assert.is(treeBytes(path.join(dir, 'gen-old')), 1100, 'a new call counts it again')
  assert.is(treeBytes(path.join(root, 'missing')), 0)
  assert.equal(localCache(dir, now), {
    target: 'os-base',
    current: 'gen-cur',
    // the `current` link counts the bytes of its target's name
    bytes: 1000 + 10 + 100 + 50 + 'gen-cur'.length,
    exports: 3,
    ageSeconds: 90,
    // gen-old's own blob; gen-new is younger than 30 minutes (a parallel run may still write it)
    prunableBytes: 100,
  })
  // no current export yet: every old export may go
  fs.unlinkSync(path.join(dir, 'current'))
  const c = localCache(dir, now + 3600_000)
  assert.is(c.current, null)
  assert.is(c.ageSeconds, null)
  assert.is(c.prunableBytes, 100 + 1010 + 50)
  removeTemp(root)
})

/** docker as status asks it: answers by argv, every call recorded. */
function fakeDocker(answers: Record<string, RunResult>) {
  const calls: string[] = []
  const runner = {
    signal: new AbortController().signal,
    async run(argv: string[]) {
      calls.push(argv.join(' '))
      return answers[argv.join(' ')] ?? { code: 1, stdout: '', stderr: 'unexpected call' }
    },
  } as unknown as Runner
  return { runner, calls }
}

/** A registry: /v2/ with the distribution header, and a catalog. */
async function fakeRegistry(repositories: string[]) {
  const srv = http.createServer((req, res) => {
    if (req.url === '/v2/') res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}')
    else if (req.url?.startsWith('/v2/_catalog')) res.writeHead(200).end(JSON.stringify({ repositories }))
    else res.writeHead(404).end()
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return { port: (srv.address() as AddressInfo).port, close: () => new Promise((r) => srv.close(r)) }
}

const ok = (stdout: string): RunResult => ({ code: 0, stdout, stderr: '' })

test('gathered: a running builder and its cache, the registry and what it holds, caches, last runs, left run folders', async () => {
  const reg = await fakeRegistry(['esb-os-base', 'esb-fn-hello', 'esb-gateway', 'esb-cache/os-base', 'library/busybox'])
  const p = tempProject(`[registry]\nport = ${reg.port}\n`, {}, 'esb-status-')
  const s: Settings = p.settings
  const now = Date.now()
  cacheFolder(s.cache.dir, now)
  fs.mkdirSync(path.join(p.dir, '.esb', 'runs', 'R7'), { recursive: true })
  fs.mkdirSync(path.join(p.dir, '.esb', 'reports'), { recursive: true })
  const report = path.join(p.dir, '.esb', 'reports', 'last-build.json')
  fs.writeFileSync(
    report,
    JSON.stringify({ wallMs: 12345, total: { cached: 4, total: 5, percent: 80 }, rebuilt: { a: [], b: [] }, skipped: ['c'] }),
  )
  fs.writeFileSync(path.join(p.dir, '.esb', 'reports', 'last-up.json'), '{ cut')
  const { runner, calls } = fakeDocker({
    'buildx inspect esb-buildx': ok('Name: esb-buildx\nDriver: docker-container\nStatus: running\n'),
    'buildx du --builder esb-buildx': ok('ID  RECLAIMABLE  SIZE\nx   true  1GB\nShared: 0B\nReclaimable:  1.5GB\nTotal:  2GB\n'),
    [`exec ${s.registry.containerName} du -sk /var/lib/registry`]: ok('2048\t/var/lib/registry\n'),
  })
  try {
    const st = await gatherStatus(s, runner)
    assert.is(st.project, p.dir)
    assert.equal(st.builder, {
      name: 'esb-buildx',
      exists: true,
      status: 'running',
      cache: { total: '2GB', reclaimable: '1.5GB' },
    })
    assert.equal(st.registry, {
      url: `http://127.0.0.1:${reg.port}/v2/`,
      running: true,
      images: 3,
      caches: 1,
      other: 1,
      diskBytes: 2 * MB,
    })
    assert.equal(
      st.localCaches.map((c) => [c.target, c.current, c.exports, c.prunableBytes]),
      [['os-base', 'gen-cur', 3, 100]],
    )
    assert.equal(st.lastRuns, [
      {
        command: 'build',
        when: fs.statSync(report).mtime.toISOString(),
        seconds: 12.3,
        cached: 4,
        steps: 5,
        percent: 80,
        rebuilt: 2,
        skipped: 1,
      },
    ])
    assert.equal(st.leftoverRuns, [path.join(p.dir, '.esb', 'runs', 'R7')])
    assert.equal(st.prune, { localBytes: 100, builderReclaimable: '1.5GB' })
    assert.equal(calls.sort(), [
      'buildx du --builder esb-buildx',
      'buildx inspect esb-buildx',
      `exec ${s.registry.containerName} du -sk /var/lib/registry`,
    ])
  } finally {
    await reg.close()
    p.remove()
  }
})

test('gathered: a stopped builder is not asked its cache (that would start it), a registry that does not answer, no cache folder', async () => {
  const port = await freePort()
  const p = tempProject(`[registry]\nport = ${port}\n`, {}, 'esb-status-')
  const { runner, calls } = fakeDocker({ 'buildx inspect esb-buildx': ok('Name: esb-buildx\nStatus: stopped\n') })
  const st = await gatherStatus(p.settings, runner)
  assert.not.ok(fs.existsSync(p.settings.cache.dir))
  assert.equal(calls, ['buildx inspect esb-buildx'])
  assert.equal(st.builder, { name: 'esb-buildx', exists: true, status: 'stopped', cache: { total: null, reclaimable: null } })
  assert.equal(st.registry, {
    url: `http://127.0.0.1:${port}/v2/`,
    running: false,
    images: 0,
    caches: 0,
    other: 0,
    diskBytes: null,
  })
  assert.equal([st.localCaches, st.lastRuns, st.leftoverRuns], [[], [], []])
  assert.equal(st.prune, { localBytes: 0, builderReclaimable: null })
  // no builder at all
  const none = await gatherStatus(p.settings, fakeDocker({}).runner)
  assert.equal(none.builder, { name: 'esb-buildx', exists: false, status: null, cache: { total: null, reclaimable: null } })
  p.remove()
})

test('the status command prints the gathered status as text, or as JSON with --json', async () => {
  const port = await freePort()
  const p = tempProject(`[registry]\nport = ${port}\n`, {}, 'esb-status-')
  const run = async (json: boolean) => {
    let out = ''
    const io = { out: (x: string) => void (out += x), err: () => {}, env: {}, cwd: p.dir }
    await status.run({ flags: { _: [], '--': [], json }, io, runner: fakeDocker({}).runner })
    return out
  }
  const json = JSON.parse(await run(true)) as Status
  assert.equal(json, await gatherStatus(p.settings, fakeDocker({}).runner))
  assert.is(await run(false), statusText(json))
  assert.match(await run(false), new RegExp(`^project {3}${p.dir}\nbuilder {3}esb-buildx: not created yet\n`))
  p.remove()
})

test.run()
