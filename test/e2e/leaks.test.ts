// The e2e runner's final check (test/leaks.mjs) finds engine objects and
// temp entries carrying a run's id, and removes them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { e2eName, run, tmpdir } from '../lib/helpers.ts'
// @ts-expect-error: plain JS module of the test runner
import { leftovers, removeLeftovers } from '../leaks.mjs'

test('a network and a volume left with the run id are found, listed and removed; nothing else is', () => {
  const name = e2eName()
  const mark = name.slice(3) // leftovers(run) looks for `e2e<run>`
  const tmp = tmpdir('esb-leaks-')
  fs.mkdirSync(path.join(tmp, `esb-e2e-${name}-x`))
  fs.mkdirSync(path.join(tmp, 'docker-esb-locks-0'))
  try {
    assert.is(run('docker', ['network', 'create', `${name}-net`]).code, 0)
    assert.is(run('docker', ['volume', 'create', `${name}-vol`]).code, 0)
    const found = leftovers(mark, tmp) as { kind: string; name: string }[]
    assert.equal(found.map((f) => `${f.kind} ${path.basename(f.name)}`).sort(), [
      `network ${name}-net`,
      `temp esb-e2e-${name}-x`,
      `volume ${name}-vol`,
    ])
    removeLeftovers(found)
    assert.equal((leftovers(mark, path.join(tmp, 'none')) as unknown[]).length, 0)
  } finally {
    run('docker', ['network', 'rm', `${name}-net`])
    run('docker', ['volume', 'rm', '-f', `${name}-vol`])
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})

test.run()
