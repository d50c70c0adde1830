// up without building: compose services keyed like bake targets, the
// engine's image ids, the stack as the last up left it, and the plans that
// follow. Pure, plus files in a temp folder.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import {
  buildDefinition,
  checkServices,
  servicesOff,
  stackChanged,
  stackRecordFile,
  type ServiceSkip,
} from '../../scripts/compose/skip.ts'
import { normalizeImage, parseContainers, parseImageIds } from '../../scripts/compose/engine.ts'
import { upPlan } from '../../scripts/compose/plan.ts'
import { writeRecord } from '../../scripts/skip/state.ts'
import type { ComposeConfig } from '../../scripts/compose/types.ts'
import { projectSettings, settings, tempDir } from '../lib/settings.ts'

const tmp = () => tempDir('esb-upskip-')

test('image names as the engine lists them; missing images are null', () => {
  assert.is(normalizeImage('busybox'), 'busybox:latest')
  assert.is(normalizeImage('docker.io/library/busybox:1.36'), 'busybox:1.36')
  assert.is(normalizeImage('127.0.0.1:5010/esb-gateway'), '127.0.0.1:5010/esb-gateway:latest')
  assert.is(normalizeImage('127.0.0.1:5010/esb-gateway:v1'), '127.0.0.1:5010/esb-gateway:v1')
  const out = '["127.0.0.1:5010/esb-gateway:latest","other:1"] sha256:aaa\n["busybox:latest"] sha256:bbb\n'
  assert.equal(parseImageIds(out, ['127.0.0.1:5010/esb-gateway', 'busybox', 'missing:1']), {
    '127.0.0.1:5010/esb-gateway': 'sha256:aaa',
    busybox: 'sha256:bbb',
    'missing:1': null,
  })
})

test('a compose build section in bake words; pull or no_cache always builds', () => {
  const d = buildDefinition(
    {
      image: 'x',
      build: {
        context: '/p/s',
        dockerfile: 'D',
        args: { A: '1' },
        additional_contexts: { b: 'docker-image://r/b:1' },
        target: 't',
        cache_from: ['c'],
        no_cache: false,
      },
    },
    'x',
    null,
  )
  assert.equal(d, {
    target: 't',
    image: 'x',
    pull_policy: null,
    context: '/p/s',
    dockerfile: 'D',
    args: { A: '1' },
    contexts: { b: 'docker-image://r/b:1' },
  })
  assert.equal(
    buildDefinition({ build: { context: '/p/s', additional_contexts: { b: 'service:b' } } }, 'x', {
      b: 'docker-image://r/b@sha256:1',
    }).contexts,
    { b: 'docker-image://r/b@sha256:1' },
  )
  assert.is(buildDefinition({ build: { context: '.', no_cache: true } }, 'x', null)['no-cache'], true)
  assert.is(buildDefinition({ pull_policy: 'build', build: { context: '.' } }, 'x', null)['no-cache'], true)
  assert.is(buildDefinition({ build: { context: '.', pull: true } }, 'x', null)['no-cache'], true)
})

test('nothing skipped with --no-skip, [bake] skip = false, --build after --, or a base rebuilt', () => {
  const s = settings()
  assert.is(servicesOff(s, false, ['--wait'], []), null)
  assert.match(servicesOff(s, true, [], [])!, /--no-skip/)
  assert.match(servicesOff({ ...s, bake: { ...s.bake, skip: false } }, false, [], [])!, /skip = false/)
  assert.match(servicesOff(s, false, ['--build'], [])!, /--build/)
  assert.match(servicesOff(s, false, [], ['os-base'])!, /base os-base is rebuilt/)
})

test('the stack: unchanged only under the same config with the recorded container labels', () => {
  const ps = parseContainers('gateway h1 sha256:g\nagent h2 sha256:a\nagent h2 sha256:a\n\n')
  assert.equal(ps, { gateway: ['h1 sha256:g'], agent: ['h2 sha256:a', 'h2 sha256:a'] })
  const rec = { project: 'p', config: 'C', containers: ps }
  assert.is(stackChanged(rec, 'C', ps), null)
  assert.is(stackChanged(rec, 'C', { gateway: ['h1 sha256:g'] }), null, 'a missing container is created, nothing recreated')
  assert.match(stackChanged(null, 'C', ps)!, /not started by docker esb up/)
  assert.match(stackChanged(rec, 'D', ps)!, /compose configuration changed/)
  assert.match(stackChanged(rec, 'C', { ...ps, gateway: ['h1 sha256:other'] })!, /container for gateway changed/)
})

