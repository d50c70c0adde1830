// Skipping unchanged targets: Dockerfile references, context files under
// .dockerignore, input keys, explanations and decisions. Pure, plus files in
// a temp folder.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { dockerfileRefs } from '../../scripts/skip/dockerfile.ts'
import { contextFiles } from '../../scripts/skip/files.ts'
import { gatherTarget } from '../../scripts/skip/gather.ts'
import { computeKeys, decide, explain, stableJson, type InputRecord } from '../../scripts/skip/keys.ts'
import { readRecord, recordFile, writeRecord } from '../../scripts/skip/state.ts'
import { gathered } from './fixtures.ts'

test('Dockerfile: external images after ARG expansion; stages, named contexts and scratch are not', () => {
  const df =
    'ARG BASE=busybox:1.36\nARG V\nFROM ${BASE} AS build\nRUN x\nFROM lambda-base\nCOPY --from=build /a /a\nCOPY --from=127.0.0.1:5010/tools:1 /t /t\nRUN --mount=type=bind,from=alpine:3,target=/m true\nFROM scratch\n'
  assert.equal(dockerfileRefs(df, {}, ['lambda-base']), {
    images: ['127.0.0.1:5010/tools:1', 'alpine:3', 'busybox:1.36'].sort(),
    syntax: null,
    stages: ['build'],
    never: null,
  })
  assert.equal(
    dockerfileRefs(df, { BASE: '127.0.0.1:5010/library/busybox:1.36' }, ['lambda-base']).images[0],
    '127.0.0.1:5010/library/busybox:1.36',
  )
  assert.equal(dockerfileRefs('FROM ${X:-reg/x:1}\n', {}, []).images, ['reg/x:1'])
  // a frontend by tag is resolved to a digest and keyed (skip/resolve.ts), no longer always built
  assert.equal(dockerfileRefs('# syntax=docker/dockerfile:1\nFROM a\n', {}, []), {
    images: ['a'],
    syntax: 'docker/dockerfile:1',
    stages: [],
    never: null,
  })
  assert.is(dockerfileRefs('# syntax=docker/dockerfile:1@sha256:' + 'a'.repeat(64) + '\nFROM scratch\n', {}, []).never, null)
  assert.match(dockerfileRefs('FROM scratch\nADD https://example.com/x /x\n', {}, []).never!, /URL/)
  assert.match(dockerfileRefs('FROM scratch\nADD --chmod=644 git@github.com:a/b.git /x\n', {}, []).never!, /git/)
  // a continuation line does not hide a FROM
  assert.equal(dockerfileRefs('FROM \\\n  busybox\n', {}, []).images, ['busybox'])
})

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'esb-skip-'))

test('context files: .dockerignore (with exceptions), modes, links and folders count; ignored files do not', () => {
  const d = tmp()
  fs.mkdirSync(path.join(d, 'src/deep'), { recursive: true })
  fs.mkdirSync(path.join(d, 'empty'))
  fs.writeFileSync(path.join(d, 'src/a.txt'), 'a')
  fs.writeFileSync(path.join(d, 'src/deep/keep.md'), 'k')
  fs.writeFileSync(path.join(d, 'README.md'), 'r')
  fs.writeFileSync(path.join(d, 'run.sh'), 'x', { mode: 0o755 })
  fs.symlinkSync('src/a.txt', path.join(d, 'link'))
  fs.writeFileSync(path.join(d, '.dockerignore'), '**/*.md\n!src/deep/keep.md\n')
  const f = contextFiles(d, path.join(d, '.dockerignore'), {})
  assert.equal(Object.keys(f).sort(), [
    '.dockerignore',
    'empty/',
    'link',
    'run.sh',
    'src/',
    'src/a.txt',
    'src/deep/',
    'src/deep/keep.md',
  ])
  assert.match(f['run.sh'], /^f755:/)
  assert.is(f.link, 'l777:src/a.txt')
  const cache = {}
  const before = contextFiles(d, null, cache)
  fs.writeFileSync(path.join(d, 'src/a.txt'), 'b')
  assert.is.not(
    contextFiles(d, null, cache)['src/a.txt'],
    before['src/a.txt'],
    'an edit within the mtime tick is seen (fresh files are never cached)',
  )
  fs.rmSync(d, { recursive: true })
})

const g = gathered

test('keys offline: each target keyed with the digests its own last build used, images and frontend', () => {
  const [D1, D2] = ['sha256:' + '1'.repeat(64), 'sha256:' + '2'.repeat(64)]
  const both = { a: g({ images: ['r/x:1'], syntax: 'f:1' }), b: g({ images: ['r/x:1'], syntax: 'f:1' }) }
  // b was built after r/x:1 and the frontend moved: its record has D2 for both
  const own = (t: string, dep: string) => (t === 'b' && (dep === 'r/x:1' || dep === 'frontend:f:1') ? D2 : undefined)
  const k = computeKeys(both, { 'r/x:1': D1, 'f:1': D1 }, {}, own)
  assert.equal(k.a.inputs.deps, { 'r/x:1': D1, 'frontend:f:1': D1 })
  assert.equal(k.b.inputs.deps, { 'r/x:1': D2, 'frontend:f:1': D2 })
})

