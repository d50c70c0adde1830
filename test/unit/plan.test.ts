import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveSettings, type Inputs } from '../../scripts/project/config.ts'
import { buildPlan } from '../../scripts/bake/plan.ts'
import { defaultGroups, pinBases, groupTargets } from '../../scripts/bake/phases.ts'
import { upPlan } from '../../scripts/compose/plan.ts'
import { downPlan } from '../../scripts/compose/down.ts'
import { prunePlan } from '../../scripts/prune/plan.ts'
import { stackEnv } from '../../scripts/plan/env.ts'
import { builderCreateArgv, buildkitdToml } from '../../scripts/builder/plan.ts'
import { registryFirstSteps } from '../../scripts/registry/plan.ts'
import { functionsFrom } from '../../scripts/functions/discover.ts'
import type { Plan } from '../../scripts/plan/types.ts'
import { UsageError } from '../../scripts/errors.ts'

const settings = (over: Partial<Inputs> = {}) =>
  resolveSettings({ projectDir: '/p', flags: {}, processEnv: {}, toml: null, brandingYaml: null, envFiles: [], ...over })
const tag = (t: string) => ({ tags: [`127.0.0.1:5010/esb-${t}:latest`] })
const print = {
  group: {
    'base-images': { targets: ['lambda-base', 'os-base', 'python-base'] },
    'control-images-docker': { targets: ['gateway-docker', 'agent-docker', 'provisioner'] },
  },
  target: {
    'os-base': tag('os-base'),
    'lambda-base': { ...tag('lambda-base'), contexts: { 'os-base': 'target:os-base' } },
    'python-base': { ...tag('python-base'), contexts: { 'os-base': 'target:os-base' } },
    'gateway-docker': {
      ...tag('gateway-docker'),
      contexts: { 'python-base': 'target:python-base', config: 'services/gateway/config' },
    },
    'agent-docker': { ...tag('agent-docker'), contexts: { 'os-base': 'target:os-base' } },
    provisioner: { ...tag('provisioner'), contexts: { 'python-base': 'target:python-base' } },
  },
}
const bp = (over: Partial<Inputs> = {}, fns = ['functions/hello/Dockerfile', 'functions/echo/Dockerfile']) =>
  buildPlan({
    settings: settings(over),
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    bakePrint: print,
    functionDockerfiles: fns,
    runId: 'R1',
    extraArgs: [],
  })
const docker = (p: Plan) => p.steps.filter((s) => s.kind === 'docker') as Extract<Plan['steps'][number], { kind: 'docker' }>[]

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

test('env for docker: docker mode', () => {
  const e = stackEnv(settings())
  assert.is(e.BUILDX_BUILDER, 'esb-buildx')
  assert.is(e.CONTAINER_REGISTRY, '127.0.0.1:5010')
  assert.is(e.HOST_REGISTRY_ADDR, '127.0.0.1:5010')
  assert.is(e.PORT_REGISTRY, '5010')
  assert.is(e.PROJECT_NAME, 'esb-default')
  assert.is(e.ESB_TAG, 'latest')
  assert.is(e.ESB_REGISTRY, '127.0.0.1:5010/')
  assert.is(e.DOCKER_BUILDKIT, '1')
  assert.is(e.BUILDX_NO_DEFAULT_ATTESTATIONS, '1')
  assert.is(e.CONTAINER_REGISTRY_INSECURE, undefined)
  assert.is(e.REGISTRY_IMAGE, 'registry:2', 'the infra compose file reads [registry] image from it')
  assert.is(e.REGISTRY_BIND, '127.0.0.1')
  assert.is(e.SOURCE_DATE_EPOCH, '0', 'image timestamps repeat across builders')
})

test('env for docker: containerd mode, other brand keeps the literal ESB_ names too', () => {
  const e = stackEnv(settings({ flags: { brand: 'Acme Prod', mode: 'containerd', tag: 't1' } }))
  assert.is(e.CONTAINER_REGISTRY, 'registry:5010')
  assert.is(e.CONTAINER_REGISTRY_INSECURE, '1')
  assert.is(e.HOST_REGISTRY_ADDR, '127.0.0.1:5010')
  assert.is(e.ACME_PROD_TAG, 't1')
  assert.is(e.ACME_PROD_REGISTRY, '127.0.0.1:5010/')
  assert.is(e.ESB_TAG, 't1')
  assert.is(e.BUILDX_BUILDER, 'acme-prod-buildx')
})

