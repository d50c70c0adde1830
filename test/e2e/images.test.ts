// import/export with a real engine: built function images exported to an
// archive that `docker load` takes (and the image runs), imported into a
// second registry with the same digests; an engine-only image imported.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { Project, must } from './project.ts'
import { BUNDLE, run, startRegistry, tmpdir } from '../lib/helpers.ts'

let p: Project
test.before(async () => {
  p = await Project.create()
  p.seed()
  must(p.esb(['build']), 'build')
})
test.after(() => p?.cleanup())

test('images lists functions, bases, control images and cache refs', () => {
  const rows = JSON.parse(must(p.esb(['images', '--json']), 'images').stdout)
  const kind = (repo: string) => rows.find((r: any) => r.repository === `${p.registry}/${repo}`)?.kind
  assert.is(kind(`${p.brand}-fn-hello`), 'function')
  assert.is(kind(`${p.brand}-lambda-base`), 'base')
  assert.is(kind(`${p.brand}-gateway-docker`), 'control')
  assert.is(kind(`${p.brand}-cache/os-base`), 'cache')
})

test('export -> docker load runs the function; import into a second registry keeps the digests', async () => {
  const file = path.join(p.dir, 'fns.tar')
  must(p.esb(['export', 'fn-hello', 'fn-echo', '-o', file]), 'export')
  const name = `${p.registry}/${p.brand}-fn-hello:latest`
  p.docker(['image', 'rm', '-f', name])
  must(p.docker(['load', '-i', file]), 'docker load')
  const out = must(p.docker(['run', '--rm', name]), 'run the loaded function')
  assert.match(out.stdout, /^hello from /)

  const reg = await startRegistry()
  const other = tmpdir('esb-e2e-other-')
  try {
    fs.writeFileSync(path.join(other, 'esb.toml'), `brand = "${p.brand}"\n[registry]\nport = ${reg.port}\n`)
    const im = run(BUNDLE, ['import', file, '-C', other], { cwd: other })
    assert.is(im.code, 0, im.stderr)
    for (const fn of ['fn-hello', 'fn-echo']) {
      const a = must(
        p.docker(['buildx', 'imagetools', 'inspect', '--raw', `${p.registry}/${p.brand}-${fn}:latest`]),
        'inspect a',
      ).stdout
      const b = must(
        p.docker(['buildx', 'imagetools', 'inspect', '--raw', `127.0.0.1:${reg.port}/${p.brand}-${fn}:latest`]),
        'inspect b',
      ).stdout
      assert.is(b, a, `${fn}: byte-identical manifest`)
    }
  } finally {
    await reg.stop()
    fs.rmSync(other, { recursive: true, force: true })
  }
})

test('an image only in the engine is imported with --from-engine', () => {
  must(p.docker(['tag', 'busybox:1.36', `${p.brand}-local-tool:1`]), 'tag')
  try {
    const r = must(p.esb(['import', `${p.brand}-local-tool:1`, '--from-engine', '--name', 'tool']), 'import --from-engine')
    assert.match(r.stdout, new RegExp(`${p.registry.replace(/\./g, '\\.')}/${p.brand}-tool:1@sha256:`))
    must(p.docker(['pull', '-q', `${p.registry}/${p.brand}-tool:1`]), 'pull it back')
  } finally {
    p.docker(['image', 'rm', '-f', `${p.brand}-local-tool:1`, `${p.registry}/${p.brand}-tool:1`])
  }
})

test.run()
