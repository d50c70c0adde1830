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

test.run()
