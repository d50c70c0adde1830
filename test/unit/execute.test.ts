// A failed run leaves no run folder and no unpromoted cache export; the
// current cache of each target is never touched (issue 11.6).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Executor } from '../../scripts/run/execute.ts'
import { Runner } from '../../scripts/docker/runner.ts'
import type { Plan } from '../../scripts/plan/types.ts'

test("a failing step: the run folder and this run's cache exports are removed, current stays", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-exec-'))
  const runDir = path.join(dir, 'runs', 'R1')
  const cache = path.join(dir, 'cache', 'os-base')
  const gen = path.join(cache, 'gen-R1')
  fs.mkdirSync(path.join(cache, 'gen-R0'), { recursive: true })
  fs.symlinkSync('gen-R0', path.join(cache, 'current'))
  const plan: Plan = {
    command: 'build',
    project: dir,
    mode: 'docker',
    env: {},
    caches: {},
    steps: [
      { kind: 'mkdir', why: 'run and cache folders', paths: [runDir, gen] },
      { kind: 'write', why: 'bake file', path: path.join(runDir, 'bake.json'), content: '{}', mode: 0o644, reason: 'new' },
      // `false` stands in for a docker call that fails
      { kind: 'docker', why: 'bake', argv: ['bake'], env: {}, cwd: dir },
      { kind: 'promote-cache', why: 'promote', gens: [{ target: 'os-base', dir: cache, gen }] },
      { kind: 'cleanup', why: 'run folder', paths: [runDir] },
    ],
  }
  const ex = new Executor(new Runner('false', [], () => {}))
  await ex.execute(plan).then(
    () => assert.unreachable('the step fails'),
    () => {},
  )
  assert.not.ok(fs.existsSync(runDir), 'run folder removed')
  assert.not.ok(fs.existsSync(gen), 'unpromoted export removed')
  assert.is(fs.readlinkSync(path.join(cache, 'current')), 'gen-R0')
  assert.ok(fs.existsSync(path.join(cache, 'gen-R0')))
})

test.run()