test('--provenance keeps attestations: no --provenance=false, no BUILDX_NO_DEFAULT_ATTESTATIONS', () => {
  const p = bp({ flags: { provenance: true } })
  assert.not.ok(docker(p)[0].argv.includes('--provenance=false'))
  assert.is(p.env.BUILDX_NO_DEFAULT_ATTESTATIONS, undefined)
})

test('containerd build uses the containerd control group', () => {
  assert.equal(defaultGroups(settings({ flags: { mode: 'containerd' } }), false), ['base-images', 'control-images-containerd'])
})

test('builder: docker-container, network=host, proxies as CSV-quoted env driver options, never --use', () => {
  const argv = builderCreateArgv(settings(), { HTTP_PROXY: 'http://p:3128', no_proxy: 'localhost,127.0.0.1' }, true)
  assert.equal(argv.slice(0, 8), [
    'buildx',
    'create',
    '--name',
    'esb-buildx',
    '--driver',
    'docker-container',
    '--driver-opt',
    'network=host',
  ])
  assert.ok(argv.includes('env.HTTP_PROXY=http://p:3128'))
  assert.ok(argv.includes('"env.no_proxy=localhost,127.0.0.1"'))
  assert.ok(argv.includes('--buildkitd-config'))
  assert.not.ok(argv.includes('--use'))
})

test('builder: option change changes the fingerprint', () => {
  const s = settings()
  const a = bp().steps.find((x) => x.kind === 'ensure-builder') as any
  const b = buildPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: { HTTP_PROXY: 'http://x' }, buildkitdConfig: null },
    bakePrint: print,
    functionDockerfiles: [],
    runId: 'R',
    extraArgs: [],
  }).steps.find((x) => x.kind === 'ensure-builder') as any
  assert.is.not(a.fingerprint, b.fingerprint)
  assert.equal(a.remove, ['buildx', 'rm', '--keep-state', 'esb-buildx'])
})

test('function names from Dockerfile paths', () => {
  assert.equal(
    functionsFrom(['functions/Hello_World/Dockerfile']).map((f) => f.name),
    ['hello-world'],
  )
})

test('two function folders giving one target name are an error naming both', () => {
  const clash = (e: unknown) =>
    e instanceof UsageError &&
    /^functions\/Hello\/Dockerfile and functions\/hello\/Dockerfile both become target fn-hello .*; rename one of the folders$/.test(
      (e as Error).message,
    )
  assert.throws(() => functionsFrom(['functions/Hello/Dockerfile', 'functions/hello/Dockerfile']), clash)
  assert.throws(
    () =>
      buildPlan({
        settings: settings(),
        renderWrites: [],
        builder: { procEnv: {}, buildkitdConfig: null },
        bakePrint: print,
        functionDockerfiles: ['functions/Hello/Dockerfile', 'functions/hello/Dockerfile'],
        runId: 'R',
        extraArgs: [],
      }),
    clash,
  )
  assert.throws(
    () => functionsFrom(['fns/a_b/Dockerfile', 'fns/a-b/Dockerfile']),
    (e: unknown) => e instanceof UsageError && /fn-a-b/.test((e as Error).message),
  )
  assert.equal(
    functionsFrom(['functions/b/Dockerfile', 'functions/a/Dockerfile']).map((f) => f.name),
    ['a', 'b'],
  )
})

test('up: compose with the mode file and a cache override per buildable service', () => {
  const s = settings({ flags: { mode: 'containerd', env: 'e2e' } })
  const p = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services: { gateway: { build: {} }, agent: { build: {} }, db: { image: 'x' } } },
    runId: 'R2',
    extraArgs: ['--wait'],
  })
  assert.equal(Object.keys(p.caches), ['agent', 'gateway'])
  assert.equal(p.caches.gateway.to[0], 'type=local,dest=/p/.esb/buildx-cache/svc-containerd-gateway/gen-R2,mode=max')
  const [up] = docker(p)
  assert.equal(up.argv, [
    'compose',
    '--progress',
    'plain',
    '-p',
    'esb-e2e',
    '-f',
    '/p/docker-compose.containerd.yml',
    '-f',
    '/p/.esb/runs/R2/compose.cache.json',
    'up',
    '--build',
    '-d',
    '--wait',
  ])
  assert.is(up.env.CONTAINER_REGISTRY, 'registry:5010')
})

test('up: bakes the base images first when the project has a bake file', () => {
  const s = settings()
  const p = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services: { gateway: { build: {} } } },
    runId: 'R3',
    extraArgs: [],
    bakePrint: print,
  })
  const [bases, up] = docker(p)
  assert.equal(bases.argv.slice(-1), ['base-images'])
  assert.equal(bases.report, {
    command: 'up',
    file: '/p/.esb/reports/last-up.json',
    final: false,
    progress: 'plain',
    metadataFile: '/p/.esb/runs/R3/bake-metadata.1.json',
    builder: 'esb-buildx',
  })
  assert.ok(up.argv.includes('compose'))
  const promote = p.steps.find((x) => x.kind === 'promote-cache') as any
  assert.ok(
    promote.gens.some((g: any) => g.target === 'os-base') && promote.gens.some((g: any) => g.target === 'svc-docker-gateway'),
  )
})

