// Keying only what a Dockerfile reads (issue 21, item 4): its COPY/ADD and
// RUN --mount=type=bind sources per context (skip/sources.ts), matched as
// Docker does (skip/files.ts), after the .dockerignore; all of a context,
// with a note, when a source cannot be read statically.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BakeTarget } from '../../scripts/docker/bakefile.ts'
import { cleanSource, contextFiles, selectSources } from '../../scripts/skip/files.ts'
import { gatherTarget } from '../../scripts/skip/gather.ts'
import { computeKeys } from '../../scripts/skip/keys.ts'
import { dockerfileSources } from '../../scripts/skip/sources.ts'

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'esb-sources-'))
function tree(d: string, files: Record<string, string>): void {
  for (const [f, c] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(d, f)), { recursive: true })
    fs.writeFileSync(path.join(d, f), c)
  }
}
const keyOf = (d: string, def: BakeTarget) => computeKeys({ x: gatherTarget(d, def, {}) }, {}).x.key
const files = (d: string, def: BakeTarget) => Object.keys(gatherTarget(d, def, {}).files).sort()

test('a function keys its own folder: editing a sibling function in the same context does not change its key', () => {
  const d = tmp()
  const df = (n: string) =>
    `# FunctionName: ${n}\nFROM scratch\nCOPY functions/${n}/sitecustomize.py /opt/python/sitecustomize.py\nCOPY functions/${n}/src/ \${LAMBDA_TASK_ROOT}/\n`
  tree(d, {
    'functions/a/Dockerfile': df('a'),
    'functions/a/sitecustomize.py': 'a',
    'functions/a/src/handler.py': 'a1',
    'functions/b/Dockerfile': df('b'),
    'functions/b/sitecustomize.py': 'b',
    'functions/b/src/handler.py': 'b1',
    'README.md': 'r',
  })
  const a: BakeTarget = { context: '.', dockerfile: 'functions/a/Dockerfile' }
  assert.equal(files(d, a), ['.:functions/a/sitecustomize.py', '.:functions/a/src/', '.:functions/a/src/handler.py'])
  const k0 = keyOf(d, a)
  fs.writeFileSync(path.join(d, 'functions/b/src/handler.py'), 'b2')
  fs.writeFileSync(path.join(d, 'README.md'), 'r2')
  assert.is(keyOf(d, a), k0, 'b and the README are not read by a')
  fs.writeFileSync(path.join(d, 'functions/a/src/handler.py'), 'a2')
  assert.is.not(keyOf(d, a), k0)
  const k1 = keyOf(d, a)
  fs.writeFileSync(path.join(d, 'functions/a/src/new.py'), 'n')
  assert.is.not(keyOf(d, a), k1, 'a new file in a copied folder counts')
  fs.rmSync(d, { recursive: true })
})

test('wildcards are Go filepath.Match patterns (** is two *), a folder match takes all below it; COPY . takes all', () => {
  const entries = ['a/', 'a/x.py', 'a/y.txt', 'b/', 'b/c/', 'b/c/x.py', 'b/x.py', 'k1', 'k2', 'kz', 'lib/', 'lib/m/', 'lib/m/f']
  const e = entries.map((r) => ({ rel: r.replace(/\/$/, '') }))
  const sel = (...p: string[]) => [...selectSources(e, p)].sort()
  assert.equal(sel('*/x.py'), ['a/x.py', 'b/x.py'])
  assert.equal(sel('b/**/x.py'), ['b/c/x.py'], '** matches one level, as *')
  assert.equal(sel('k[0-9]', 'a/?.txt'), ['a/y.txt', 'k1', 'k2'])
  assert.equal(sel('k[^0-9]'), ['kz'])
  assert.equal(sel('lib'), ['lib', 'lib/m', 'lib/m/f'])
  assert.equal(sel('.').length, entries.length)
  assert.equal(sel('nothing'), [])
  assert.is(cleanSource('./a/../../b/'), 'b')
  assert.is(cleanSource('/'), '.')
  const d = tmp()
  tree(d, { Dockerfile: 'FROM scratch\nCOPY . .\n', 'a/x': '1', '.dockerignore': 'b\n', 'b/y': '2' })
  assert.equal(files(d, { context: '.' }), ['.:.dockerignore', '.:Dockerfile', '.:a/', '.:a/x'])
  assert.equal(contextFiles(d, path.join(d, '.dockerignore'), {}), contextFiles(d, path.join(d, '.dockerignore'), {}, ['.']))
  fs.rmSync(d, { recursive: true })
})

test('.dockerignore (<Dockerfile>.dockerignore first) drops a matched file from the key', () => {
  const d = tmp()
  tree(d, { Dockerfile: 'FROM scratch\nCOPY src/ /s/\n', 'src/a.py': 'a', 'src/notes.md': 'n', '.dockerignore': '**/*.md\n' })
  const k0 = keyOf(d, { context: '.' })
  assert.equal(files(d, { context: '.' }), ['.:src/', '.:src/a.py'])
  fs.writeFileSync(path.join(d, 'src/notes.md'), 'n2')
  assert.is(keyOf(d, { context: '.' }), k0)
  fs.writeFileSync(path.join(d, 'Dockerfile.dockerignore'), 'src/a.py\n')
  assert.equal(files(d, { context: '.' }), ['.:src/', '.:src/notes.md'])
  fs.rmSync(d, { recursive: true })
})

