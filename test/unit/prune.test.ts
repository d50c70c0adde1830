// `prune` as a plan (scripts/prune/). Pure.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { prunePlan } from '../../scripts/prune/plan.ts'
import { settings } from '../lib/settings.ts'
import { docker } from './fixtures.ts'

test('prune: local, builder, and a registry garbage collection that stops and restarts it', () => {
  const p = prunePlan(settings(), { local: true, builder: true, registry: true })
  assert.equal(
    p.steps.map((x) => x.kind),
    ['prune-local', 'docker', 'write', 'docker', 'docker', 'docker'],
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
  assert.equal(
    prunePlan(settings(), { local: true, builder: false, registry: false }).steps.map((x) => x.kind),
    ['prune-local'],
  )
})

test.run()
