// Scale: the example with 50 functions (examples/mini/generate.mjs). Every
// function is built and pushed; a no-op rebuild is fully cached.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Project, must } from './project.ts'

let p: Project
test.before(async () => {
  p = await Project.create(50)
  p.seed()
})
test.after(() => p?.cleanup())

test('50 functions: built, pushed, then a no-op rebuild 100% cached', () => {
  const first = JSON.parse(must(p.esb(['build', '--json']), 'build').stdout)
  const fns = Object.keys(first.targets).filter((t) => t.startsWith('fn-'))
  assert.ok(fns.length >= 45, `function targets reported: ${fns.length}`)
  const rows = JSON.parse(must(p.esb(['images', '--json']), 'images').stdout).filter((r: any) => r.kind === 'function')
  assert.is(rows.length, 50)
  const again = JSON.parse(must(p.esb(['build', '--json']), 'rebuild').stdout)
  assert.is(again.total.total, first.total.total)
  assert.is(again.total.cached, again.total.total, JSON.stringify(again.total))
})

test.run()
