// `build` as a plan (scripts/bake/): its bake phases, one local and one
// registry cache per target, skipped targets pinned to their digests, the
// generated bake files; pinBases and groupTargets. Pure.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildPlan } from '../../scripts/bake/plan.ts'
import { defaultGroups, pinBases, groupTargets } from '../../scripts/bake/phases.ts'
import { settings } from '../lib/settings.ts'
import { bp, docker, print } from './fixtures.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runMetadata } from '../../scripts/report/metadata.ts'
import { metadataFileFlag } from '../../scripts/bake/metadata-flag.ts'

test('build: one local and one registry cache per target, all distinct', () => {
  const p = bp()
  const targets = Object.keys(p.caches)
  assert.equal(targets, [
    'agent-docker',
    'fn-echo',
    'fn-hello',
    'gateway-docker',
    'lambda-base',
    'os-base',
    'provisioner',
    'python-base',
  ])
  const tos = targets.flatMap((t) => p.caches[t].to)
  assert.is(new Set(tos).size, tos.length, 'no shared destination')
  assert.equal(p.caches['os-base'].from, [
    'type=local,src=/p/.esb/buildx-cache/os-base/current',
    'type=registry,ref=127.0.0.1:5010/esb-cache/os-base:cache',
  ])
  assert.equal(p.caches['os-base'].to, [
    'type=local,dest=/p/.esb/buildx-cache/os-base/gen-R1.1,mode=max',
    'type=registry,ref=127.0.0.1:5010/esb-cache/os-base:cache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true',
  ])
})

test('build: a target exports, is seeded and promoted only by the phase that builds it; each listed once', () => {
  const p = bp()
  const gens = (k: string) =>
    (p.steps.find((s) => s.kind === k) as any).gens.map((g: any) => `${g.target} ${g.gen.split('/').pop()}`)
  const bases = ['lambda-base', 'os-base', 'python-base']
  const rest = ['agent-docker', 'fn-echo', 'fn-hello', 'gateway-docker', 'provisioner']
  const want = [...bases.map((t) => `${t} gen-R1.1`), ...rest.map((t) => `${t} gen-R1.2`)]
  assert.equal(gens('seed-cache'), want)
  assert.equal(gens('promote-cache'), want)
  const first = JSON.parse((p.steps.find((s) => s.kind === 'write' && s.path.endsWith('bake.generated.1.json')) as any).content)
  const second = (p.steps.find((s) => s.kind === 'pin-bases') as any).json
  const local = (j: any) =>
    Object.keys(j.target)
      .filter((t) => j.target[t]['cache-to']?.some((c: string) => c.startsWith('type=local')))
      .sort()
  assert.equal(local(first), bases)
  assert.equal(local(second), rest)
})

test('build: cache export mode per kind: bases and control max, functions min; [cache] mode overrides', () => {
  const modes = (p: ReturnType<typeof bp>) =>
    Object.fromEntries(
      Object.entries(p.caches).map(([t, c]) => [t, [...new Set(c.to.map((x) => /mode=(\w+)/.exec(x)?.[1]))].join()]),
    )
  assert.equal(modes(bp()), {
    'agent-docker': 'max',
    'fn-echo': 'min',
    'fn-hello': 'min',
    'gateway-docker': 'max',
    'lambda-base': 'max',
    'os-base': 'max',
    provisioner: 'max',
    'python-base': 'max',
  })
  assert.ok(
    Object.values(modes(bp({ toml: { file: '/p/esb.toml', text: '', data: { cache: { mode: 'min' } } } }))).every(
      (m) => m === 'min',
    ),
  )
  const some = modes(
    bp({ toml: { file: '/p/esb.toml', text: '', data: { cache: { mode: { functions: 'max', bases: 'min' } } } } }),
  )
  assert.equal([some['fn-echo'], some['os-base'], some['gateway-docker']], ['max', 'min', 'max'])
})

