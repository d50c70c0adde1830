// Scale: the example with 50 functions (examples/mini/generate.mjs). Every
// function is built and pushed; a no-op rebuild is fully cached.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { Project, must } from './project.ts'

let p: Project
test.before(async () => {
  p = await Project.create(50)
  p.seed()
})
test.after(() => p?.cleanup())

test('50 functions: built and pushed; a no-op skips all 57 targets; one edit rebuilds one', () => {
  const first = JSON.parse(must(p.esb(['build', '--json']), 'build').stdout)
  const fns = Object.keys(first.targets).filter((t) => t.startsWith('fn-'))
  assert.ok(fns.length >= 45, `function targets reported: ${fns.length}`)
  const rows = JSON.parse(must(p.esb(['images', '--json']), 'images').stdout).filter((r: any) => r.kind === 'function')
  assert.is(rows.length, 50)
  const again = JSON.parse(must(p.esb(['build', '--json']), 'rebuild').stdout)
  assert.is(again.total.total, 0, 'nothing went to bake')
  assert.is(again.skipped.length, Object.keys(first.rebuilt).length, JSON.stringify(again.rebuilt))
  assert.ok(again.skipped.length >= 56)
  fs.appendFileSync(path.join(p.dir, 'functions', 'fn007', 'handler'), 'echo edited\n')
  const one = JSON.parse(must(p.esb(['build', '--json']), 'one edit').stdout)
  assert.equal(one.rebuilt, { 'fn-fn007': ['handler'] })
  assert.equal(Object.keys(one.targets), ['fn-fn007'])
})

test.run()