test('up: a service that builds what a bake target builds shares its cache and the base just pushed', () => {
  const s = settings()
  const withCtx = {
    ...print,
    target: {
      ...print.target,
      'gateway-docker': { ...print.target['gateway-docker'], context: 'services/gateway', dockerfile: 'Dockerfile.docker' },
      'python-base': { ...print.target['python-base'], context: 'services/common', dockerfile: 'Dockerfile.python-base' },
    },
  }
  const services = {
    gateway: {
      build: {
        context: '/p/services/gateway',
        dockerfile: 'Dockerfile.docker',
        additional_contexts: { 'python-base': 'service:python-base', config: '/p/cfg' },
      },
    },
    'python-base': { build: { context: '/p/services/common', dockerfile: 'Dockerfile.python-base' } },
    other: { build: { context: '/p/services/gateway', dockerfile: 'Dockerfile.other' } },
  }
  const p = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services },
    runId: 'R4',
    extraArgs: [],
    bakePrint: withCtx,
  })
  // python-base was baked moments ago in this run: read its cache, export nothing
  assert.equal(p.caches['python-base'].from, [
    'type=local,src=/p/.esb/buildx-cache/python-base/current',
    'type=registry,ref=127.0.0.1:5010/esb-cache/python-base:cache',
  ])
  assert.equal(p.caches['python-base'].to, [])
  // gateway writes the cache build writes for gateway-docker
  assert.ok(p.caches.gateway.to[0].includes('/buildx-cache/gateway-docker/gen-R4'))
  assert.ok(p.caches.other.to[0].includes('/svc-docker-other/'))
  const pin = p.steps.find((x) => x.kind === 'pin-bases') as any
  const kinds = p.steps.map((x) => x.kind)
  assert.ok(kinds.indexOf('pin-bases') > kinds.indexOf('docker'), 'the override is pinned after the base bake')
  assert.equal(pin.json.services.gateway.build.additional_contexts, {
    'python-base': 'docker-image://127.0.0.1:5010/esb-python-base:latest',
    config: '/p/cfg',
  })
  const md = { 'python-base': { 'containerimage.digest': 'sha256:abc' }, 'os-base': {}, 'lambda-base': {} }
  assert.equal(
    pinBases(pin.json, { 'python-base': pin.refs['python-base'] }, md).services.gateway.build.additional_contexts['python-base'],
    'docker-image://127.0.0.1:5010/esb-python-base:latest@sha256:abc',
  )
  assert.not.ok(p.steps.some((x) => x.kind === 'write' && x.path.endsWith('compose.cache.json')))
  // unchanged since the last build: bases pinned to their digests now, gateway-docker's cache is current (no export)
  const skip = {
    skip: { 'python-base': 'sha256:p', 'os-base': 'sha256:o', 'lambda-base': 'sha256:l', 'gateway-docker': 'sha256:g' },
    rebuild: {},
    records: {},
    dir: '/p/.esb/inputs',
    statCache: {},
  }
  const q = upPlan({
    settings: s,
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    composeConfig: { services },
    runId: 'R5',
    extraArgs: [],
    bakePrint: withCtx,
    skip,
  })
  assert.equal(q.caches.gateway.to, [])
  assert.ok(q.caches.other.to.length > 0)
  assert.not.ok(
    q.steps.some((x) => x.kind === 'pin-bases'),
    'nothing baked: nothing to pin at run time',
  )
  const written = JSON.parse((q.steps.find((x) => x.kind === 'write' && x.path.endsWith('compose.cache.json')) as any).content)
  assert.is(
    written.services.gateway.build.additional_contexts['python-base'],
    'docker-image://127.0.0.1:5010/esb-python-base:latest@sha256:p',
  )
  assert.equal(
    docker(q).map((d) => d.argv[0]),
    ['compose'],
    'no base bake',
  )
})