test('build: argv arrays, from the project root; bases first, then control and functions', () => {
  const [bases, rest] = docker(bp())
  assert.is(bases.cwd, '/p')
  assert.equal(bases.argv.slice(0, 4), ['buildx', 'bake', '--builder', 'esb-buildx'])
  assert.ok(bases.argv.includes('/p/.esb/runs/R1/bake.generated.1.json'))
  assert.ok(bases.argv.includes('--provenance=false'))
  assert.equal(bases.argv.slice(-1), ['base-images'])
  assert.ok(rest.argv.includes('/p/.esb/runs/R1/bake.generated.2.json'))
  assert.equal(rest.argv.slice(-2), ['control-images-docker', 'functions'])
  assert.is(rest.env.BUILDX_BUILDER, 'esb-buildx')
  assert.is(rest.report?.final, true)
  assert.is(bases.report?.final, false)
})

test('--allow fs.* only where buildx has file-system entitlements (0.19+)', () => {
  const mk = (v: string) =>
    docker(
      buildPlan({
        settings: settings(),
        renderWrites: [],
        builder: { procEnv: {}, buildkitdConfig: null },
        bakePrint: print,
        functionDockerfiles: [],
        runId: 'R',
        extraArgs: [],
        buildxVersion: v,
      }),
    )[0].argv
  assert.ok(mk('0.29.1').includes('--allow'))
  assert.not.ok(mk('0.17.1').includes('--allow'))
})

test('build: a user group list is one phase', () => {
  const p = bp({ toml: { file: '/p/esb.toml', text: '', data: { bake: { groups: ['mine'] } } } })
  assert.equal(
    docker(p).map((d) => d.argv.slice(-1)),
    [['mine']],
  )
})

test('build: function targets FROM the lambda base, pushed under the contract name', () => {
  const p = bp()
  const first = JSON.parse((p.steps.find((s) => s.kind === 'write' && s.path.endsWith('bake.generated.1.json')) as any).content)
  assert.equal(first.target['fn-hello'].contexts, { 'lambda-base': 'target:lambda-base' }, 'standalone: a target: context')
  const pin = p.steps.find((s) => s.kind === 'pin-bases') as any
  const json = pin.json
  assert.is(pin.metadataFile, '/p/.esb/runs/R1/bake-metadata.1.json')
  assert.equal(json.group.functions.targets, ['fn-echo', 'fn-hello'])
  // phase 2: the base phase 1 pushed, pinned to its digest by the runner
  assert.equal(json.target['fn-hello'].contexts, { 'lambda-base': 'docker-image://127.0.0.1:5010/esb-lambda-base:latest' })
  assert.equal(json.target['gateway-docker'].contexts, {
    'python-base': 'docker-image://127.0.0.1:5010/esb-python-base:latest',
    config: 'services/gateway/config',
  })
  assert.is(json.target['lambda-base'].contexts, undefined, 'bases keep their own contexts')
  assert.equal(json.target['fn-hello'].tags, ['127.0.0.1:5010/esb-fn-hello:latest'])
  assert.is(json.target['fn-hello'].labels['com.esb.kind'], 'function')
  assert.is(json.target['fn-hello'].context, 'functions/hello')
})

test("build: steps in order; every generated file is in the run's own folder", () => {
  assert.equal(
    bp().steps.map((s) => s.kind),
    [
      'write',
      'mkdir',
      'seed-cache',
      'write',
      'ensure-registry',
      'ensure-builder',
      'docker',
      'pin-bases',
      'docker',
      'promote-cache',
      'cleanup',
    ],
  )
})

