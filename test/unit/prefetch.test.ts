// The builder looked at early (Runner.prefetch): only a docker-container
// builder, and an early "missing" is asked again under the lock before
// creating; `up --pull` holds for the bases too; a first build makes the
// builder while the registry starts (builder/early.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import { askBuilderEarly } from '../../scripts/bake/build.ts'
import { builderInputs, storedBuilder } from '../../scripts/builder/inspect.ts'
import { planUp } from '../../scripts/compose/up.ts'
import { ensureBuilder } from '../../scripts/builder/ensure.ts'
import { builderConfigWrites, ensureBuilderStep } from '../../scripts/builder/plan.ts'
import { earlyBuilderSteps, noRecords } from '../../scripts/builder/early.ts'
import type { Runner, RunResult } from '../../scripts/docker/runner.ts'
import { tempProject } from '../lib/settings.ts'

const io = { out: () => {}, err: () => {}, env: {}, cwd: '/', errIsTTY: false }

/** A runner that records prefetches and answers run() with `answer(argv)`. */
function fakeRunner(answer: (argv: string[]) => RunResult) {
  const prefetched: string[][] = []
  const ran: string[][] = []
  const runner = {
    configDir: '/nonexistent-docker-config',
    signal: new AbortController().signal,
    log: () => {},
    prefetch: (argv: string[]) => prefetched.push(argv),
    run: async (argv: string[]) => (ran.push(argv), answer(argv)),
  } as unknown as Runner
  return { runner, prefetched, ran }
}

test('up asks for the builder early only for the docker-container driver', async () => {
  for (const [toml, want] of [
    ['', 1],
    ['[builder]\ndriver = "remote"\nendpoint = "tcp://10.0.0.1:1234"\n', 0],
  ] as const) {
    const p = tempProject(toml)
    const f = fakeRunner(() => {
      throw new Error('stop here')
    })
    const opts = { skip: true, pull: false, extraArgs: [] }
    await planUp(p.settings, opts, f.runner, io, async () => {}).catch(() => {})
    assert.is(f.prefetched.length, want, toml || 'docker-container')
    p.remove()
  }
})

test('build asks for the builder once a bake will run: docker-container only, and not when buildx store has it', () => {
  const remote = tempProject('[builder]\ndriver = "remote"\nendpoint = "tcp://10.0.0.1:1234"\n')
  const local = tempProject('')
  const f = fakeRunner(() => ({ code: 0, stdout: '', stderr: '' }))
  askBuilderEarly(remote.settings, f.runner)
  assert.is(f.prefetched.length, 0, 'remote')
  askBuilderEarly(local.settings, f.runner)
  assert.equal(f.prefetched, [['buildx', 'inspect', local.settings.builder.name]])
  // buildx's own store lists it: nothing to ask
  const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-cfg-'))
  const name = local.settings.builder.name
  fs.mkdirSync(path.join(cfg, 'buildx', 'instances'), { recursive: true })
  fs.writeFileSync(
    path.join(cfg, 'buildx', 'instances', name),
    JSON.stringify({ Name: name, Driver: 'docker-container', Nodes: [{ Name: `${name}0`, DriverOpts: { network: 'host' } }] }),
  )
  const g = fakeRunner(() => ({ code: 0, stdout: '', stderr: '' }))
  askBuilderEarly(local.settings, { ...g.runner, prefetch: g.runner.prefetch, configDir: cfg })
  assert.is(g.prefetched.length, 0, 'stored')
  assert.equal(storedBuilder(cfg, name), { driver: 'docker-container', networkHost: true })
  // not the shape known, or another name: null (ensure-builder asks buildx)
  fs.writeFileSync(path.join(cfg, 'buildx', 'instances', 'odd'), '{"Name":"odd","Driver":1}')
  assert.is(storedBuilder(cfg, 'odd'), null)
  assert.is(storedBuilder(cfg, 'missing'), null)
  for (const d of [cfg]) fs.rmSync(d, { recursive: true, force: true })
  remote.remove()
  local.remove()
})

test('an early "missing" is asked again before creating: a builder made meanwhile is reused', async () => {
  const p = tempProject('')
  const st = ensureBuilderStep(p.settings, { procEnv: {}, buildkitdConfig: null }, {})
  let asks = 0
  const f = fakeRunner((argv) => {
    if (argv.join(' ') !== st.inspect.join(' ')) return { code: 0, stdout: '', stderr: '' }
    // the first (early) answer: missing; then another run creates it
    if (asks++ === 0) {
      fs.mkdirSync(path.dirname(st.stateFile), { recursive: true })
      fs.writeFileSync(st.stateFile, JSON.stringify({ name: st.name, fingerprint: st.fingerprint, create: st.create }))
      return { code: 1, stdout: '', stderr: 'no builder' }
    }
    return { code: 0, stdout: 'Driver: docker-container\n', stderr: '' }
  })
  await ensureBuilder(f.runner, st)
  assert.equal(
    f.ran.map((a) => a.join(' ')),
    [st.inspect.join(' '), st.inspect.join(' ')],
    'not created',
  )
  p.remove()
})

