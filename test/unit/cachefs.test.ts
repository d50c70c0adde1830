import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { dropUnreferenced, exportProblem, promoteCache, pruneLocal, seedGen, GEN_MIN_AGE_MS } from '../../scripts/cache/local.ts'

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
  assert.equal(
    fs
      .readdirSync(dir)
      .filter((n) => n.startsWith('gen-'))
      .sort(),
    ['gen-1', 'gen-2', 'gen-writing'],
  )
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
  fs.mkdirSync(path.join(runs, '20250101000000-1-old'), { recursive: true })
  fs.mkdirSync(path.join(runs, '20250101000000-2-new'), { recursive: true })
  const t = (Date.now() - 2 * 24 * 3600_000) / 1000
  fs.utimesSync(path.join(runs, '20250101000000-1-old'), t, t)
  const r = pruneLocal(path.join(root, 'cache'), runs, GEN_MIN_AGE_MS)
  assert.equal(r.removed.map((p) => path.basename(p)).sort(), ['20250101000000-1-old', 'gen-prev'])
  assert.equal(
    fs
      .readdirSync(dir)
      .filter((n) => n.startsWith('gen-'))
      .sort(),
    ['gen-cur', 'gen-young'],
  )
  assert.equal(fs.readdirSync(runs), ['20250101000000-2-new'])
  fs.rmSync(root, { recursive: true })
})

/** Writes a blob into an export folder; returns its digest. */
function blob(g: string, content: string): string {
  const d = crypto.createHash('sha256').update(content).digest('hex')
  fs.mkdirSync(path.join(g, 'blobs', 'sha256'), { recursive: true })
  fs.writeFileSync(path.join(g, 'blobs', 'sha256', d), content)
  return `sha256:${d}`
}

test('a new export is seeded with hard links to the current blobs; what it does not reference is dropped on promotion', () => {
  const dir = tmp()
  const g1 = path.join(dir, 'gen-1')
  const layerA = blob(g1, 'layer a')
  const layerB = blob(g1, 'layer b')
  const list1 = blob(g1, JSON.stringify({ manifests: [{ digest: layerA }, { digest: layerB }] }))
  fs.writeFileSync(path.join(g1, 'index.json'), JSON.stringify({ manifests: [{ digest: list1 }] }))
  promoteCache(dir, g1)
  const g2 = path.join(dir, 'gen-2')
  assert.is(seedGen(dir, g2), 3)
  const st = (g: string, d: string) => fs.statSync(path.join(g, 'blobs', 'sha256', d.slice(7)))
  assert.is(st(g2, layerA).ino, st(g1, layerA).ino, 'a hard link, not a copy')
  // the new export: layer b changed to c; its index no longer references b or the old list
  const layerC = blob(g2, 'layer c')
  const list2 = blob(g2, JSON.stringify({ manifests: [{ digest: layerA }, { digest: layerC }] }))
  fs.writeFileSync(path.join(g2, 'index.json'), JSON.stringify({ manifests: [{ digest: list2 }] }))
  promoteCache(dir, g2)
  assert.equal(fs.readdirSync(path.join(g2, 'blobs', 'sha256')).sort(), [layerA, layerC, list2].map((d) => d.slice(7)).sort())
  assert.is(
    fs.readFileSync(path.join(g1, 'blobs', 'sha256', layerB.slice(7)), 'utf8'),
    'layer b',
    'the previous export is intact',
  )
  assert.is(seedGen(path.join(dir, 'none'), path.join(dir, 'gen-x')), 0, 'nothing current: nothing seeded')
  assert.is(dropUnreferenced(path.join(dir, 'gen-x')), 0, 'no index: nothing dropped')
  fs.rmSync(dir, { recursive: true })
})

test('a missing or odd export never fails the run: the previous current stays, one line says why', () => {
  const dir = tmp()
  const g1 = path.join(dir, 'gen-1')
  const list = blob(g1, JSON.stringify({ manifests: [{ digest: blob(g1, 'layer') }] }))
  fs.writeFileSync(path.join(g1, 'index.json'), JSON.stringify({ manifests: [{ digest: list }] }))
  assert.is(promoteCache(dir, g1), null)
  // an index.json whose blobs folder the export never created (the gen-<run>.2 failure: readdir of blobs/sha256)
  const g2 = gen(dir, 'gen-2', false)
  fs.writeFileSync(path.join(g2, 'index.json'), JSON.stringify({ manifests: [{ digest: list }] }))
  assert.is(dropUnreferenced(g2), 0, 'no blobs folder: nothing to drop, no throw')
  assert.match(exportProblem(g2) ?? '', /index\.json names sha256:\w+ but the export has no such blob/)
  assert.match(
    promoteCache(dir, g2) ?? '',
    /^local cache [\w-]+: gen-2 not made current, index\.json names .*; gen-1 stays current$/,
  )
  assert.is(fs.readlinkSync(path.join(dir, 'current')), 'gen-1')
  assert.not.ok(fs.existsSync(g2), "the run's unusable export is removed")
  assert.match(
    promoteCache(dir, gen(dir, 'gen-3', false)) ?? '',
    /gen-3 not made current, no export \(no index\.json\); gen-1 stays current/,
  )
  const g4 = gen(dir, 'gen-4', false)
  fs.writeFileSync(path.join(g4, 'index.json'), '{"manifests": [')
  assert.match(promoteCache(dir, g4) ?? '', /an unreadable index\.json/)
  // the swap itself fails (no cache folder to put the link in): a line, not an exception
  const lone = gen(tmp(), 'gen-5')
  assert.match(
    promoteCache(path.join(dir, 'gone', 'x'), lone) ?? '',
    /^local cache x: gen-5 not made current \(.*ENOENT.*\); no local cache yet$/,
  )
  assert.is(fs.readlinkSync(path.join(dir, 'current')), 'gen-1')
  fs.rmSync(dir, { recursive: true })
})

test.run()
