// The layout the README promises: no import circles under scripts/ and
// plugin/, no source file over 250 lines, and docker spawned only by the runner.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from '../lib/helpers.ts'

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : []
  })
}
const files = [...sources(path.join(ROOT, 'scripts')), ...sources(path.join(ROOT, 'plugin'))]
const rel = (p: string) => path.relative(ROOT, p)

/** Local imports of a file (type-only imports included: a circle of types is still a circle). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm))
    out.push(path.resolve(path.dirname(file), m[1]))
  return out.filter((p) => p.endsWith('.ts') && fs.existsSync(p))
}

test('no import circle under scripts/ and plugin/', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f)]))
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const circles: string[] = []
  const visit = (f: string) => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'open') {
      circles.push([...stack.slice(stack.indexOf(f)), f].map(rel).join(' -> '))
      return
    }
    state.set(f, 'open')
    stack.push(f)
    for (const g of graph.get(f) ?? []) visit(g)
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of files) visit(f)
  assert.equal(circles, [])
})

test('no source file over 250 lines', () => {
  const long = files.map((f) => [rel(f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 250)
  assert.equal(long, [])
})

test('only the runner spawns processes', () => {
  const spawners = files
    .filter((f) =>
      /from 'node:child_process'|import\s*\{[^}]*\$[,\s}][^}]*\}?\s*from 'zx(\/core)?'/.test(fs.readFileSync(f, 'utf8')),
    )
    .map(rel)
  assert.equal(spawners, ['scripts/docker/runner.ts'])
})

test.run()
