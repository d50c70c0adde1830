import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promoteCache, pruneLocal, GEN_MIN_AGE_MS } from '../../scripts/cache/local.ts'

function gen(dir: string, name: string, complete = true, ageMs = 0): string {
  const g = path.join(dir, name)
  fs.mkdirSync(g, { recursive: true })
  if (complete) fs.writeFileSync(path.join(g, 'index.json'), '{}')
  const t = (Date.now() - ageMs) / 1000
  fs.utimesSync(g, t, t)
  return g
}
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'esb-cachefs-'))
const old = GEN_MIN_AGE_MS + 60_000

test('promote swaps current to a complete export; an incomplete one is never made current', () => {
  const dir = tmp()
  promoteCache(dir, gen(dir, 'gen-a'))
  assert.is(fs.readlinkSync(path.join(dir, 'current')), 'gen-a')
  promoteCache(dir, gen(dir, 'gen-half', false))
  assert.is(fs.readlinkSync(path.join(dir, 'current')), 'gen-a')
  fs.rmSync(dir, { recursive: true })
})

test('promote keeps the new and the previous export, and young ones; removes old ones', () => {
  const dir = tmp()
  promoteCache(dir, gen(dir, 'gen-1', true, old))
  gen(dir, 'gen-stale', true, old)
  gen(dir, 'gen-writing', false) // a parallel run's export in progress
  promoteCache(dir, gen(dir, 'gen-2'))
  assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('gen-')).sort(), ['gen-1', 'gen-2', 'gen-writing'])
  fs.rmSync(dir, { recursive: true })
})

test('pruneLocal keeps only current (and young exports); removes old run folders', () => {
  const root = tmp()
  const dir = path.join(root, 'cache', 'os-base')
  fs.mkdirSync(dir, { recursive: true })
  promoteCache(dir, gen(dir, 'gen-cur', true, old))
  gen(dir, 'gen-prev', true, old)
  gen(dir, 'gen-young', true)
  const runs = path.join(root, 'runs')
  fs.mkdirSync(path.join(runs, 'r-old'), { recursive: true })
  fs.mkdirSync(path.join(runs, 'r-new'), { recursive: true })
  const t = (Date.now() - 2 * 24 * 3600_000) / 1000
  fs.utimesSync(path.join(runs, 'r-old'), t, t)
  const r = pruneLocal(path.join(root, 'cache'), runs, GEN_MIN_AGE_MS)
  assert.equal(r.removed.map((p) => path.basename(p)).sort(), ['gen-prev', 'r-old'])
  assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith('gen-')).sort(), ['gen-cur', 'gen-young'])
  assert.equal(fs.readdirSync(runs), ['r-new'])
  fs.rmSync(root, { recursive: true })
})

test.run()
