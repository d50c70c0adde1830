// Images addressed by their key (issue 23): the shared key is the same on
// every machine (no tags, no project folder or registry address, secrets by
// a fixed HMAC key) and changes with every input; an outside image keyed
// with the last build's digest gives none; a target the build registry holds
// under its key is reused instead of built, unless what it builds on is
// rebuilt; the plan tags reused targets before the bakes, labels what it
// builds with the key and tags it after. Pure, plus files in a temp folder.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { gatherTarget } from '../../scripts/skip/gather.ts'
import { computeKeys, decide, type Gathered, type InputRecord } from '../../scripts/skip/keys.ts'
import { allowSalt } from '../../scripts/skip/secrets.ts'
import { isKeyTag, keyLabels, keyTag, sharedGathered, sharedKeys, KEY_LABEL } from '../../scripts/skip/bykey.ts'
import { buildPlan } from '../../scripts/bake/plan.ts'
import { removeTemp, settings, tempDir } from '../lib/settings.ts'
import { docker, gathered, print } from './fixtures.ts'

const PINNED = 'busybox@sha256:' + 'b'.repeat(64)
/** The pinned base's digest, as skip/images.ts gives it */
const BUSYBOX = { [PINNED]: 'sha256:' + 'b'.repeat(64) }

/** One checkout of a project: a base that mounts a CA secret, a child on it; pushed to `registry`. */
function checkout(registry: string, ca = 'CA ONE') {
  const d = tempDir()
  fs.mkdirSync(path.join(d, 'certs'))
  fs.writeFileSync(path.join(d, 'certs', 'rootCA.crt'), ca)
  fs.writeFileSync(path.join(d, 'Dockerfile'), `FROM ${PINNED}\nCOPY a /a\n`)
  fs.writeFileSync(path.join(d, 'Dockerfile.child'), 'FROM base\nCOPY c /c\n')
  fs.writeFileSync(path.join(d, 'a'), '1')
  fs.writeFileSync(path.join(d, 'c'), '2')
  const salt = path.join(d, '.esb', 'inputs')
  allowSalt(salt)
  const gather = (): Record<string, Gathered> => ({
    base: gatherTarget(
      d,
      {
        context: '.',
        tags: [`${registry}/esb-base:latest`],
        labels: { 'com.example.project': 'esb' },
        secret: [`id=root_ca,src=${path.join(d, 'certs/rootCA.crt')}`],
      },
      {},
      salt,
    ),
    child: gatherTarget(
      d,
      { context: '.', dockerfile: 'Dockerfile.child', contexts: { base: 'target:base' }, tags: [`${registry}/esb-child:latest`] },
      {},
      salt,
    ),
  })
  return { d, gather }
}

test('shared key: the same on two checkouts with other folders, registry ports and secret salts; the local key is not', () => {
  const a = checkout('127.0.0.1:5010')
  const b = checkout('127.0.0.1:5999')
  const [ga, gb] = [a.gather(), b.gather()]
  const ka = sharedKeys(ga, BUSYBOX, a.d, ['127.0.0.1:5010'])
  const kb = sharedKeys(gb, BUSYBOX, b.d, ['127.0.0.1:5999'])
  assert.ok(ka.base && ka.child, JSON.stringify(ka))
  assert.equal(ka, kb)
  // the local key names this machine: tags (the registry port) and the salted secret differ
  assert.is.not(computeKeys(ga, BUSYBOX).base.key, computeKeys(gb, BUSYBOX).base.key)
  // no tag, folder or address left in what the shared key is made of
  const text = JSON.stringify(sharedGathered(ga.base, a.d, ['127.0.0.1:5010']).definition)
  assert.not.match(text, a.d)
  assert.not.match(text, '5010')
  assert.match(text, '<project>/certs/rootCA.crt')
  removeTemp(a.d)
  removeTemp(b.d)
})

test('shared key: a new CA, a label or a source file changes it, and the child with its base', () => {
  const a = checkout('r:1')
  const k0 = sharedKeys(a.gather(), BUSYBOX, a.d, ['r:1'])
  const other = checkout('r:1', 'CA TWO')
  const k1 = sharedKeys(other.gather(), BUSYBOX, other.d, ['r:1'])
  assert.is.not(k1.base, k0.base, 'a new CA')
  assert.is.not(k1.child, k0.child, 'the child keys its base')
  fs.writeFileSync(path.join(a.d, 'c'), '3')
  const k2 = sharedKeys(a.gather(), BUSYBOX, a.d, ['r:1'])
  assert.is(k2.base, k0.base)
  assert.is.not(k2.child, k0.child)
  const g = a.gather()
  g.base.definition = { ...g.base.definition, labels: { 'com.example.project': 'other' } }
  assert.is.not(sharedKeys(g, BUSYBOX, a.d, ['r:1']).base, k0.base, 'a label is part of the image')
  removeTemp(a.d)
  removeTemp(other.d)
})

