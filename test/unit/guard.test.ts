// The push guard (bake/guard.ts), the read grants (bake/reads.ts,
// functions/names.ts) and the escaping of the generated bake file
// (bake/escape.ts), on in-memory settings and temp folders.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { checkBakeFlags, checkBakeRun, insideProject, outputAttrs, outputProblem } from '../../scripts/bake/guard.ts'
import { hclEscape } from '../../scripts/bake/escape.ts'
import { readGrants } from '../../scripts/bake/reads.ts'
import { checkFunctionName, readable } from '../../scripts/functions/names.ts'
import { functionsFrom } from '../../scripts/functions/discover.ts'
import { checkServiceCaches } from '../../scripts/compose/override.ts'
import { UsageError } from '../../scripts/errors.ts'
import { settings, tomlIn, tempDir as tmpdir } from '../lib/settings.ts'

const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test(e.message)
const s = settings()
const OURS = '127.0.0.1:5010/esb-os-base:latest'

test('outputs: CSV and --print objects, the -o shorthands', () => {
  assert.equal(outputAttrs('type=tar,dest=/x'), { type: 'tar', dest: '/x' })
  assert.equal(outputAttrs('type=image,"name=a,b",push=true'), { type: 'image', name: 'a,b', push: 'true' })
  assert.equal(outputAttrs({ type: 'local', dest: 'out' }), { type: 'local', dest: 'out' })
  assert.equal(outputAttrs('./out'), { type: 'local', dest: './out' })
  assert.equal(outputAttrs('-'), { type: 'tar', dest: '-' })
})

test('outputs: images only to the project registry or push_allow; files only inside; type=docker loads', () => {
  const p = (o: Record<string, string>, push = false) => outputProblem(s, o, push)
  assert.is(p({ type: 'image', push: 'true' }), null)
  assert.match(p({ type: 'image', push: 'true', name: 'evil.example/x' })!, /would push evil\.example\/x.*push_allow/)
  assert.is(p({ type: 'image', name: 'evil.example/x' }), null, 'not pushed: stays in the builder')
  assert.match(p({ type: 'image', name: 'evil.example/x' }, true)!, /would push/, '--push pushes it')
  assert.match(p({ type: 'registry', name: 'docker.io/x/y' })!, /would push/)
  assert.is(p({ type: 'docker' }), null, 'loaded into the engine')
  assert.match(p({ type: 'docker', context: 'remote' })!, /docker context remote/)
  assert.match(p({ type: 'tar', dest: '/etc/x.tar' })!, /writes \/etc\/x\.tar, outside the project/)
  assert.match(p({ type: 'oci', dest: '-' })!, /stdout/)
  assert.match(p({ type: 'gha' })!, /cannot check/)
  assert.is(p({ type: 'cacheonly' }), null)
  const allowed = settings({ toml: tomlIn('[bake]\npush_allow = ["evil.example/"]\n') })
  assert.is(outputProblem(allowed, { type: 'registry', name: 'evil.example/x' }), null)
})

test('outputs: a dest through a symlink to outside, or .. after it, is outside', () => {
  const root = fs.realpathSync(tmpdir())
  const project = path.join(root, 'p')
  fs.mkdirSync(path.join(project, 'sub'), { recursive: true })
  fs.mkdirSync(path.join(root, 'elsewhere', 'deep'), { recursive: true })
  fs.symlinkSync(path.join(root, 'elsewhere', 'deep'), path.join(project, 'link'))
  const sp = settings({ projectDir: project })
  assert.ok(insideProject(sp, 'out/x.tar'))
  assert.ok(insideProject(sp, 'sub/../out'))
  assert.not.ok(insideProject(sp, 'link/x'))
  assert.not.ok(insideProject(sp, 'link/../x'), 'the OS resolves .. after the symlink')
  assert.not.ok(insideProject(sp, '../x'))
  assert.not.ok(insideProject(sp, path.join(project, 'link')))
})