test('keys: a child key follows its base; an unresolvable image makes a target always built', () => {
  const k1 = computeKeys({ base: g(), child: g({ targets: { 'lambda-base': 'base' } }) }, {})
  const k2 = computeKeys({ base: g({ files: { '.:a': 'f644:2' } }), child: g({ targets: { 'lambda-base': 'base' } }) }, {})
  assert.is.not(k1.child.key, k2.child.key)
  assert.is(k1.child.inputs.deps['target:base'], k1.base.key)
  const k3 = computeKeys({ x: g({ images: ['busybox:1.36'] }) }, { 'busybox:1.36': null })
  assert.is(k3.x.key, null)
  assert.match(k3.x.never!, /busybox:1\.36 cannot be resolved/)
  assert.ok(computeKeys({ x: g({ images: ['r/x:1'] }) }, { 'r/x:1': 'sha256:1' }).x.key)
  assert.is(stableJson({ b: 1, a: [2, { d: 1, c: 0 }] }), '{"a":[2,{"c":0,"d":1}],"b":1}')
})

test('explain names what changed: files, args, bases, Dockerfile', () => {
  const a = computeKeys({ x: g({ args: { A: '1' } }) }, {}).x.inputs
  const b = computeKeys(
    { x: g({ args: { A: '2', B: '1' }, dockerfile: 'df2', files: { '.:a': 'f644:1', '.:new': 'f644:3' } }) },
    {},
  ).x.inputs
  assert.equal(explain(a, b), ['Dockerfile', 'new (new)', 'build arg A', 'build arg B (new)'])
  assert.equal(explain({ ...a, deps: { 'target:base': '1' } }, { ...a, deps: { 'target:base': '2' } }), ['base base'])
})

test('decide: skip only with the same key, the same digest in the registry and a cache; what builds on a rebuilt target is rebuilt', () => {
  const keys = computeKeys({ base: g(), child: g({ targets: { b: 'base' } }), other: g({ files: {} }) }, {})
  const rec = (t: string, digest = 'sha256:d'): InputRecord => ({
    target: t,
    tag: t,
    key: keys[t].key!,
    digest,
    inputs: keys[t].inputs,
  })
  const ok = { digest: 'sha256:d', cache: true }
  const all = ['base', 'child', 'other']
  assert.equal(
    decide(
      all,
      keys,
      { base: rec('base'), child: rec('child'), other: rec('other') },
      { base: ok, child: ok, other: ok },
      { child: ['base'] },
    ),
    { skip: { base: 'sha256:d', child: 'sha256:d', other: 'sha256:d' }, rebuild: {} },
  )
  const d = decide(
    all,
    keys,
    { base: rec('base'), child: rec('child'), other: null },
    { base: { digest: null, cache: true }, child: ok },
    { child: ['base'] },
  )
  assert.equal(d.rebuild, {
    base: ['its image is not in the registry'],
    child: ['base base is rebuilt'],
    other: ['not built before'],
  })
  assert.equal(decide(['other'], keys, { other: rec('other') }, { other: { digest: 'sha256:d', cache: false } }, {}).rebuild, {
    other: ['its cache is missing'],
  })
  assert.equal(decide(['other'], keys, { other: rec('other') }, { other: { digest: 'sha256:e', cache: true } }, {}).rebuild, {
    other: ['the registry holds another image at its tag'],
  })
})

// secrets (keyed by a salted HMAC of their content): test/unit/secrets.test.ts
test('gather: a remote context or no-cache is always built', () => {
  const d = tmp()
  fs.writeFileSync(path.join(d, 'Dockerfile'), 'FROM scratch\nCOPY a /a\n')
  fs.writeFileSync(path.join(d, 'a'), '1')
  const x = gatherTarget(d, { context: '.' }, {})
  assert.is(x.never, null)
  // only what the Dockerfile COPYs is keyed (the Dockerfile by its hash)
  assert.equal(Object.keys(x.files), ['.:a'])
  assert.match(gatherTarget(d, { context: 'https://github.com/a/b.git' }, {}).never!, /remote/)
  assert.match(gatherTarget(d, { context: '.', 'no-cache': true }, {}).never!, /no-cache/)
  assert.match(gatherTarget(d, { context: '.', contexts: { c: 'https://x/y.tar' } }, {}).never!, /remote/)
  fs.rmSync(d, { recursive: true })
})

test('records: one file per tag, written whole; a foreign or broken one is ignored', () => {
  const d = tmp()
  const r: InputRecord = {
    target: 'x',
    tag: '127.0.0.1:5010/a-x:latest',
    key: 'k',
    digest: 'sha256:d',
    inputs: computeKeys({ x: g() }, {}).x.inputs,
  }
  writeRecord(d, r)
  assert.equal(readRecord(d, 'x', r.tag), r)
  assert.is(readRecord(d, 'y', r.tag), null)
  fs.writeFileSync(recordFile(d, 'other'), '{')
  assert.is(readRecord(d, 'x', 'other'), null)
  fs.rmSync(d, { recursive: true })
})

test.run()
