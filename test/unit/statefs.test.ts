// The state folder without symlinks (project/statefs.ts), prune by name and
// lstat (cache/local.ts), the stat cache's ctime (skip/files.ts), and the
// registry docker esb may act on (registry/owner.ts, prune, down). Issue 22.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { checkStateFolder, stateMkdir, stateRemove, stateWrite } from '../../scripts/project/statefs.ts'
import { writeFileAtomic } from '../../scripts/render/files.ts'
import { writeRecord } from '../../scripts/skip/state.ts'
import { ensureSalt } from '../../scripts/skip/secrets.ts'
import { pruneLocal } from '../../scripts/cache/local.ts'
import { fileHash, type StatCache } from '../../scripts/skip/files.ts'
import { adoptedFile, notOurs, recordAdopted } from '../../scripts/registry/owner.ts'
import { prunePlan } from '../../scripts/prune/plan.ts'
import { downPlan } from '../../scripts/compose/down.ts'
import { settings, tempDir, removeTemp } from '../lib/settings.ts'

/** A project with its state folder, and a folder outside it holding a sentinel. */
function world() {
  const root = fs.realpathSync(tempDir('esb-statefs-'))
  const project = path.join(root, 'project')
  const state = path.join(project, '.esb')
  const outside = path.join(root, 'outside')
  fs.mkdirSync(state, { recursive: true })
  fs.mkdirSync(outside)
  fs.writeFileSync(path.join(outside, 'sentinel'), 'must stay')
  const untouched = () =>
    fs.readdirSync(outside).join(',') === 'sentinel' && fs.readFileSync(path.join(outside, 'sentinel'), 'utf8') === 'must stay'
  return { root, project, state, outside, untouched }
}

const refuses = (fn: () => void, p: string) => {
  try {
    fn()
  } catch (e) {
    assert.is(
      (e as Error).message,
      `${p} is a symbolic link; docker esb does not write through links in its state folder: remove it`,
    )
    assert.is((e as { exitCode?: number }).exitCode, 2)
    return
  }
  assert.unreachable(`wrote through ${p}`)
}

test('a symlinked state folder, or a link where docker esb writes in it, is refused in one line naming it', () => {
  const w = world()
  fs.rmSync(w.state, { recursive: true })
  fs.symlinkSync(w.outside, w.state)
  refuses(() => checkStateFolder(w.project, w.state, true), w.state)
  fs.rmSync(w.state)
  for (const rel of ['reports', 'inputs', 'runs', 'reports/last-build.json', 'reports/last-build.progress.log', 'written.json']) {
    const p = path.join(w.state, rel)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.symlinkSync(path.join(w.outside, 'sentinel'), p)
    refuses(() => checkStateFolder(w.project, w.state, true), p)
    fs.rmSync(p)
  }
  // what docker esb makes there is fine: a cache's current -> gen-*; the user's own entries (certs/) are not looked at
  const t = path.join(w.state, 'buildx-cache', 'fn')
  fs.mkdirSync(path.join(t, 'gen-20250101000000-1-ab'), { recursive: true })
  fs.symlinkSync('gen-20250101000000-1-ab', path.join(t, 'current'))
  fs.symlinkSync(w.outside, path.join(w.state, 'certs'))
  checkStateFolder(w.project, w.state, true)
  fs.rmSync(path.join(t, 'current'))
  fs.symlinkSync(w.outside, path.join(t, 'current'))
  refuses(() => checkStateFolder(w.project, w.state, true), path.join(t, 'current'))
  assert.ok(w.untouched())
  removeTemp(w.root)
})

test('every writer refuses a link on the way once the folder is guarded; outside stays as it was', () => {
  const w = world()
  checkStateFolder(w.project, w.state, true)
  fs.symlinkSync(w.outside, path.join(w.state, 'reports'))
  fs.symlinkSync(w.outside, path.join(w.state, 'inputs'))
  fs.symlinkSync(w.outside, path.join(w.state, 'runs'))
  fs.symlinkSync(path.join(w.outside, 'sentinel'), path.join(w.state, 'written.json'))
  refuses(() => stateWrite(path.join(w.state, 'reports', 'last-build.json'), '{}'), path.join(w.state, 'reports'))
  refuses(() => writeFileAtomic(path.join(w.state, 'written.json'), '{}'), path.join(w.state, 'written.json'))
  refuses(() => writeFileAtomic(path.join(w.state, 'runs', 'r1', 'bake.json'), '{}'), path.join(w.state, 'runs'))
  refuses(
    () => writeRecord(path.join(w.state, 'inputs'), { target: 'a', tag: 't', key: 'k', digest: 'd', inputs: {} as never }),
    path.join(w.state, 'inputs'),
  )
  refuses(() => ensureSalt(path.join(w.state, 'inputs')), path.join(w.state, 'inputs'))
  refuses(() => stateMkdir(path.join(w.state, 'runs', 'r1')), path.join(w.state, 'runs'))
  refuses(() => stateRemove(path.join(w.state, 'runs', 'sentinel')), path.join(w.state, 'runs'))
  assert.ok(w.untouched())
  removeTemp(w.root)
})