test('build with skips: unchanged bases pinned to their digests, only changed targets named, nothing to build -> no builder', () => {
  const inputs = { definition: 'd', args: {}, dockerfile: 'x', files: {}, deps: {} }
  const skipPlan = (skip: Record<string, string>, rebuild: Record<string, string[]>) => ({
    skip,
    rebuild,
    dir: '/p/.esb/inputs',
    statCache: {},
    records: Object.fromEntries(
      Object.keys(rebuild).map((t) => [t, { tag: `127.0.0.1:5010/esb-${t}:latest`, key: 'k', inputs }]),
    ),
  })
  const allBases = { 'lambda-base': 'sha256:l', 'os-base': 'sha256:o', 'python-base': 'sha256:p' }
  const p = buildPlan({
    settings: settings(),
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    bakePrint: print,
    functionDockerfiles: ['functions/hello/Dockerfile', 'functions/echo/Dockerfile'],
    runId: 'R1',
    extraArgs: [],
    skip: skipPlan(
      { ...allBases, 'gateway-docker': 'sha256:g', 'agent-docker': 'sha256:a', provisioner: 'sha256:v', 'fn-echo': 'sha256:e' },
      { 'fn-hello': ['handler'] },
    ),
  })
  const d = docker(p)
  assert.is(d.length, 1, 'phase 1 has nothing to build')
  assert.equal(d[0].argv.slice(-1), ['fn-hello'])
  assert.is(d[0].report?.final, true)
  assert.not.ok(
    p.steps.some((s) => s.kind === 'pin-bases'),
    'no base is built in this run: pinned at plan time',
  )
  const json = JSON.parse((p.steps.find((s) => s.kind === 'write' && s.path.endsWith('bake.generated.2.json')) as any).content)
  assert.equal(json.target['fn-hello'].contexts, {
    'lambda-base': 'docker-image://127.0.0.1:5010/esb-lambda-base:latest@sha256:l',
  })
  assert.is(json.target['fn-echo']['cache-to'], undefined, 'a skipped target exports nothing')
  assert.equal(Object.keys(p.caches), ['fn-hello'])
  const rec = p.steps.find((s) => s.kind === 'record-inputs') as any
  assert.equal(Object.keys(rec.records), ['fn-hello'])
  assert.is(rec.metadataFile, '/p/.esb/runs/R1/bake-metadata.2.json')
  assert.equal(p.skip?.rebuild, { 'fn-hello': ['handler'] })
  const none = buildPlan({
    settings: settings(),
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    bakePrint: print,
    functionDockerfiles: [],
    runId: 'R2',
    extraArgs: [],
    skip: skipPlan({ ...allBases, 'gateway-docker': 'g', 'agent-docker': 'a', provisioner: 'v' }, {}),
  })
  assert.equal(
    none.steps.map((s) => s.kind),
    ['write', 'mkdir', 'ensure-registry', 'save-stat-cache', 'cleanup'],
  )
})

test('no local cache: no local flags, no promote step', () => {
  const p = bp({ toml: { file: '/p/esb.toml', text: '', data: { cache: { local: false } } } })
  assert.ok(Object.values(p.caches).every((c) => c.to.every((t) => t.startsWith('type=registry'))))
  assert.not.ok(p.steps.some((s) => s.kind === 'promote-cache'))
})

test('--provenance keeps attestations: no --provenance=false, no BUILDX_NO_DEFAULT_ATTESTATIONS', () => {
  const p = bp({ flags: { provenance: true } })
  assert.not.ok(docker(p)[0].argv.includes('--provenance=false'))
  assert.is(p.env.BUILDX_NO_DEFAULT_ATTESTATIONS, undefined)
})

test('containerd build uses the containerd control group', () => {
  assert.equal(defaultGroups(settings({ flags: { mode: 'containerd' } }), false), ['base-images', 'control-images-containerd'])
})

test('pinBases pins docker-image contexts to the digests in the metadata; a missing digest is an error', () => {
  const json = { target: { 'fn-a': { contexts: { 'lambda-base': 'docker-image://r/esb-lambda-base:latest', x: 'dir' } } } }
  const out = pinBases(
    json,
    { 'lambda-base': 'r/esb-lambda-base:latest' },
    { 'lambda-base': { 'containerimage.digest': 'sha256:abc' } },
  )
  assert.equal(out.target['fn-a'].contexts, { 'lambda-base': 'docker-image://r/esb-lambda-base:latest@sha256:abc', x: 'dir' })
  assert.equal(json.target['fn-a'].contexts['lambda-base'], 'docker-image://r/esb-lambda-base:latest', 'input untouched')
  assert.throws(
    () => pinBases(json, { 'lambda-base': 'r/esb-lambda-base:latest' }, {}),
    /did not report a digest for lambda-base/,
  )
})

test('groupTargets expands nested groups', () => {
  assert.equal(
    groupTargets(
      {
        group: { all: { targets: ['base-images', 'x'] }, 'base-images': { targets: ['a', 'b'] } },
        target: { a: {}, b: {}, x: {} },
      },
      'all',
    ),
    ['a', 'b', 'x'],
  )
})