test('--from: a named local context is keyed for what is read of it; a stage, an image or an unread context for nothing', () => {
  const d = tmp()
  tree(d, {
    Dockerfile:
      'FROM busybox AS build\nCOPY app/main.c /src/\nFROM scratch\nCOPY --from=assets img/*.png /www/\nCOPY --from=build /src /src\nCOPY --from=alpine:3 /etc/os-release /x\n',
    'app/main.c': 'c',
    'app/other.c': 'o',
    'assets/img/a.png': 'p',
    'assets/img/b.svg': 's',
    'unread/x': 'x',
  })
  const def: BakeTarget = { context: '.', contexts: { assets: 'assets', unread: 'unread', base: 'target:base' } }
  assert.equal(files(d, def), ['.:app/main.c', 'assets:img/a.png'])
  assert.equal(dockerfileSources('FROM a AS s\nFROM b\nCOPY --from=s /x /y\nCOPY --from=0 /x /y\n', {}, []), {
    reads: {},
    whole: {},
  })
  // a named context FROM'd, or replacing a stage, is read whole
  assert.equal(dockerfileSources('FROM ctx\nFROM scratch AS ctx2\n', {}, ['ctx', 'ctx2']).whole, {
    ctx: 'FROM ctx takes all of it',
    ctx2: 'it replaces stage ctx2',
  })
  fs.rmSync(d, { recursive: true })
})

test('RUN --mount=type=bind reads its source (the context root by default) from its context; other mounts read nothing', () => {
  const s = (df: string, named: string[] = []) => dockerfileSources(`FROM scratch\n${df}\n`, {}, named)
  assert.equal(s('RUN --mount=type=bind,source=x,target=/y make').reads, { '.': ['x'] })
  assert.equal(s('RUN --mount=target=/y make').reads, { '.': ['.'] })
  assert.equal(s('RUN --mount=type=bind,from=c,src=/p/q,target=/y --network=none make', ['c']).reads, { c: ['p/q'] })
  assert.equal(s('RUN --mount=type=cache,target=/c --mount=type=secret,id=s make').reads, {})
  const d = tmp()
  tree(d, { Dockerfile: 'FROM scratch\nRUN --mount=type=bind,source=x,target=/y true\n', 'x/a': '1', z: '2' })
  assert.equal(files(d, { context: '.' }), ['.:x/', '.:x/a'])
  fs.rmSync(d, { recursive: true })
})

test('variables: ARG defaults and build args expand; a source with no known value keys all of its context, with a note', () => {
  const df = 'ARG DIR=src\nFROM scratch\nARG DIR\nARG V=1\nENV E=etc\nCOPY ${DIR}/v$V "$E/a b" /x/\n'
  assert.equal(dockerfileSources(df, {}, []).reads, { '.': ['src/v1', 'etc/a b'] })
  assert.equal(dockerfileSources(df, { DIR: 'lib' }, []).reads, { '.': ['lib/v1', 'etc/a b'] })
  assert.equal(dockerfileSources('FROM scratch\nARG D=\nCOPY ["${D:-dflt}/x", "${D-no}/z", "/y"]\n', {}, []).reads, {
    '.': ['dflt/x', 'z'],
  })
  const d = tmp()
  tree(d, { Dockerfile: 'FROM scratch\nARG X\nCOPY ${X} /x\n', a: '1', 'b/c': '2' })
  const g = gatherTarget(d, { context: '.' }, {})
  assert.equal(Object.keys(g.files).sort(), ['.:Dockerfile', '.:a', '.:b/', '.:b/c'])
  assert.equal(g.notes, ['keys all of context . (COPY source ${X} cannot be read statically)'])
  assert.ok(gatherTarget(d, { context: '.', args: { X: 'a' } }, {}).notes === undefined, 'a build arg gives it a value')
  assert.equal(Object.keys(gatherTarget(d, { context: '.', args: { X: 'a' } }, {}).files), ['.:a'])
  assert.equal(dockerfileSources('FROM scratch\nCOPY --from=${S} a /b\n', {}, ['c']).whole, {
    '*': 'COPY --from=${S} cannot be read statically',
  })
  fs.rmSync(d, { recursive: true })
})

test('a heredoc reads no file (and its body is no instruction); ADD of a URL reads nothing and stays always built', () => {
  const df = 'FROM scratch\nCOPY <<EOF /etc/x\nCOPY secret /y\nEOF\nRUN <<-SH\n\tCOPY other /z\n\tSH\nCOPY real /r\n'
  assert.equal(dockerfileSources(df, {}, []), { reads: { '.': ['real'] }, whole: {} })
  assert.equal(dockerfileSources('FROM scratch\nADD https://x.org/a.tgz local.tgz /x/\n', {}, []).reads, { '.': ['local.tgz'] })
  const d = tmp()
  tree(d, { Dockerfile: 'FROM scratch\nADD https://example.com/x /x\n' })
  assert.match(gatherTarget(d, { context: '.' }, {}).never!, /URL/)
  fs.rmSync(d, { recursive: true })
})

test('--parents keeps the matches; a copied symlink takes its target; an unknown frontend reads anything', () => {
  assert.equal(dockerfileSources('FROM scratch\nCOPY --parents a/*/x ./b/./c /d/\n', {}, []).reads, { '.': ['a/*/x', 'b/c'] })
  assert.equal(dockerfileSources('FROM scratch\nCOPY --parents lib/**/*.py /d/\n', {}, []).reads, { '.': ['lib'] })
  assert.equal(dockerfileSources('# syntax=docker/dockerfile:1.7\nFROM scratch\n', {}, []).whole, {})
  assert.match(dockerfileSources('# syntax=example/frontend:1\nFROM scratch\n', {}, []).whole['*'], /may read any file/)
  const d = tmp()
  tree(d, { Dockerfile: 'FROM scratch\nCOPY cur /x\n', 'v2/a': '1', 'v1/a': '0' })
  fs.symlinkSync('v2', path.join(d, 'cur'))
  assert.equal(files(d, { context: '.' }), ['.:cur', '.:v2/', '.:v2/a'])
  fs.rmSync(d, { recursive: true })
})

test.run()