test('checkBakeRun: the project output under the override, tags, cache-to ([cache] to) in one line', () => {
  const ov = { target: { a: { tags: [OURS] } } }
  checkBakeRun(s, { target: { a: { output: ['type=image,push=true'] } } }, ov, [])
  assert.throws(
    () => checkBakeRun(s, { target: { a: { output: [{ type: 'local', dest: '/tmp/o' }] } } }, ov, []),
    usage(/^target a: output type=local,dest=\/tmp\/o writes \/tmp\/o, outside the project \/p/),
  )
  assert.throws(
    () => checkBakeRun(s, { target: {} }, { target: { a: { tags: ['x/y'] } } }, []),
    usage(/target a would push x\/y/),
  )
  assert.throws(
    () =>
      checkBakeRun(s, { target: {} }, { target: { a: { 'cache-to': ['type=registry,ref=other:5000/c/a:main,mode=max'] } } }, []),
    usage(/target a: cache-to .* would push a cache to other:5000\/c\/a:main/),
  )
  assert.throws(
    () => checkBakeRun(s, { target: {} }, { target: { a: { 'cache-to': ['type=gha'] } } }, []),
    usage(/cache of type gha/),
  )
})

test('flags after --: --set and -o checked, entitlement and file flags refused, unknown positionals refused', () => {
  const k = ['a', 'base-images']
  assert.equal(checkBakeFlags(s, ['--no-cache', '--set', 'a.args.X=1', 'a', '--progress=plain'], k), { push: false })
  assert.equal(checkBakeFlags(s, ['--push', `--set=*.tags=${OURS}`], k), { push: true })
  assert.throws(
    () => checkBakeFlags(s, ['--set', 'a.tags=evil/x'], k),
    usage(/^flag --set a\.tags=evil\/x after --: target a would push/),
  )
  assert.throws(() => checkBakeFlags(s, ['--set', 'a.tags+=evil/x'], k), usage(/would push evil\/x/))
  assert.throws(() => checkBakeFlags(s, ['--set', '*.output=type=tar,dest=/x'], k), usage(/output type=tar,dest=\/x writes/))
  assert.throws(() => checkBakeFlags(s, ['--set', 'a.cache-to=type=registry,ref=evil/c'], k), usage(/cache to evil\/c/))
  assert.throws(() => checkBakeFlags(s, ['-o', 'type=registry,name=evil/x'], k), usage(/flag -o after --: output .* would push/))
  assert.throws(() => checkBakeFlags(s, ['--push', '-o', 'type=image,name=evil/x'], k), usage(/would push evil\/x/))
  assert.throws(() => checkBakeFlags(s, ['--output', '/etc'], k), usage(/writes \/etc, outside/))
  assert.throws(() => checkBakeFlags(s, ['--allow', 'fs=/'], k), usage(/--allow-read/))
  assert.throws(() => checkBakeFlags(s, ['-f', 'x.hcl'], k), usage(/\[bake\] files/))
  assert.throws(() => checkBakeFlags(s, ['--metadata-file=/tmp/m'], k), usage(/metadata/))
  assert.throws(() => checkBakeFlags(s, ['--weird'], k), usage(/only flags it can check/))
  assert.throws(() => checkBakeFlags(s, ['other'], k), usage(/other is not a target or group/))
})

test('compose: a service cache_to on another registry or outside is refused, naming the service', () => {
  checkServiceCaches(s, 'gw', ['type=registry,ref=127.0.0.1:5010/esb-cache/x:cache', 'type=inline'])
  assert.throws(() => checkServiceCaches(s, 'gw', ['type=registry,ref=evil/x']), usage(/^compose service gw: cache_to .*evil\/x/))
  assert.throws(() => checkServiceCaches(s, 'gw', [{ type: 'local', dest: '/tmp/c' }]), usage(/outside the project/))
})

test('push: any value Go ParseBool reads as true pushes (push=1, t, T, TRUE, True), in outputs and --set', () => {
  for (const v of ['1', 't', 'T', 'TRUE', 'True', 'true']) {
    assert.match(outputProblem(s, outputAttrs(`type=image,name=evil.example/x,push=${v}`))!, /would push evil/, v)
    assert.throws(() => checkBakeFlags(s, ['--set', `a.push=${v}`, '--set', 'a.tags=evil/x'], ['a']), usage(/would push/), v)
  }
  assert.is(outputProblem(s, outputAttrs('type=image,name=evil.example/x,push=0')), null)
  assert.is(outputProblem(s, outputAttrs('type=image,name=evil.example/x,push=F')), null)
})

