// `prune` as a plan (scripts/prune/). Pure.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { prunePlan } from '../../scripts/prune/plan.ts'
import { staleKeyTags } from '../../scripts/prune/keytags.ts'
import { settings } from '../lib/settings.ts'
import { docker } from './fixtures.ts'

test('prune: local, builder, and a registry garbage collection that stops and restarts it', () => {
  const p = prunePlan(settings(), { local: true, builder: true, registry: true })
  assert.equal(
    p.steps.map((x) => x.kind),
    ['prune-local', 'docker', 'write', 'docker', 'drop-key-tags', 'docker', 'docker'],
  )
  const d = docker(p)
  assert.equal(d[0].argv, ['buildx', 'prune', '--builder', 'esb-buildx', '--force', '--keep-storage', '20GB'])
  assert.equal(d[1].argv.slice(-2), ['stop', 'registry'])
  assert.equal(d[2].argv, [
    'run',
    '--rm',
    '-v',
    'esb-registry-data:/var/lib/registry',
    '--entrypoint',
    '/bin/registry',
    'registry:2',
    'garbage-collect',
    '--delete-untagged',
    '/etc/docker/registry/config.yml',
  ])
  assert.equal(d[3].argv.slice(-4), ['up', '-d', '--wait', 'registry'])
  const drop = p.steps.find((x) => x.kind === 'drop-key-tags') as any
  assert.is(drop.keep, 3, '[registry] keep defaults to 3')
  assert.equal(drop.list.slice(0, 8), [
    'run',
    '--rm',
    '--network',
    'none',
    '-v',
    'esb-registry-data:/var/lib/registry',
    '--entrypoint',
    '/bin/sh',
  ])
  assert.is(
    prunePlan(settings({ toml: { file: '/p/esb.toml', text: '', data: { registry: { keep: 1 } } } }), {
      local: false,
      builder: false,
      registry: true,
    }).steps.find((x) => x.kind === 'drop-key-tags')?.['keep' as never],
    1,
  )
  assert.equal(
    prunePlan(settings(), { local: true, builder: false, registry: false }).steps.map((x) => x.kind),
    ['prune-local'],
  )
})

test('key tags to untag: all but the newest `keep` per image, only k- and 16 hex, never outside the repositories', () => {
  const k = (c: string) => `k-${c.repeat(16)}`
  const line = (t: number, repo: string, tag: string) => `${t} ./${repo}/_manifests/tags/${tag}/current/link`
  const listing = [
    line(100, 'esb-fn-hello', k('a')),
    line(300, 'esb-fn-hello', k('b')),
    line(200, 'esb-fn-hello', k('c')),
    line(50, 'esb-fn-hello', 'latest'),
    line(10, 'esb-cache/fn-hello', k('d')),
    line(10, 'esb-os-base', k('e')),
    line(5, 'esb-os-base', 'k-short'),
    line(1, '../etc', k('f')),
    'garbage',
  ].join('\n')
  const root = '/var/lib/registry/docker/registry/v2/repositories'
  assert.equal(staleKeyTags(listing, 2), [`${root}/esb-fn-hello/_manifests/tags/${k('a')}`])
  assert.equal(staleKeyTags(listing, 1), [
    `${root}/esb-fn-hello/_manifests/tags/${k('c')}`,
    `${root}/esb-fn-hello/_manifests/tags/${k('a')}`,
  ])
  assert.equal(staleKeyTags('', 1), [])
})

test.run()