test('prune: local, builder, and a registry garbage collection that stops and restarts it', () => {
  const p = prunePlan(settings(), { local: true, builder: true, registry: true })
  assert.equal(
    p.steps.map((x) => x.kind),
    ['prune-local', 'docker', 'docker', 'docker', 'docker'],
  )
  const d = docker(p)
  assert.equal(d[0].argv, ['buildx', 'prune', '--builder', 'esb-buildx', '--force', '--keep-storage', '20GB'])
  assert.equal(d[1].argv.slice(-2), ['stop', 'registry'])
  assert.equal(d[2].argv, [
    'run',
    '--rm',
    '-v',
    'esb-registry-data:/var/lib/registry',
    '--entrypoint',
    '/bin/registry',
    'registry:2',
    'garbage-collect',
    '--delete-untagged',
    '/etc/docker/registry/config.yml',
  ])
  assert.equal(d[3].argv.slice(-4), ['up', '-d', '--wait', 'registry'])
  assert.equal(
    prunePlan(settings(), { local: true, builder: false, registry: false }).steps.map((x) => x.kind),
    ['prune-local'],
  )
})

test('down: the registry only with --registry', () => {
  assert.is(docker(downPlan(settings(), false, [])).length, 1)
  const p = downPlan(settings(), true, [])
  assert.equal(docker(p)[1].argv.slice(0, 3), ['compose', '-p', 'esb-infra'])
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

test('generated buildkitd.toml: plain HTTP for registry:5010, GC policy, mirrors', () => {
  const t = buildkitdToml(
    settings({
      toml: {
        file: '/p/esb.toml',
        text: '',
        data: { builder: { mirrors: ['127.0.0.1:5010', 'mirror.lan:5000'], gc_keep: '5GB' } },
      },
    }),
  )
  assert.match(t, /\[registry\."registry:5010"\]\n {2}http = true/)
  assert.match(t, /\[registry\."docker\.io"\]\n {2}mirrors = \["127\.0\.0\.1:5010", "mirror\.lan:5000"\]/)
  assert.match(t, /\[registry\."mirror\.lan:5000"\]\n {2}http = true/)
  assert.not.match(t, /\[registry\."127\.0\.0\.1:5010"\]/, 'loopback is plain HTTP already')
  assert.match(t, /keepBytes = "5GB"/)
})

test('a user buildkitd config is not generated, and its content feeds the fingerprint', () => {
  const s = settings({ processEnv: { BUILDKITD_CONFIG: '/etc/bk.toml' } })
  assert.not.ok(s.builder.generateConfig)
  const mk = (cfg: string) =>
    buildPlan({
      settings: s,
      renderWrites: [],
      builder: { procEnv: {}, buildkitdConfig: cfg },
      bakePrint: print,
      functionDockerfiles: [],
      runId: 'R',
      extraArgs: [],
    })
  const a = mk('a').steps.find((x) => x.kind === 'ensure-builder') as any
  assert.not.ok(mk('a').steps.some((x) => x.kind === 'write' && x.path === '/etc/bk.toml'))
  assert.is.not(a.fingerprint, (mk('b').steps.find((x) => x.kind === 'ensure-builder') as any).fingerprint)
  assert.ok(a.create.includes('/etc/bk.toml'))
})

test('a registry that does not answer is started before the skip check, unless this run writes its compose file', () => {
  const s = settings()
  assert.equal(
    registryFirstSteps(s, [], {}).map((x) => x.up.slice(-4)),
    [['up', '-d', '--wait', 'registry']],
  )
  assert.equal(
    registryFirstSteps(
      s,
      [{ kind: 'write', why: '', path: '/p/docker-compose.infra.yml', content: '', mode: null, reason: 'changed' }],
      {},
    ),
    [],
  )
  assert.is(
    registryFirstSteps(
      s,
      [{ kind: 'write', why: '', path: '/p/docker-bake.hcl', content: '', mode: null, reason: 'changed' }],
      {},
    ).length,
    1,
  )
})

test('a function folder and an artifact entry of one name: one error naming both', () => {
  const art = {
    target: 'fn-hello',
    context: '/p/.esb/artifacts/a',
    dockerfile: 'functions/hello/Dockerfile',
    tag: '127.0.0.1:5010/hello:latest',
    contexts: {},
    source: '/p/.esb/artifacts/a/functions.yml (hello)',
  }
  assert.throws(
    () =>
      buildPlan({
        settings: settings(),
        renderWrites: [],
        builder: { procEnv: {}, buildkitdConfig: null },
        bakePrint: print,
        functionDockerfiles: ['functions/hello/Dockerfile'],
        artifactFunctions: [art],
        runId: 'R1',
        extraArgs: [],
      }),
    (e: unknown) =>
      e instanceof UsageError &&
      /^functions\/hello\/Dockerfile and \/p\/\.esb\/artifacts\/a\/functions\.yml \(hello\) both become target fn-hello; rename one/.test(
        (e as Error).message,
      ),
  )
})

test.run()