test('a registry cache the registry answered 404 for is not read (BuildKit would print an ERROR line) but is written', () => {
  const inputs = { definition: 'd', args: {}, dockerfile: 'x', files: {}, deps: {} }
  const p = bp({}, undefined, {
    skip: {
      skip: {},
      rebuild: { 'fn-hello': ['new'], 'fn-echo': ['new'] },
      dir: '/p/.esb/inputs',
      statCache: {},
      records: { 'fn-hello': { tag: '127.0.0.1:5010/esb-fn-hello:latest', key: 'k', inputs } },
      noRegistryCache: ['fn-hello'],
    },
  })
  const reg = (l: string[] | undefined) => (l ?? []).filter((c) => c.startsWith('type=registry,'))
  assert.equal(reg(p.caches['fn-hello'].from), [])
  assert.equal(reg(p.caches['fn-hello'].to).length, 1)
  assert.equal(reg(p.caches['fn-echo'].from), ['type=registry,ref=127.0.0.1:5010/esb-cache/fn-echo:cache'])
})

test('--metadata-file: every target named, built ones from the metadata files of the bakes that run, skipped ones at their digest', () => {
  const inputs = { definition: 'd', args: {}, dockerfile: 'x', files: {}, deps: {} }
  const p = bp({}, undefined, {
    metadataFile: '/out/meta.json',
    skip: {
      skip: { 'lambda-base': 'sha256:l', 'os-base': 'sha256:o', 'python-base': 'sha256:p', 'fn-echo': 'sha256:e' },
      rebuild: { 'fn-hello': ['handler'], 'gateway-docker': ['x'], 'agent-docker': ['x'], provisioner: ['x'] },
      dir: '/p/.esb/inputs',
      statCache: {},
      records: { 'fn-hello': { tag: '127.0.0.1:5010/esb-fn-hello:latest', key: 'k', inputs } },
    },
  })
  const st = p.steps.find((x) => x.kind === 'write-metadata') as Extract<(typeof p.steps)[number], { kind: 'write-metadata' }>
  assert.ok(st, 'a write-metadata step')
  assert.is(p.steps[p.steps.indexOf(st) + 1].kind, 'cleanup', 'before the run folder (with bake metadata) is removed')
  assert.is(st.path, '/out/meta.json')
  // phase 1 builds nothing: only phase 2's metadata file
  assert.equal(st.bakeFiles, ['/p/.esb/runs/R1/bake-metadata.2.json'])
  assert.equal(st.targets['os-base'], { tag: '127.0.0.1:5010/esb-os-base:latest', skipped: 'sha256:o' })
  assert.equal(st.targets['fn-hello'], { tag: '127.0.0.1:5010/esb-fn-hello:latest', skipped: undefined })
  assert.equal(Object.keys(st.targets).length, 8)
  const m = runMetadata(st.targets, [
    {},
    { 'fn-hello': { 'containerimage.digest': 'sha256:h', 'image.name': 'x/esb-hello:latest', 'buildx.build.ref': 'b' } },
  ])
  assert.equal(m['fn-hello'], {
    'image.name': 'x/esb-hello:latest',
    'containerimage.digest': 'sha256:h',
    'buildx.build.ref': 'b',
    'docker-esb.status': 'built',
  })
  assert.equal(m['fn-echo'], {
    'containerimage.digest': 'sha256:e',
    'image.name': '127.0.0.1:5010/esb-fn-echo:latest',
    'docker-esb.status': 'skipped',
  })
  // none asked: no step
  assert.not.ok(bp().steps.some((x) => x.kind === 'write-metadata'))
})

test('--metadata-file FILE: relative to the working folder; a missing folder or a folder given is one line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-meta-'))
  assert.is(metadataFileFlag('m.json', dir), path.join(dir, 'm.json'))
  assert.is(metadataFileFlag(undefined, dir), undefined)
  assert.throws(
    () => metadataFileFlag('nope/m.json', dir),
    /^--metadata-file nope\/m\.json: folder \S+ does not exist; create it/,
  )
  assert.throws(() => metadataFileFlag('.', dir), /is a folder; give a file name/)
  assert.throws(() => metadataFileFlag('', dir), /needs a file name/)
  fs.rmSync(dir, { recursive: true })
})

test.run()