test('shared key: none for a target whose outside image has no fresh digest (offline: never published or looked up)', () => {
  const g = gathered({ images: ['python:3.12'] })
  assert.is(sharedKeys({ t: g }, { 'python:3.12': null }, '/p', [])['t'], null)
  assert.match(sharedKeys({ t: g }, { 'python:3.12': 'sha256:' + '1'.repeat(64) }, '/p', [])['t']!, /^[0-9a-f]{64}$/)
})

test("shared key: a base on the project's registry is keyed by its digest, not by this machine's address for it", () => {
  const on = (reg: string) =>
    gathered({ definition: { tags: [`${reg}/esb-os-base:latest`] }, images: [`${reg}/library/busybox:1.36`] })
  const d = 'sha256:' + '7'.repeat(64)
  const a = sharedKeys({ t: on('127.0.0.1:5010') }, { '127.0.0.1:5010/library/busybox:1.36': d }, '/a', ['127.0.0.1:5010'])
  const b = sharedKeys({ t: on('127.0.0.1:5999') }, { '127.0.0.1:5999/library/busybox:1.36': d }, '/b', ['127.0.0.1:5999'])
  assert.ok(a.t)
  assert.equal(a, b)
  const moved = sharedKeys(
    { t: on('127.0.0.1:5010') },
    { '127.0.0.1:5010/library/busybox:1.36': 'sha256:' + '8'.repeat(64) },
    '/a',
    ['127.0.0.1:5010'],
  )
  assert.is.not(moved.t, a.t, 'another digest, another key')
})

test('key tags: k- and 16 hex; the labels carry the whole key and the branch', () => {
  const key = 'ab'.repeat(32)
  assert.is(keyTag(key), 'k-abababababababab')
  assert.ok(isKeyTag(keyTag(key)))
  assert.not.ok(isKeyTag('latest'))
  assert.not.ok(isKeyTag('k-abc'))
  assert.equal(keyLabels(key, 'main'), { [KEY_LABEL]: key, 'dev.docker-esb.branch': 'main' })
  assert.equal(keyLabels(key), { [KEY_LABEL]: key })
})

const g = gathered

test('decide: a target the build registry holds under its key is reused, unless it is unchanged here or its base is rebuilt', () => {
  const keys = computeKeys({ base: g(), child: g({ targets: { b: 'base' } }), other: g({ files: {} }) }, {})
  const rec = (t: string): InputRecord => ({ target: t, tag: t, key: keys[t].key!, digest: 'sha256:d', inputs: keys[t].inputs })
  const ok = { digest: 'sha256:d', cache: true }
  const all = ['base', 'child', 'other']
  // a fresh runner: nothing recorded, everything in the build registry
  const fresh = decide(all, keys, {}, {}, { child: ['base'] }, undefined, {
    base: 'sha256:B',
    child: 'sha256:C',
    other: 'sha256:O',
  })
  assert.equal(fresh, {
    skip: { base: 'sha256:B', child: 'sha256:C', other: 'sha256:O' },
    rebuild: {},
    reused: ['base', 'child', 'other'],
  })
  // unchanged here: skipped as before, not reused; the child has no key tag: rebuilt
  const mixed = decide(all, keys, { base: rec('base') }, { base: ok }, { child: ['base'] }, undefined, {
    base: 'sha256:B',
    other: 'sha256:O',
  })
  assert.equal(mixed, {
    skip: { base: 'sha256:d', other: 'sha256:O' },
    rebuild: { child: ['not built before'] },
    reused: ['other'],
  })
  // the base must be rebuilt: a child built on another base image is not taken
  const rebuilt = decide(all, keys, {}, {}, { child: ['base'] }, undefined, { child: 'sha256:C' })
  assert.equal(rebuilt.rebuild.child, ['base base is rebuilt'])
  assert.is(rebuilt.reused, undefined)
  // always built (no key): never reused
  const never = computeKeys({ t: g({ never: 'it sets no-cache' }) }, {})
  assert.equal(decide(['t'], never, {}, {}, {}, undefined, { t: 'sha256:T' }).rebuild, { t: ['always built: it sets no-cache'] })
})

