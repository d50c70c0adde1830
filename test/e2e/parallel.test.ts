// Parallel runs: four `docker esb build` at once (different envs and tags,
// same project, builder and caches), twice. All succeed, and every cache
// folder is left complete and readable: a following build is fully cached.
// The second round has the first round's inputs under other tags: each build
// takes the images by their key (skip/bykey.ts) instead of building them.
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

for (const round of [1, 2]) {
  test(`round ${round}: 4 parallel builds all succeed`, async () => {
    const runs = await Promise.all(
      [1, 2, 3, 4].map((i) => p.esbAsync(['build', '--env', `par${i}`, '--tag', `r${round}-${i}`, '--json'])),
    )
    runs.forEach((r, i) => assert.is(r.code, 0, `build ${i + 1}: ${r.stderr.slice(-2000)}`))
    for (const [i, r] of runs.entries()) {
      const rep = JSON.parse(r.stdout)
      if (round === 1) assert.ok(rep.total.total > 0, `build ${i + 1} counted no step`)
      else {
        assert.equal(rep.rebuilt, {}, `build ${i + 1}: the same inputs under another tag build nothing`)
        assert.ok(Object.keys(rep.reused ?? {}).length >= 8, `build ${i + 1} reused ${JSON.stringify(rep.reused)}`)
      }
      must(
        p.docker(['buildx', 'imagetools', 'inspect', `${p.registry}/${p.brand}-fn-hello:r${round}-${i + 1}`]),
        `image of build ${i + 1}`,
      )
    }
  })
}

test('the caches are complete afterwards: every local cache readable, a new build fully cached', () => {
  for (const d of fs.readdirSync(p.cacheDir)) {
    const idx = path.join(p.cacheDir, d, 'current', 'index.json')
    assert.ok(fs.existsSync(idx), `${d} has a complete export`)
    JSON.parse(fs.readFileSync(idx, 'utf8'))
  }
  const r = JSON.parse(must(p.esb(['build', '--json']), 'build').stdout)
  assert.is(r.total.cached, r.total.total, JSON.stringify(r.total))
  // and from the local caches alone, on a fresh builder
  must(p.docker(['buildx', 'rm', p.builder]), 'rm builder')
  fs.appendFileSync(path.join(p.dir, 'esb.toml'), '[cache]\nregistry = false\n')
  const l = JSON.parse(must(p.esb(['build', '--json']), 'build').stdout)
  assert.is(l.total.cached, l.total.total, JSON.stringify(l.total))
})

test.run()
