// The ground docker esb stands on, proven with plain docker commands on the
// real engine: a docker-container builder with network=host, bake with
// per-target local and registry caches pushing to 127.0.0.1:<port>, a fully
// cached second run (counted from BuildKit's progress records), and
// `docker compose up --build` building on that builder.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import path from 'node:path'
import { Project, must } from './project.ts'
import { ProgressCollector, hitReport } from '../../scripts/report/hitrate.ts'

let p: Project

test.before(async () => {
  p = await Project.create()
  p.seed()
})
test.after(() => p?.cleanup())

test('a docker-container builder created with network=host bootstraps', () => {
  must(
    p.docker([
      'buildx',
      'create',
      '--name',
      p.builder,
      '--driver',
      'docker-container',
      '--driver-opt',
      'network=host',
      '--bootstrap',
    ]),
    'create',
  )
  const ins = must(p.docker(['buildx', 'inspect', p.builder]), 'inspect')
  assert.match(ins.stdout, /Driver:\s+docker-container/)
  assert.match(ins.stdout, /Status:\s+running/)
})

const targets = ['os-base', 'python-base', 'lambda-base', 'gateway-docker', 'agent-docker', 'provisioner']
function bake(): ReturnType<typeof hitReport> {
  const sets = targets.flatMap((t) => [
    '--set',
    `${t}.cache-from=type=local,src=${path.join(p.cacheDir, t)}`,
    '--set',
    `${t}.cache-from=type=registry,ref=${p.registry}/${p.brand}-cache/${t}:cache`,
    '--set',
    `${t}.cache-to=type=local,dest=${path.join(p.cacheDir, t)},mode=max`,
    '--set',
    `${t}.cache-to=type=registry,ref=${p.registry}/${p.brand}-cache/${t}:cache,mode=max,image-manifest=true,oci-mediatypes=true`,
  ])
  const r = must(
    p.docker(
      [
        'buildx',
        'bake',
        '--builder',
        p.builder,
        '--progress=rawjson',
        '--allow',
        `fs.write=${p.cacheDir}`,
        ...sets,
        'base-images',
        'control-images-docker',
      ],
      {
        [`${p.prefix}_REGISTRY`]: `${p.registry}/`,
      },
    ),
    'bake',
  )
  const c = new ProgressCollector()
  for (const l of r.stderr.split('\n')) c.line(l)
  return hitReport('bake', c.vertices.values(), 0)
}

test('bake with per-target local and registry caches pushes to 127.0.0.1:<port>; a second run is fully cached', () => {
  const first = bake()
  assert.ok(first.total.total >= 14, `steps counted: ${first.total.total}`)
  assert.ok(first.total.cached < first.total.total, 'the first run builds')
  for (const t of targets) {
    const m = must(p.docker(['buildx', 'imagetools', 'inspect', `${p.registry}/${p.brand}-${t}:latest`]), `inspect ${t}`)
    assert.match(m.stdout, /Digest:\s+sha256:/)
    must(p.docker(['buildx', 'imagetools', 'inspect', `${p.registry}/${p.brand}-cache/${t}:cache`]), `registry cache of ${t}`)
  }
  const second = bake()
  assert.is(second.total.total, first.total.total)
  assert.is(second.total.cached, second.total.total, `second run: ${JSON.stringify(second.total)}`)
})

test('docker compose up --build with BUILDX_BUILDER builds on that builder and the services run', () => {
  const env = {
    BUILDX_BUILDER: p.builder,
    HOST_REGISTRY_ADDR: p.registry,
    CONTAINER_REGISTRY: p.registry,
    PROJECT_NAME: `${p.brand}-default`,
  }
  // the agent fetches a function image: build one with plain bake first
  must(
    p.docker([
      'buildx',
      'build',
      '--builder',
      p.builder,
      '--build-context',
      `lambda-base=docker-image://${p.registry}/${p.brand}-lambda-base:latest`,
      '--push',
      '-t',
      `${p.registry}/${p.brand}-fn-hello:latest`,
      'functions/hello',
    ]),
    'function build',
  )
  const up = must(
    p.docker(['compose', '--progress', 'plain', '-f', 'docker-compose.docker.yml', 'up', '--build', '-d', '--wait'], env),
    'compose up',
  )
  assert.match(up.stdout + up.stderr, /Built|CACHED|DONE/)
  const ls = must(p.docker(['buildx', 'history', 'ls', '--builder', p.builder, '--format', '{{.Name}}']), 'history')
  assert.match(ls.stdout, /gateway|agent/, 'compose built on our builder')
  const ps = must(
    p.docker(['compose', '-f', 'docker-compose.docker.yml', 'ps', '--format', '{{.Service}} {{.Health}}'], env),
    'ps',
  )
  assert.match(ps.stdout, /agent healthy/)
  assert.match(ps.stdout, /gateway healthy/)
  const logs = must(p.docker(['compose', '-f', 'docker-compose.docker.yml', 'logs', 'agent'], env), 'logs')
  assert.match(logs.stdout, new RegExp(`pulled ${p.brand}-fn-hello:latest from ${p.registry.replace(/\./g, '\\.')}`))
})

test.run()
