// The layout docs/architecture.md promises: layers that only look down (no
// folder imports a folder above it, so no folder cycle), no import circles
// under scripts/ and plugin/, no source file over 250 lines, and docker
// spawned only by the runner.
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

/**
 * The layers, lowest first. A folder imports only folders of a lower layer
 * (type-only imports included): the step data (plan/) sits below every
 * planner, the runner (run/) above them all, the commands on top.
 */
const LAYERS: string[][] = [
  ['errors.ts', 'io.ts', 'exit-cleanup.ts', 'sort.ts', 'pool.ts', 'plugin/metadata.ts'],
  ['lock', 'docker'],
  ['project'],
  ['report', 'functions'],
  ['oci'],
  ['plan'],
  ['render', 'cache', 'builder', 'registry', 'buildregistry'],
  ['skip', 'prune'],
  ['bake'],
  ['compose'],
  ['run', 'doctor', 'status'],
  ['commands'],
  ['complete'],
  ['cli.ts', 'plugin/main.ts'],
]
const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)))

/** A file's unit: its folder under scripts/ (a top-level file is its own), or the plugin file. */
function unitOf(file: string): string {
  const r = rel(file)
  if (r.startsWith('plugin/')) return r
  const parts = path.relative(path.join(ROOT, 'scripts'), file).split(path.sep)
  return parts.length > 1 ? parts[0] : parts[0]
}

test('every folder is in a layer', () => {
  const missing = [...new Set(files.map(unitOf))].filter((u) => !rank.has(u))
  assert.equal(missing, [], 'add the folder to LAYERS in test/unit/structure.test.ts')
})

test('layers only look down: no folder imports a folder above or beside it', () => {
  const up: string[] = []
  for (const f of files)
    for (const g of importsOf(f)) {
      const [a, b] = [unitOf(f), unitOf(g)]
      if (a === b || !rank.has(a) || !rank.has(b)) continue
      if (rank.get(b)! >= rank.get(a)!) up.push(`${rel(f)} -> ${rel(g)}`)
    }
  assert.equal(up, [])
})

test('no folder cycle', () => {
  const edges = new Map<string, Set<string>>()
  for (const f of files)
    for (const g of importsOf(f))
      if (unitOf(f) !== unitOf(g)) (edges.get(unitOf(f)) ?? edges.set(unitOf(f), new Set()).get(unitOf(f))!).add(unitOf(g))
  const reach = (from: string, to: string, seen = new Set<string>()): boolean =>
    [...(edges.get(from) ?? [])].some((n) => n === to || (!seen.has(n) && (seen.add(n), reach(n, to, seen))))
  assert.equal(
    [...edges.keys()].filter((u) => reach(u, u)),
    [],
  )
})

test('no source file over 250 lines', () => {
  const long = files.map((f) => [rel(f), fs.readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 250)
  assert.equal(long, [])
})

test('only the runner spawns processes', () => {
  const spawners = files.filter((f) => /from 'node:child_process'/.test(fs.readFileSync(f, 'utf8'))).map(rel)
  assert.equal(spawners, ['scripts/docker/runner.ts'])
})

test.run()