test('prune --local: only names docker esb makes, by lstat; a linked runs folder or a link inside is never followed', () => {
  const w = world()
  const old = new Date(Date.now() - 7 * 86400_000)
  fs.writeFileSync(path.join(w.outside, 'old.txt'), 'old')
  fs.utimesSync(path.join(w.outside, 'old.txt'), old, old)
  const runs = path.join(w.state, 'runs')
  fs.symlinkSync(w.outside, runs)
  const cache = path.join(w.state, 'buildx-cache')
  assert.equal(pruneLocal(cache, runs, 0).removed, [])
  assert.ok(fs.existsSync(path.join(w.outside, 'old.txt')), 'the folder a linked runs/ points to is not pruned')
  fs.rmSync(runs)
  fs.mkdirSync(runs)
  const run = path.join(runs, '20250101000000-1-ab')
  const keep = path.join(runs, 'notes')
  const link = path.join(runs, '20250101000000-2-cd')
  fs.mkdirSync(run)
  fs.mkdirSync(keep)
  fs.symlinkSync(w.outside, link)
  for (const p of [run, keep]) fs.utimesSync(p, old, old)
  fs.lutimesSync(link, old, old)
  // a target folder that is a link, and a gen-* link in a real one
  fs.mkdirSync(cache)
  fs.symlinkSync(w.outside, path.join(cache, 'evil'))
  fs.mkdirSync(path.join(cache, 'fn'))
  fs.symlinkSync(w.outside, path.join(cache, 'fn', 'gen-20250101000000-3-ef'))
  fs.lutimesSync(path.join(cache, 'fn', 'gen-20250101000000-3-ef'), old, old)
  const r = pruneLocal(cache, runs, 0).removed.sort()
  assert.equal(r, [path.join(cache, 'fn', 'gen-20250101000000-3-ef'), run, link].sort())
  assert.ok(fs.existsSync(keep), 'a name docker esb does not make is left alone')
  assert.ok(fs.lstatSync(path.join(cache, 'evil')).isSymbolicLink())
  assert.equal(fs.readdirSync(w.outside).sort(), ['old.txt', 'sentinel'])
  removeTemp(w.root)
})

test('stat cache: an in-place edit of the same size with its mtime set back is seen (ctime); a racy file is not cached', () => {
  const dir = tempDir()
  const f = path.join(dir, 'handler.py')
  fs.writeFileSync(f, 'print("a")\n')
  const then = new Date(Date.now() - 60_000)
  fs.utimesSync(f, then, then)
  const cache: StatCache = {}
  const h1 = fileHash(f, fs.statSync(f), cache, Date.now() + 5000)
  assert.ok(cache[f], 'cached once its times are older than the racy window')
  // rsync --inplace / cp -p: same inode, same size, mtime restored
  fs.writeFileSync(f, 'print("b")\n')
  fs.utimesSync(f, then, then)
  const st = fs.statSync(f)
  assert.is(st.mtimeMs, cache[f].mtimeMs)
  assert.is(st.ino, cache[f].ino)
  const h2 = fileHash(f, st, cache)
  assert.is.not(h2, h1, 'the edit is seen')
  // its ctime just moved: within the racy window the entry is not kept
  assert.not.ok(cache[f])
  assert.is(fileHash(f, st, cache, Date.now() + 5000), h2)
  assert.is(cache[f].ctimeMs, st.ctimeMs)
  removeTemp(dir)
})

test('prune --registry and down --registry act only on a registry container docker esb created or adopted', () => {
  const dir = fs.realpathSync(tempDir())
  const s = settings({ projectDir: dir })
  const foreign = { name: 'esb-infra-registry', id: 'c0ffee', project: 'other' }
  const why = notOurs(s, foreign)
  assert.is(
    why,
    'registry container esb-infra-registry belongs to compose project other, not esb-infra, and docker esb did not start it',
  )
  assert.is(notOurs(s, { ...foreign, project: 'esb-infra' }), null, 'created by docker esb')
  assert.is(notOurs(s, null), null, 'none: nothing to refuse')
  try {
    prunePlan(s, { local: true, builder: true, registry: true, notOurs: why })
    assert.unreachable('a look-alike was garbage-collected')
  } catch (e) {
    assert.match(
      (e as Error).message,
      /^registry container esb-infra-registry belongs to compose project other, .*: prune --registry garbage-collects only a registry docker esb runs/,
    )
    assert.is((e as { exitCode?: number }).exitCode, 2)
  }
  const down = downPlan(s, true, [], { notOurs: why, stackMissing: false })
  assert.equal(
    down.steps.map((x) => (x as { argv?: string[] }).argv?.slice(0, 3)),
    [['compose', '-p', s.projectName]],
    'the look-alike is not stopped',
  )
  assert.match(down.notes?.[0] ?? '', /did not start it: left running/)
  // adopted: ensure-registry started it as it is and recorded its id
  recordAdopted(adoptedFile(s), foreign.name, foreign.id)
  assert.is(notOurs(s, foreign), null)
  assert.ok(notOurs(s, { ...foreign, id: 'another' }), 'the same name on another container is not adopted')
  removeTemp(dir)
})

test('down --registry without docker-compose.<mode>.yml still stops the registry and says the stack file is missing', () => {
  const s = settings()
  const p = downPlan(s, true, [], { notOurs: null, stackMissing: true })
  assert.equal(
    p.steps.filter((x) => x.kind === 'docker').map((x) => (x as { argv: string[] }).argv.slice(0, 3)),
    [['compose', '-p', 'esb-infra']],
  )
  assert.match(p.notes?.[0] ?? '', /^docker-compose\.docker\.yml not found: the docker-mode stack esb-\w+ is not stopped/)
})

test.run()
