// The local registry (scripts/registry/): when it is started. Pure.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { registryFirstSteps } from '../../scripts/registry/plan.ts'
import { settings } from '../lib/settings.ts'

test('a registry that does not answer is started before the skip check, unless this run writes its compose file', () => {
  const s = settings()
  assert.equal(
    registryFirstSteps(s, [], {}).map((x) => x.up.slice(-4)),
    [['up', '-d', '--wait', 'registry']],
  )
  assert.equal(
    registryFirstSteps(
      s,
      [{ kind: 'write', why: '', path: '/p/docker-compose.infra.yml', content: '', mode: null, reason: 'changed' }],
      {},
    ),
    [],
  )
  assert.is(
    registryFirstSteps(
      s,
      [{ kind: 'write', why: '', path: '/p/docker-bake.hcl', content: '', mode: null, reason: 'changed' }],
      {},
    ).length,
    1,
  )
})

test.run()
