// `up` and `down` as plans (scripts/compose/): the compose call, the cache
// override per service, services sharing a bake target's cache. Pure.
// Skipping unchanged services: upskip.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { pinBases } from '../../scripts/bake/phases.ts'
import { upPlan } from '../../scripts/compose/plan.ts'
import { downPlan } from '../../scripts/compose/down.ts'
import { settings } from '../lib/settings.ts'
import { docker, print } from './fixtures.ts'

test('up: compose with the mode file and a cache override per buildable service', () => {
  const s = settings({ flags: { mode: 'containerd', env: 'e2e' } })
  const p = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services: { gateway: { build: {} }, agent: { build: {} }, db: { image: 'x' } } },
    runId: 'R2',
    extraArgs: ['--wait'],
  })
  assert.equal(Object.keys(p.caches), ['agent', 'gateway'])
  assert.equal(p.caches.gateway.to[0], 'type=local,dest=/p/.esb/buildx-cache/svc-containerd-gateway/gen-R2,mode=max')
  const [up] = docker(p)
  assert.equal(up.argv, [
    'compose',
    '--progress',
    'plain',
    '-p',
    'esb-e2e',
    '-f',
    '/p/docker-compose.containerd.yml',
    '-f',
    '/p/.esb/runs/R2/compose.cache.json',
    'up',
    '--build',
    '-d',
    '--wait',
  ])
  assert.is(up.env.CONTAINER_REGISTRY, 'registry:5010')
})

test('up: bakes the base images first when the project has a bake file', () => {
  const s = settings()
  const p = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services: { gateway: { build: {} } } },
    runId: 'R3',
    extraArgs: [],
    bakePrint: print,
  })
  const [bases, up] = docker(p)
  assert.equal(bases.argv.slice(-1), ['base-images'])
  assert.equal(bases.report, {
    command: 'up',
    file: '/p/.esb/reports/last-up.json',
    final: false,
    progress: 'plain',
    metadataFile: '/p/.esb/runs/R3/bake-metadata.1.json',
    builder: 'esb-buildx',
    // the targets it builds: the report names a one-target bake's steps by them
    targets: ['lambda-base', 'os-base', 'python-base'],
  })
  assert.ok(up.argv.includes('compose'))
  const promote = p.steps.find((x) => x.kind === 'promote-cache') as any
  assert.ok(
    promote.gens.some((g: any) => g.target === 'os-base') && promote.gens.some((g: any) => g.target === 'svc-docker-gateway'),
  )
})

test('up: a service that builds what a bake target builds shares its cache and the base just pushed', () => {
  const s = settings()
  const withCtx = {
    ...print,
    target: {
      ...print.target,
      'gateway-docker': { ...print.target['gateway-docker'], context: 'services/gateway', dockerfile: 'Dockerfile.docker' },
      'python-base': { ...print.target['python-base'], context: 'services/common', dockerfile: 'Dockerfile.python-base' },
    },
  }
  const services = {
    gateway: {
      build: {
        context: '/p/services/gateway',
        dockerfile: 'Dockerfile.docker',
        additional_contexts: { 'python-base': 'service:python-base', config: '/p/cfg' },
      },
    },
    'python-base': { build: { context: '/p/services/common', dockerfile: 'Dockerfile.python-base' } },
    other: { build: { context: '/p/services/gateway', dockerfile: 'Dockerfile.other' } },
  }
  const p = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services },
    runId: 'R4',
    extraArgs: [],
    bakePrint: withCtx,
  })
  // python-base was baked moments ago in this run: read its cache, export nothing
  assert.equal(p.caches['python-base'].from, [
    'type=local,src=/p/.esb/buildx-cache/python-base/current',
    'type=registry,ref=127.0.0.1:5010/esb-cache/python-base:cache',
  ])
  assert.equal(p.caches['python-base'].to, [])
  // gateway writes the cache build writes for gateway-docker
  assert.ok(p.caches.gateway.to[0].includes('/buildx-cache/gateway-docker/gen-R4'))
  assert.ok(p.caches.other.to[0].includes('/svc-docker-other/'))
  const pin = p.steps.find((x) => x.kind === 'pin-bases') as any
  const kinds = p.steps.map((x) => x.kind)
  assert.ok(kinds.indexOf('pin-bases') > kinds.indexOf('docker'), 'the override is pinned after the base bake')
  assert.equal(pin.json.services.gateway.build.additional_contexts, {
    'python-base': 'docker-image://127.0.0.1:5010/esb-python-base:latest',
    config: '/p/cfg',
  })
  const md = { 'python-base': { 'containerimage.digest': 'sha256:abc' }, 'os-base': {}, 'lambda-base': {} }
  assert.equal(
    pinBases(pin.json, { 'python-base': pin.refs['python-base'] }, md).services.gateway.build.additional_contexts['python-base'],
    'docker-image://127.0.0.1:5010/esb-python-base:latest@sha256:abc',
  )
  assert.not.ok(p.steps.some((x) => x.kind === 'write' && x.path.endsWith('compose.cache.json')))
  // unchanged since the last build: bases pinned to their digests now, gateway-docker's cache is current (no export)
  const skip = {
    skip: { 'python-base': 'sha256:p', 'os-base': 'sha256:o', 'lambda-base': 'sha256:l', 'gateway-docker': 'sha256:g' },
    rebuild: {},
    records: {},
    dir: '/p/.esb/inputs',
    statCache: {},
  }
  const q = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services },
    runId: 'R5',
    extraArgs: [],
    bakePrint: withCtx,
    skip,
  })
  assert.equal(q.caches.gateway.to, [])
  assert.ok(q.caches.other.to.length > 0)
  assert.not.ok(
    q.steps.some((x) => x.kind === 'pin-bases'),
    'nothing baked: nothing to pin at run time',
  )
  const written = JSON.parse((q.steps.find((x) => x.kind === 'write' && x.path.endsWith('compose.cache.json')) as any).content)
  assert.is(
    written.services.gateway.build.additional_contexts['python-base'],
    'docker-image://127.0.0.1:5010/esb-python-base:latest@sha256:p',
  )
  assert.equal(
    docker(q).map((d) => d.argv[0]),
    ['compose'],
    'no base bake',
  )
})

test('down: the registry only with --registry', () => {
  assert.is(docker(downPlan(settings(), false, [])).length, 1)
  const p = downPlan(settings(), true, [])
  assert.equal(docker(p)[1].argv.slice(0, 3), ['compose', '-p', 'esb-infra'])
})

test.run()
