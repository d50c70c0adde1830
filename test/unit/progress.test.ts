import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { bakeProgressArg, composeProgressArg, progressMode, withHistory } from '../../scripts/report/mode.ts'
import { versionLess } from '../../scripts/docker/version.ts'
import { withCounts, hitReport } from '../../scripts/report/hitrate.ts'
import { UsageError } from '../../scripts/errors.ts'

test('--progress, else BUILDKIT_PROGRESS, else auto: tty on a terminal, plain otherwise', () => {
  assert.is(progressMode(undefined, {}, true), 'tty')
  assert.is(progressMode(undefined, {}, false), 'plain')
  assert.is(progressMode(undefined, { BUILDKIT_PROGRESS: 'quiet' }, true), 'quiet')
  assert.is(progressMode('rawjson', { BUILDKIT_PROGRESS: 'quiet' }, true), 'rawjson')
  assert.is(progressMode('tty', {}, false), 'plain', 'nothing to redraw without a terminal')
  assert.is(progressMode(undefined, { BUILDKIT_PROGRESS: 'none' }, true), 'quiet', "buildx's name for quiet")
  assert.throws(
    () => progressMode('fancy', {}, true),
    (e: unknown) =>
      e instanceof UsageError &&
      (e as Error).message ===
        'flag --progress: "fancy" is not a progress mode; use one of auto, plain, tty, quiet, rawjson, none',
  )
  assert.throws(
    () => progressMode(undefined, { BUILDKIT_PROGRESS: 'x' }, true),
    /BUILDKIT_PROGRESS=x: "x" is not a progress mode/,
  )
})

test('what bake and compose are asked for: their own display on a terminal, else what is counted', () => {
  assert.equal(
    ['tty', 'plain', 'quiet', 'rawjson'].map((m) => bakeProgressArg(m as never)),
    ['--progress=tty', '--progress=plain', '--progress=rawjson', '--progress=rawjson'],
  )
  assert.equal(composeProgressArg('tty'), ['--progress', 'tty'])
  assert.equal(composeProgressArg('quiet'), ['--progress', 'plain'])
})

test('counts read back from build records join the report', () => {
  const r = withCounts(hitReport('build', [], 1), {
    'fn-a': { cached: 2, total: 4, percent: 50 },
    'fn-b': { cached: 3, total: 3, percent: 100 },
  })
  assert.equal(r.total, { cached: 5, total: 7, percent: 71.4 })
  assert.equal(Object.keys(r.targets), ['fn-a', 'fn-b'])
})

test('tty only where buildx can read the steps back (history, 0.20+); else plain', () => {
  assert.is(withHistory('tty', '0.19.3', versionLess), 'plain')
  assert.is(withHistory('tty', '0.20.0', versionLess), 'tty')
  assert.is(withHistory('quiet', '0.17.0', versionLess), 'quiet')
})

test.run()