const inputs = { definition: 'd', args: {}, dockerfile: 'x', files: {}, deps: {} }
const rec = (t: string) => [t, { tag: `127.0.0.1:5010/esb-${t}:latest`, key: 'k', inputs }]
const base = { procEnv: {}, buildkitdConfig: null }

test('plan: reused targets tagged before anything builds, then recorded; no builder and no bake when all are', () => {
  const all = ['lambda-base', 'os-base', 'python-base', 'gateway-docker', 'agent-docker', 'provisioner']
  const hit = (t: string) => [t, { digest: `sha256:${t}`, keyTag: 'k-0123456789abcdef', branch: 'main' }]
  const p = buildPlan({
    settings: settings(),
    renderWrites: [],
    builder: base,
    bakePrint: print,
    functionDockerfiles: [],
    runId: 'R1',
    extraArgs: [],
    skip: {
      skip: Object.fromEntries(all.map((t) => [t, `sha256:${t}`])),
      rebuild: {},
      reused: all,
      byKey: Object.fromEntries(all.map(hit)),
      dir: '/p/.esb/inputs',
      statCache: {},
      records: Object.fromEntries(all.map(rec)),
    },
  })
  assert.equal(
    p.steps.map((s) => s.kind),
    ['write', 'mkdir', 'ensure-registry', 'reuse-by-key', 'save-stat-cache', 'cleanup'],
  )
  const r = p.steps.find((s) => s.kind === 'reuse-by-key') as any
  assert.equal(r.images[0], {
    target: 'agent-docker',
    repo: 'esb-agent-docker',
    ref: 'latest',
    digest: 'sha256:agent-docker',
    keyTag: 'k-0123456789abcdef',
  })
  assert.equal(Object.keys(r.records).sort(), [...all].sort())
  assert.equal(p.skip?.reused?.['os-base'], 'k-0123456789abcdef (built on main)')
})

test('plan: what is built carries its key as a label and is tagged with it after its phase; nothing with flags after --', () => {
  const key = 'c'.repeat(64)
  const plan = (extraArgs: string[], publish?: Record<string, string>) =>
    buildPlan({
      settings: settings(),
      renderWrites: [],
      builder: base,
      bakePrint: print,
      functionDockerfiles: ['functions/hello/Dockerfile'],
      runId: 'R1',
      extraArgs,
      skip: {
        skip: {},
        rebuild: { 'os-base': ['not built before'], 'fn-hello': ['not built before'] },
        dir: '/p/.esb/inputs',
        statCache: {},
        records: Object.fromEntries([rec('os-base'), rec('fn-hello')]),
        ...(publish ? { publish } : {}),
      },
    })
  const p = plan([], { 'os-base': key, 'fn-hello': key })
  const kinds = p.steps.map((s) => s.kind)
  const pubs = p.steps.filter((s) => s.kind === 'publish-keys') as any[]
  assert.is(pubs.length, 2, kinds.join(' '))
  assert.equal(pubs[0].keys, [{ target: 'os-base', repo: 'esb-os-base', key }])
  assert.is(pubs[0].metadataFile, '/p/.esb/runs/R1/bake-metadata.1.json')
  assert.equal(pubs[1].keys, [{ target: 'fn-hello', repo: 'esb-fn-hello', key }])
  // each after its own bake and record
  assert.ok(kinds.indexOf('publish-keys') > kinds.indexOf('record-inputs'))
  // phase 1's file is written at once; phase 2's after phase 1 pushed the bases it pins
  const file = (n: number): any =>
    n === 1
      ? JSON.parse((p.steps.find((s) => s.kind === 'write' && s.path.endsWith('bake.generated.1.json')) as any).content)
      : (p.steps.find((s) => s.kind === 'pin-bases') as any).json
  assert.is(file(1).target['os-base'].labels, undefined, 'a base carries no key label: its children keep their cache')
  assert.is(file(2).target['fn-hello'].labels[KEY_LABEL], key)
  assert.is(file(2).target['fn-hello'].labels['dev.docker-esb.branch'], undefined, 'no branch outside git')
  // the function's own labels stay
  assert.ok(Object.keys(file(2).target['fn-hello'].labels).length > 1)
  const none = plan(['--set', '*.args.X=1'])
  assert.not.ok(none.steps.some((s) => s.kind === 'publish-keys'))
  assert.is(docker(none).length, 2)
})

test.run()
