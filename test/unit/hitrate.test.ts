import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ProgressCollector, culprit, hitReport, stepOf, reportText } from '../../scripts/report/hitrate.ts'

const raw = (vs: any[]) => JSON.stringify({ vertexes: vs })

test('steps: [target i/n] INSTR, FROM and internal vertices excluded', () => {
  assert.equal(stepOf('[os-base 2/3] RUN x'), { target: 'os-base', instr: 'RUN x' })
  assert.equal(stepOf('[2/3] COPY a b'), { target: 'default', instr: 'COPY a b' })
  assert.equal(stepOf('[stage-1 2/3] COPY a b'), { target: 'stage-1', instr: 'COPY a b' })
  assert.equal(stepOf('[gateway-docker build 2/2] RUN y'), { target: 'gateway-docker', instr: 'RUN y' })
  assert.is(stepOf('[os-base 1/3] FROM docker.io/library/busybox:1.36'), null)
  assert.is(stepOf('[os-base internal] load build definition from Dockerfile'), null)
  assert.is(stepOf('[os-base] exporting to image'), null)
})

test('rawjson: a vertex is counted once, cached when BuildKit says so, under its first name', () => {
  const c = new ProgressCollector()
  c.line(raw([{ digest: 'a', name: '[os-base 2/3] RUN x', started: '2026-01-01T00:00:00Z' }]))
  const done = c.line(raw([{ digest: 'a', name: '[agent 2/4] RUN x', cached: true, completed: '2026-01-01T00:00:01Z' }]))
  assert.is(done.length, 1)
  c.line(raw([{ digest: 'b', name: '[os-base 3/3] RUN y', completed: '2026-01-01T00:00:02Z' }]))
  c.line(raw([{ digest: 'c', name: '[os-base internal] load .dockerignore', completed: '2026-01-01T00:00:02Z' }]))
  c.line(raw([{ digest: 'd', name: '[fn-a 2/2] RUN z', completed: '2026-01-01T00:00:02Z', error: 'exit code: 1' }]))
  c.line('WARNING: not json')
  const r = hitReport('build', c.vertices.values(), 1234)
  assert.equal(r.total, { cached: 1, total: 2, percent: 50 })
  assert.equal(r.targets['os-base'], { cached: 1, total: 2, percent: 50 })
  assert.is(r.targets['fn-a'], undefined, 'failed steps are not counted')
  assert.match(reportText(r), /total\s+1\/2\s+50\.0%/)
})

test('plain progress (compose): "#N [svc i/n] INSTR" then "#N CACHED" or "#N DONE"', () => {
  const c = new ProgressCollector()
  for (const l of [
    '#5 [gateway 2/4] COPY a b',
    '#6 [gateway 3/4] RUN x',
    '#5 CACHED',
    '#6 0.1 output',
    '#6 DONE 0.3s',
    '#7 [gateway internal] load build context',
    '#7 DONE 0.0s',
  ])
    c.line(l)
  const r = hitReport('up', c.vertices.values(), 1)
  assert.equal(r.targets.gateway, { cached: 1, total: 2, percent: 50 })
})

test('steps with no target name (bake building one target) count under that target', () => {
  const c = new ProgressCollector()
  c.line(raw([{ digest: 'a', name: '[2/3] COPY handler /x', cached: true, completed: '2026-01-01T00:00:01Z' }]))
  assert.equal(Object.keys(hitReport('build', c.vertices.values(), 1, false, 'fn-hello').targets), ['fn-hello'])
  assert.equal(Object.keys(hitReport('build', c.vertices.values(), 1).targets), ['default'])
})

test('one multi-stage target: steps named by stage only all count under that target', () => {
  const c = new ProgressCollector()
  c.line(
    raw([
      { digest: 'a', name: '[build 2/2] RUN make tool', cached: true, completed: '2026-01-01T00:00:01Z' },
      { digest: 'b', name: '[stage-1 3/4] COPY invoke.cgi /www', completed: '2026-01-01T00:00:02Z' },
      { digest: 'c', name: '[stage-1 4/4] COPY --from=build /built /opt/built', completed: '2026-01-01T00:00:02Z' },
    ]),
  )
  assert.equal(hitReport('build', c.vertices.values(), 1, false, 'gateway-docker').targets, {
    'gateway-docker': { cached: 1, total: 3, percent: 33.3 },
  })
})

test('failed cache exports are reported, not failures', () => {
  const c = new ProgressCollector()
  c.line(
    raw([
      {
        digest: 'e',
        name: '[fn-a] exporting cache to registry',
        completed: '2026-01-01T00:00:02Z',
        error: 'failed to do request: connection refused',
      },
    ]),
  )
  const r = hitReport('build', c.vertices.values(), 1)
  assert.equal(r.cacheExportErrors, [{ target: 'fn-a', cache: 'registry', error: 'failed to do request: connection refused' }])
  assert.match(reportText(r), /warning: cache export failed \(the build did not\): fn-a \(registry: connection refused\)/)
})

test('nothing to build counts as 100%', () => {
  assert.is(hitReport('build', [], 0).total.percent, 100)
})

test("the failed build's culprit: a step's own error, else a cache export that really failed, never a cancelled push", () => {
  const v = (name: string, error: string) => ({ name, error, cached: false, completed: true })
  const enospc = v(
    '[fn-hello] exporting cache to client directory',
    'write /c/fn-hello/gen-1/ingest/x/data: no space left on device',
  )
  const push = v('[fn-hello] exporting to image', 'failed to push 127.0.0.1:5010/esb-fn-hello:latest: context canceled')
  assert.is(culprit([push, enospc]), enospc)
  const step = v('[fn-hello 3/4] RUN make', 'process "/bin/sh -c make" did not complete successfully: exit code: 2')
  assert.is(culprit([push, enospc, step]), step)
  assert.is(culprit([push]), push)
  assert.is(culprit([v('[fn-hello] exporting cache to registry', 'context canceled')]), undefined)
})

test('plain progress: two bakes of one command (numbers start again at #1) both count; an unbracketed vertex keeps its name for errors', () => {
  const c = new ProgressCollector()
  for (const l of ['#1 [internal] load local bake definitions', '#1 DONE 0.0s', '#5 [os-base 1/2] RUN a', '#5 CACHED']) c.line(l)
  c.newStream()
  for (const l of [
    '#1 [internal] load local bake definitions',
    '#1 DONE 0.0s',
    '#5 [fn-a 1/2] COPY x /x',
    '#5 DONE 0.1s',
    '#9 exporting cache to client directory',
    '#9 writing layer sha256:abc',
    '#9 ERROR: write /c/data: no space left on device',
    '#10 exporting to image',
    '#10 CANCELED',
  ])
    c.line(l)
  const r = hitReport('build', c.vertices.values(), 1)
  assert.equal(r.targets, { 'fn-a': { cached: 0, total: 1, percent: 0 }, 'os-base': { cached: 1, total: 1, percent: 100 } })
  assert.is(culprit(c.vertices.values())?.name, 'exporting cache to client directory')
})

test.run()