test('a first build makes the builder early: missing docker-container builder, every target builds, local registry, config on disk', () => {
  const p = tempProject('')
  const b = { procEnv: {}, buildkitdConfig: null }
  const all = { stored: false, buildsAll: true }
  // docker esb's buildkitd.toml is not written yet: nothing is written before the plan is known good
  assert.equal(earlyBuilderSteps(p.settings, b, {}, all), [], 'config not on disk')
  const writeConfig = (x: typeof p) => {
    for (const w of builderConfigWrites(x.settings, b)) {
      if (w.kind !== 'write') continue
      fs.mkdirSync(path.dirname(w.path), { recursive: true })
      fs.writeFileSync(w.path, w.content)
    }
  }
  writeConfig(p)
  // what the build reads of the machine (builder/inspect.ts): the config as it is on disk now
  const disk = builderInputs(p.settings, {})
  assert.equal(earlyBuilderSteps(p.settings, disk, {}, all), [{ ...ensureBuilderStep(p.settings, disk, {}), createOnly: true }])
  assert.equal(earlyBuilderSteps(p.settings, disk, {}, { ...all, stored: true }), [], 'already in buildx store')
  assert.equal(earlyBuilderSteps(p.settings, disk, {}, { ...all, buildsAll: false }), [], 'targets may be skipped')
  const remote = tempProject('[builder]\ndriver = "remote"\nendpoint = "tcp://10.0.0.1:1234"\n')
  assert.equal(earlyBuilderSteps(remote.settings, b, {}, all), [], 'remote')
  const shared = tempProject('[registry]\nbuild_address = "build.example:5000"\n')
  writeConfig(shared)
  assert.equal(
    earlyBuilderSteps(shared.settings, builderInputs(shared.settings, {}), {}, all),
    [],
    'a build registry may hold the images',
  )
  // records: none in a missing or empty folder, one .json is enough
  const inputs = path.join(p.dir, 'inputs')
  assert.ok(noRecords(inputs))
  fs.mkdirSync(inputs)
  fs.writeFileSync(path.join(inputs, 'salt'), 'x')
  assert.ok(noRecords(inputs))
  fs.writeFileSync(path.join(inputs, 'acme-x-1234.json'), '{}')
  assert.not.ok(noRecords(inputs))
  for (const x of [p, remote, shared]) x.remove()
})

test('an early builder step only creates: a builder found (even a wrong one) is left to the build', async () => {
  const p = tempProject('')
  const st = { ...ensureBuilderStep(p.settings, { procEnv: {}, buildkitdConfig: null }, {}), createOnly: true }
  const f = fakeRunner(() => ({ code: 0, stdout: 'Driver: docker\n', stderr: '' }))
  await ensureBuilder(f.runner, st)
  assert.ok(
    f.ran.every((a) => a.join(' ') === st.inspect.join(' ')),
    f.ran.map((a) => a.join(' ')).join('\n'),
  )
  p.remove()
})

test('up --pull: an outside image of a base that cannot be resolved stops up', async () => {
  const p = tempProject('')
  fs.writeFileSync(path.join(p.dir, 'docker-bake.hcl'), '')
  fs.writeFileSync(path.join(p.dir, 'docker-compose.docker.yml'), 'services: {}\n')
  fs.writeFileSync(path.join(p.dir, 'Dockerfile'), 'FROM localhost:9/nowhere/x:1\n')
  const print = { group: { 'base-images': { targets: ['b'] } }, target: { b: { context: '.', dockerfile: 'Dockerfile' } } }
  const f = fakeRunner((argv) =>
    argv.includes('bake')
      ? { code: 0, stdout: JSON.stringify(print), stderr: '' }
      : argv.includes('config')
        ? { code: 0, stdout: JSON.stringify({ name: 'x', services: {} }), stderr: '' }
        : { code: 0, stdout: '', stderr: '' },
  )
  const err = await planUp(p.settings, { skip: true, pull: true, extraArgs: [] }, f.runner, io, async () => {}).then(
    () => null,
    (e: Error) => e,
  )
  assert.match(err?.message ?? 'no error', /^--pull: image \S+ cannot be resolved/)
  p.remove()
})

test.run()
