// How the builder is created (scripts/builder/): buildx create argv, the
// generated buildkitd.toml, the fingerprint that decides a re-create. Pure.
// The remote and kubernetes drivers: driver.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildPlan } from '../../scripts/bake/plan.ts'
import { builderCreateArgv, buildkitdToml } from '../../scripts/builder/plan.ts'
import { settings } from '../lib/settings.ts'
import { bp, print } from './fixtures.ts'

test('builder: docker-container, network=host, proxies as CSV-quoted env driver options, never --use', () => {
  const argv = builderCreateArgv(settings(), { HTTP_PROXY: 'http://p:3128', no_proxy: 'localhost,127.0.0.1' }, true)
  assert.equal(argv.slice(0, 8), [
    'buildx',
    'create',
    '--name',
    'esb-buildx',
    '--driver',
    'docker-container',
    '--driver-opt',
    'network=host',
  ])
  assert.ok(argv.includes('env.HTTP_PROXY=http://p:3128'))
  assert.ok(argv.includes('"env.no_proxy=localhost,127.0.0.1"'))
  assert.ok(argv.includes('--buildkitd-config'))
  assert.not.ok(argv.includes('--use'))
})

test('builder: option change changes the fingerprint', () => {
  const s = settings()
  const a = bp().steps.find((x) => x.kind === 'ensure-builder') as any
  const b = buildPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: { HTTP_PROXY: 'http://x' }, buildkitdConfig: null },
    bakePrint: print,
    functionDockerfiles: [],
    runId: 'R',
    extraArgs: [],
  }).steps.find((x) => x.kind === 'ensure-builder') as any
  assert.is.not(a.fingerprint, b.fingerprint)
  assert.equal(a.remove, ['buildx', 'rm', '--keep-state', 'esb-buildx'])
})

test('generated buildkitd.toml: plain HTTP for registry:5010, GC policy, mirrors', () => {
  const t = buildkitdToml(
    settings({
      toml: {
        file: '/p/esb.toml',
        text: '',
        data: { builder: { mirrors: ['127.0.0.1:5010', 'mirror.lan:5000'], gc_keep: '5GB' } },
      },
    }),
  )
  assert.match(t, /\[registry\."registry:5010"\]\n {2}http = true/)
  assert.match(t, /\[registry\."docker\.io"\]\n {2}mirrors = \["127\.0\.0\.1:5010", "mirror\.lan:5000"\]/)
  assert.match(t, /\[registry\."mirror\.lan:5000"\]\n {2}http = true/)
  assert.not.match(t, /\[registry\."127\.0\.0\.1:5010"\]/, 'loopback is plain HTTP already')
  assert.match(t, /keepBytes = "5GB"/)
})

test('a user buildkitd config is not generated, and its content feeds the fingerprint', () => {
  const s = settings({ processEnv: { BUILDKITD_CONFIG: '/etc/bk.toml' } })
  assert.not.ok(s.builder.generateConfig)
  const mk = (cfg: string) =>
    buildPlan({
      settings: s,
      renderWrites: [],
      builder: { procEnv: {}, buildkitdConfig: cfg },
      bakePrint: print,
      functionDockerfiles: [],
      runId: 'R',
      extraArgs: [],
    })
  const a = mk('a').steps.find((x) => x.kind === 'ensure-builder') as any
  assert.not.ok(mk('a').steps.some((x) => x.kind === 'write' && x.path === '/etc/bk.toml'))
  assert.is.not(a.fingerprint, (mk('b').steps.find((x) => x.kind === 'ensure-builder') as any).fingerprint)
  assert.ok(a.create.includes('/etc/bk.toml'))
})

test.run()