function project() {
  const dir = tmp()
  fs.mkdirSync(path.join(dir, 'svc'))
  fs.writeFileSync(path.join(dir, 'svc', 'Dockerfile'), 'FROM scratch\nCOPY app /app\n')
  fs.writeFileSync(path.join(dir, 'svc', 'app'), 'v1\n')
  const s = projectSettings(dir, null)
  const cfg: ComposeConfig = {
    services: { web: { image: 'esb-web:1', build: { context: path.join(dir, 'svc') } }, db: { image: 'db:1' } },
    hash: 'C1',
  }
  return { dir, s, cfg, state: path.join(dir, '.esb', 'inputs') }
}

test('services: skipped when the key, the engine image and the stack are as recorded; every rebuild explained', async () => {
  const { dir, s, cfg, state } = project()
  const ps = { web: ['h sha256:web1'] }
  const check = (ids: Record<string, string | null>, containers = ps, config = cfg) =>
    checkServices(s, config, {}, {}, ids, containers, state, null)
  const first = await check({ 'esb-web:1': 'sha256:web1' })
  assert.equal(Object.keys(first.images), ['web'], 'only services that build')
  assert.equal(first.rebuild.web, ['not built before'])
  // what up's record step writes after compose built
  const r = first.records.web
  writeRecord(state, { target: 'service:web', tag: r.tag, key: r.key, digest: 'sha256:web1', inputs: r.inputs })
  fs.writeFileSync(first.stack.file, JSON.stringify({ project: s.projectName, config: 'C1', containers: ps }))
  assert.is(first.stack.file, stackRecordFile(state, s.projectName))
  const same = await check({ 'esb-web:1': 'sha256:web1' })
  assert.equal(same.skip, { web: 'sha256:web1' })
  assert.equal((await check({ 'esb-web:1': null })).rebuild.web, ['its image esb-web:1 is not in the engine'])
  assert.equal((await check({ 'esb-web:1': 'sha256:x' })).rebuild.web, ['the engine holds another image as esb-web:1'])
  assert.equal((await check({ 'esb-web:1': 'sha256:web1' }, { web: ['h2 sha256:web1'] })).rebuild.web, [
    'its container for web changed since the last up',
  ])
  assert.equal((await check({ 'esb-web:1': 'sha256:web1' }, ps, { ...cfg, hash: 'C2' })).rebuild.web, [
    'the compose configuration changed',
  ])
  fs.writeFileSync(path.join(dir, 'svc', 'app'), 'v2\n')
  assert.equal((await check({ 'esb-web:1': 'sha256:web1' })).rebuild.web, ['app'])
  const off = await checkServices(s, cfg, {}, {}, { 'esb-web:1': 'sha256:web1' }, ps, state, 'always built: --no-skip')
  assert.equal(off.rebuild.web, ['always built: --no-skip'])
  assert.ok(off.records.web, 'a --no-skip run still records what it built')
})

const svcSkip = (skip: Record<string, string>, rebuild: Record<string, string[]>): ServiceSkip => ({
  skip,
  rebuild,
  images: { web: 'esb-web:1', api: 'esb-api:1' },
  records: {},
  dir: '/p/.esb/inputs',
  statCache: {},
  stack: { file: '/p/.esb/inputs/stack.json', project: 'esb-default', config: 'C' },
})

test('up: every service unchanged -> compose up -d --no-recreate, no builder, no caches, no override', () => {
  const s = settings()
  const services = { web: { build: {} }, api: { build: {} } }
  const inp = {
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services },
    runId: 'R',
    extraArgs: ['--wait'],
  }
  const p = upPlan({ ...inp, services: svcSkip({ web: 'sha256:1', api: 'sha256:2' }, {}) })
  assert.equal(
    p.steps.map((x) => x.kind),
    ['ensure-registry', 'docker', 'save-stat-cache'],
  )
  const d = p.steps[1] as Extract<(typeof p.steps)[number], { kind: 'docker' }>
  assert.equal(d.argv.slice(-4), ['up', '-d', '--no-recreate', '--wait'])
  assert.is(d.builder, undefined)
  assert.equal(p.caches, {})
  assert.equal(p.skip!.skipped, ['service:api', 'service:web'])
  // one service changed: compose builds as before, then records services and stack
  const q = upPlan({ ...inp, services: svcSkip({ web: 'sha256:1' }, { api: ['app'] }) })
  const kinds = q.steps.map((x) => x.kind)
  assert.ok(kinds.includes('ensure-builder') && kinds.indexOf('record-services') > kinds.lastIndexOf('docker'), kinds.join(' '))
  const dq = q.steps.filter((x) => x.kind === 'docker').pop() as Extract<(typeof q.steps)[number], { kind: 'docker' }>
  assert.ok(dq.argv.includes('--build'))
  assert.equal(q.skip!.rebuild['service:api'], ['app'])
})

test.run()