test('cache-to: a bare value is type=registry,ref=<value> (as buildx reads it), in bake, --set and compose', () => {
  assert.equal(outputAttrs('evil.example/c:cache', 'cache'), { type: 'registry', ref: 'evil.example/c:cache' })
  assert.throws(() => checkBakeFlags(s, ['--set', 'a.cache-to=evil.example/c'], ['a']), usage(/cache to evil\.example\/c/))
  assert.throws(() => checkServiceCaches(s, 'gw', ['evil.example/c:cache']), usage(/^compose service gw: .*cache to evil/))
  checkServiceCaches(s, 'gw', ['127.0.0.1:5010/esb-cache/x:cache'])
})

test('outputs: a dest inside .git/ or the state folder .<slug>/ is refused', () => {
  const p = (dest: string) => outputProblem(s, { type: 'local', dest })
  assert.match(p('.git/hooks')!, /\.git/)
  assert.match(p('/p/.git')!, /\.git/)
  assert.match(p(`.${s.slug}/reports`)!, new RegExp(`\\.${s.slug}`))
  assert.match(outputProblem(s, { type: 'tar', dest: `./.${s.slug}` })!, /state/)
  assert.is(p('out/.git-not'), null)
  assert.is(p('.github/x'), null)
})

test('push_allow: an entry without a trailing / matches only at a / boundary', () => {
  const a = settings({ toml: tomlIn('[bake]\npush_allow = ["127.0.0.1:5011", "ghcr.io/me/"]\n') })
  assert.is(outputProblem(a, { type: 'registry', name: '127.0.0.1:5011/x' }), null)
  assert.is(outputProblem(a, { type: 'registry', name: '127.0.0.1:5011' }), null)
  assert.is(outputProblem(a, { type: 'registry', name: 'ghcr.io/me/x' }), null)
  assert.match(outputProblem(a, { type: 'registry', name: '127.0.0.1:50110/x' })!, /would push/)
  assert.match(outputProblem(a, { type: 'registry', name: 'ghcr.io/meevil/x' })!, /would push/)
})

test('reads: grants only from the flag and the process environment; readable() resolves symlinks', () => {
  assert.equal(readGrants(['a', '/b'], { ESB_ALLOW_READ: '/c:/d' }, 'ESB', '/cwd'), ['/cwd/a', '/b', '/c', '/d'])
  assert.equal(readGrants(undefined, {}, 'ESB', '/cwd'), [])
  const root = fs.realpathSync(tmpdir())
  fs.mkdirSync(path.join(root, 'p'))
  fs.mkdirSync(path.join(root, 'shared'))
  fs.symlinkSync(path.join(root, 'shared'), path.join(root, 'p', 'link'))
  const p = path.join(root, 'p')
  assert.ok(readable(p, [], path.join(p, 'x')))
  assert.not.ok(readable(p, [], path.join(p, 'link')), 'a symlink to outside is outside')
  assert.not.ok(readable(p, [], root))
  assert.ok(readable(p, [path.join(root, 'shared')], path.join(p, 'link')))
})

test('function names are plain names', () => {
  for (const ok of ['hello', 'Hello_World', 'a.b-1']) checkFunctionName('f', ok, 'fix')
  for (const bad of ['../x/evil', 'a/b', '..', '.hidden', 'a${X}', 'a%{X}', 'a b', ''])
    assert.throws(
      () => checkFunctionName('f.yml', bad, 'rename it'),
      usage(/^f\.yml: function name .* is not a plain name.*rename it$/),
    )
  assert.throws(() => functionsFrom(['functions/a${X}/Dockerfile']), usage(/rename the folder/))
})

test('the generated bake file escapes ${ and %{ everywhere but args (escaped where they are made)', () => {
  const json = hclEscape({
    target: { a: { context: '/p/${x}', tags: ['r/${y}'], contexts: { '${k}': 'docker-image://a%{b}' }, args: { A: '$${z}' } } },
  })
  assert.equal(json.target.a, {
    context: '/p/$${x}',
    tags: ['r/$${y}'],
    contexts: { '$${k}': 'docker-image://a%%{b}' },
    args: { A: '$${z}' },
  })
})

test.run()
