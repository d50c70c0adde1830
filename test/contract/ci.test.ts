// The CI recipe (docs/ci.md): its GitHub Actions workflow passes actionlint
// (installed by test/tools.sh from the Go module proxy), a broken copy does
// not (the linter really runs), and its build step runs the same script the
// two-machine e2e runs as a fresh runner (examples/ci/build.sh), and the
// scheduled prune runs the script it runs too (examples/ci/prune.sh).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT, run, tmpdir } from '../lib/helpers.ts'

const actionlint = path.join(ROOT, '.tools', 'bin', 'actionlint')
const workflow = path.join(ROOT, 'examples', 'ci', 'github-workflow.yml')

test('the workflow passes actionlint', () => {
  assert.ok(fs.existsSync(actionlint), 'actionlint is installed by make tools (test/tools.sh)')
  const r = run(actionlint, ['-no-color', workflow])
  assert.is(r.code, 0, r.stdout + r.stderr)
})

test('a broken workflow does not: the linter runs', () => {
  const d = tmpdir('esb-ci-')
  const broken = path.join(d, 'images.yml')
  fs.writeFileSync(broken, fs.readFileSync(workflow, 'utf8').replace('runs-on: ubuntu-24.04', 'runs_on: ubuntu-24.04'))
  const r = run(actionlint, ['-no-color', broken])
  assert.is.not(r.code, 0)
  assert.match(r.stdout + r.stderr, /runs_on|runs-on/)
  fs.rmSync(d, { recursive: true, force: true })
})

test('its build step runs the script the e2e runs; the deploy job reads only what that step wrote', () => {
  const text = fs.readFileSync(workflow, 'utf8')
  assert.match(text, /run: sh examples\/ci\/build\.sh images\.json/)
  assert.match(fs.readFileSync(path.join(ROOT, 'test', 'e2e', 'twomachines.test.ts'), 'utf8'), /'examples', 'ci', 'build\.sh'/)
  assert.match(text, /done < deploy\.txt/)
  assert.match(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'build.sh'), 'utf8'), /--metadata-file "\$meta"/)
})

test('a scheduled job prunes the build registry with the script the e2e runs, and only then', () => {
  const text = fs.readFileSync(workflow, 'utf8')
  assert.match(text, /schedule:\n\s+- cron: /)
  assert.match(text, /prune:\n\s+if: github\.event_name == 'schedule'/)
  assert.match(text, /build:\n\s+if: github\.event_name != 'schedule'/)
  assert.match(text, /run: sh examples\/ci\/prune\.sh/)
  assert.match(fs.readFileSync(path.join(ROOT, 'test', 'e2e', 'twomachines.test.ts'), 'utf8'), /'examples', 'ci', 'prune\.sh'/)
  assert.match(fs.readFileSync(path.join(ROOT, 'examples', 'ci', 'prune.sh'), 'utf8'), /docker esb prune --shared\n/)
})

test.run()
