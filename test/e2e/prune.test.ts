// prune on the real engine: old local exports removed, the registry
// garbage-collected (replaced cache refs freed) and restarted; images and the
// current caches survive: the next build is fully cached.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { Project, must } from './project.ts'

let p: Project
test.before(async () => {
  p = await Project.create()
  p.seed()
})
test.after(() => p?.cleanup())

const registryBytes = () =>
  Number(
    must(p.docker(['run', '--rm', '-v', `${p.brand}-registry-data:/d`, 'busybox:1.36', 'du', '-sk', '/d']), 'du').stdout.split(
      /\s+/,
    )[0],
  ) * 1024
const gens = () =>
  fs.readdirSync(p.cacheDir).flatMap((t) =>
    fs
      .readdirSync(path.join(p.cacheDir, t))
      .filter((g) => g.startsWith('gen-'))
      .map((g) => path.join(p.cacheDir, t, g)),
  )

test('prune --local --builder --registry frees space and keeps what is current', () => {
  must(p.esb(['build']), 'build')
  // two source changes: new images and cache refs replace the old ones
  for (const i of [1, 2]) {
    fs.appendFileSync(path.join(p.dir, 'functions/hello/handler'), `echo change ${i}\n`)
    fs.writeFileSync(path.join(p.dir, 'functions/hello/big.bin'), Buffer.alloc(4 << 20, i))
    fs.appendFileSync(path.join(p.dir, 'functions/hello/Dockerfile'), i === 1 ? 'COPY big.bin /var/task/big.bin\n' : '')
    must(p.esb(['build']), `build ${i}`)
  }
  // make the old exports look old enough to prune
  const old = Date.now() / 1000 - 3600
  for (const g of gens()) fs.utimesSync(g, old, old)
  const before = { bytes: registryBytes(), gens: gens().length }
  const r = must(p.esb(['prune', '--local', '--builder', '--registry']), 'prune')
  assert.match(r.stderr, /garbage-collect the registry/)
  const after = { bytes: registryBytes(), gens: gens().length }
  assert.ok(after.gens < before.gens, `local exports ${before.gens} -> ${after.gens}`)
  assert.ok(after.bytes < before.bytes, `registry ${before.bytes} -> ${after.bytes} bytes`)
  // everything current still works
  must(p.docker(['buildx', 'imagetools', 'inspect', `${p.registry}/${p.brand}-fn-hello:latest`]), 'image still there')
  const again = JSON.parse(must(p.esb(['build', '--json']), 'build after prune').stdout)
  assert.is(again.total.cached, again.total.total, JSON.stringify(again.total))
  // and from the registry cache alone
  must(p.docker(['buildx', 'rm', p.builder]), 'rm builder')
  fs.rmSync(p.cacheDir, { recursive: true })
  const fromRegistry = JSON.parse(must(p.esb(['build', '--json']), 'build from registry cache').stdout)
  assert.is(fromRegistry.total.cached, fromRegistry.total.total, JSON.stringify(fromRegistry.total))
})

test('after 20 one-change builds, prune --registry untags key tags beyond [registry] keep: the volume is back near its size after one build', () => {
  const q = p
  fs.appendFileSync(path.join(q.dir, 'esb.toml'), '[registry]\nkeep = 2\n')
  must(q.esb(['build']), 'build')
  // the other test's extra layer goes: one build's size is what the project needs now
  must(q.esb(['prune', '--registry']), 'prune')
  const one = registryBytes()
  for (let i = 0; i < 20; i++) {
    fs.appendFileSync(path.join(q.dir, 'functions/hello/handler'), `echo one-change ${i}\n`)
    must(q.esb(['build']), `one-change build ${i}`)
  }
  const grown = registryBytes()
  const keyTags = () =>
    must(
      q.docker([
        'run',
        '--rm',
        '-v',
        `${q.brand}-registry-data:/d`,
        'busybox:1.36',
        'ls',
        `/d/docker/registry/v2/repositories/${q.brand}-fn-hello/_manifests/tags`,
      ]),
      'tags',
    )
      .stdout.split(/\s+/)
      .filter((t) => /^k-[0-9a-f]{16}$/.test(t))
  assert.ok(keyTags().length >= 20, `key tags before prune: ${keyTags().length}`)
  // status says what prune --registry would untag: fn-hello's key tags but the newest 2 (every other image has one)
  const pruneStatus = () => JSON.parse(must(q.esb(['status', '--json']), 'status').stdout).prune
  const status = () => pruneStatus().keyTagsBeyondKeep ?? 0
  assert.is(status(), keyTags().length - 2)
  // and what prune frees with them: the blobs only those images name (the volume shrinks by at least that)
  const freeable = pruneStatus().keyTagBytes
  // the dry run says it too
  const dry = must(q.esb(['prune', '--registry', '--dry-run']), 'prune --dry-run').stdout
  assert.match(
    dry,
    new RegExp(`now ${keyTags().length - 2} key\\(s\\) beyond keep; the garbage collection frees up to [0-9.]+ MiB`),
  )
  const r = must(q.esb(['prune', '--registry']), 'prune after 20 builds')
  assert.match(r.stderr, /untagged \d+ key tag\(s\) beyond the newest 2 key\(s\) per image/)
  const after = registryBytes()
  assert.is(keyTags().length, 2)
  assert.is(status(), 0)
  assert.ok(after <= one * 1.3, `registry ${one} after one build, ${grown} after 20 more, ${after} after prune`)
  assert.ok(freeable > 0 && freeable <= grown - after, `status said ${freeable} bytes; the volume shrank by ${grown - after}`)
  // every current tag still pulls, and the next build is a no-op
  for (const t of ['fn-hello', 'fn-echo', 'lambda-base'])
    must(q.docker(['pull', '-q', `${q.registry}/${q.brand}-${t}:latest`]), `${t} pulls`)
  assert.equal(JSON.parse(must(q.esb(['build', '--json']), 'no-op').stdout).rebuilt, {})
})

test.run()
