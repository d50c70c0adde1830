// The rebuild benchmark on a repo as real as poruru-code/esb (issue 21):
// examples/adopt, whose Dockerfiles start with `# syntax=docker/dockerfile:1.7`,
// pin their bases by digest on docker.io, COPY --from a pinned uv, build a Java
// function FROM an unpinned public.ecr.aws tag, and whose functions share their
// artifact entry root and are COPY-only; all of it served by a company mirror
// named in the repo's buildkitd.toml (test/e2e/mirror.ts). The bases and
// control images get a ~2 s CPU step each (the real ones run apt, uv and Go).
//
// Against a plain `docker buildx bake` of the same files (the project's bake
// file plus the function targets docker esb generates, no cache flags) on a
// builder of its own with the same buildkitd.toml, interleaved:
//   cold       fresh builder, no state, empty registry: esb build | plain bake
//              (each on a builder made just before and not booted: both runs boot theirs;
//              the plain bake's registry is already up, docker esb starts its own)
//   noop       nothing changed: esb build | plain bake
//   onechange  one function's source edited: esb build | plain bake of that target
//   coldcache  (with --cache-modes) cold esb with each cache export on/off
// Usage: node bench/adopt.mjs [--reps R] [--cache-modes]   (default R=5)
//        writes bench/results/rebuild-adopt.json
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { register } from 'tsx/esm/api'
import { SPIN, du, freePort, machine, scratch, sh, stats, writeResult } from './lib.mjs'

register()
const { startMirror, adoptCopy, ADOPT_TOML: TOML } = await import('../test/e2e/mirror.ts')

const argv = process.argv.slice(2)
const repsAt = argv.indexOf('--reps')
const REPS = repsAt >= 0 ? Number(argv[repsAt + 1]) : 5
const CACHE_MODES = argv.includes('--cache-modes')
const { tmp, cfg } = scratch('adopt')
const id = Math.random().toString(36).slice(2, 6)
const mirror = await startMirror()
const p = { brand: 'acme', cfg, prefix: 'ACME', port: await freePort(), dir: path.join(tmp, 'acme') }
const names = { builder: `acme-bench${id}-buildx`, plain: `acme-bench${id}-plain`, registry: `acme-bench${id}-registry` }
const env = {
  BUILDX_BUILDER: names.builder,
  REGISTRY_CONTAINER_NAME: names.registry,
  PROJECT_NAME: `acme-bench${id}`,
  ENV: '',
  ACME_ENV: '',
  ACME_TAG: '',
}
const infra = ['compose', '-p', 'acme-infra', '-f', 'docker-compose.infra.yml']
const run = (cmd, args, extra = {}) => sh(p, cmd, args, { ...env, ...extra })
const esb = (args, extra) => run('docker', ['esb', ...args], extra)

adoptCopy(p.dir, mirror)
// real bases and control images do real work (apt, uv, Go): a CPU step each, before their last step
for (const f of [
  'services/common/Dockerfile.os-base',
  'services/common/Dockerfile.python-base',
  'runtime-hooks/python/docker/Dockerfile',
  'services/gateway/Dockerfile.docker',
  'services/agent/Dockerfile.docker',
  'services/provisioner/Dockerfile',
]) {
  const file = path.join(p.dir, f)
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^(FROM .*)$/m, `$1\nRUN ${SPIN}`))
}
run('bash', ['tools/setup-certs.sh'])

// the plain bake: the project's bake file plus docker esb's generated targets (functions), no cache flags, own tags
const plan = JSON.parse(esb(['build', '--dry-run', '--json', '--no-skip']).out)
const gen = plan.steps.filter((s) => s.kind === 'write' && /bake\.generated/.test(s.path)).map((s) => JSON.parse(s.content))
const plain = { group: {}, target: {} }
for (const g of gen) {
  Object.assign(plain.group, g.group ?? {})
  for (const [t, d] of Object.entries(g.target)) {
    const { 'cache-from': _f, 'cache-to': _t, contexts, ...rest } = d
    // phase-2 pins name docker esb's own tags: the plain bake builds on its own bases through target: contexts
    const ctx = Object.fromEntries(Object.entries(contexts ?? {}).filter(([, v]) => !String(v).startsWith('docker-image://127.')))
    plain.target[t] = {
      ...(plain.target[t] ?? {}),
      ...rest,
      tags: (d.tags ?? []).map((x) => x.replace('/acme-', '/plain-acme-')),
    }
    if (Object.keys(ctx).length) plain.target[t].contexts = { ...(plain.target[t].contexts ?? {}), ...ctx }
  }
}
// functions FROM the lambda base by its registry tag: the plain bake gives them the base through a target: context
for (const [t, d] of Object.entries(plain.target))
  if (/^fn-/.test(t) && d.contexts)
    for (const k of Object.keys(d.contexts)) if (/lambda-base/.test(k)) d.contexts[k] = 'target:lambda-base'
fs.writeFileSync(path.join(p.dir, 'plain.json'), JSON.stringify(plain, null, 2))
const plainEnv = { ...plan.env, BUILDX_BUILDER: names.plain, REGISTRY: `127.0.0.1:${p.port}/` }
const allTargets = ['base-images', 'control-images-docker', 'functions']
const plainBake = (targets = allTargets) =>
  run(
    'docker',
    [
      'buildx',
      'bake',
      '--builder',
      names.plain,
      '-f',
      'docker-bake.hcl',
      '-f',
      'plain.json',
      '--provenance=false',
      '--progress=quiet',
      ...targets,
    ],
    plainEnv,
  )
// fresh: a new builder, not booted (its first bake boots it, as docker esb's cold build boots its own)
const plainBuilder = ({ boot = true } = {}) => {
  spawnSync('docker', ['buildx', 'rm', '-f', names.plain], { env: { ...process.env, DOCKER_CONFIG: cfg } })
  run('docker', [
    'buildx',
    'create',
    '--name',
    names.plain,
    '--driver',
    'docker-container',
    '--driver-opt',
    'network=host',
    '--buildkitd-config',
    '.acme/buildkitd.toml',
    ...(boot ? ['--bootstrap'] : []),
  ])
}
const freshEsb = () => {
  spawnSync('docker', ['buildx', 'rm', '-f', names.builder], { env: { ...process.env, DOCKER_CONFIG: cfg } })
  spawnSync('docker', [...infra, 'down', '-v', '-t', '1'], {
    cwd: p.dir,
    env: { ...process.env, ...env, DOCKER_CONFIG: cfg, PORT_REGISTRY: String(p.port) },
  })
  for (const d of ['buildx-cache', 'inputs', 'reports', 'runs'])
    fs.rmSync(path.join(p.dir, '.acme', d), { recursive: true, force: true })
}
const rebuilt = (r) => Object.keys(JSON.parse(r.out).rebuilt ?? {})

const results = {
  date: new Date().toISOString(),
  machine: machine(),
  reps: REPS,
  fixture: 'examples/adopt through a mirror, +2 s CPU per base and control image',
}
try {
  // cold, interleaved: each starts from nothing
  const cold = { esb: [], plain_bake: [] }
  for (let i = 0; i < REPS; i++) {
    freshEsb()
    cold.esb.push(esb(['build', '--json']).s)
    plainBuilder({ boot: false })
    cold.plain_bake.push(plainBake().s)
  }
  results.cold = { ...Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, stats(v)])) }
  results.cold.ratio_esb_to_plain = +(results.cold.esb.median / results.cold.plain_bake.median).toFixed(3)
  results.cold.local_cache_bytes = du(path.join(p.dir, '.acme', 'buildx-cache'))
  // no-op
  const noop = { esb: [], plain_bake: [] }
  const noopRebuilt = []
  for (let i = 0; i < REPS; i++) {
    const e = esb(['build', '--json'])
    noop.esb.push(e.s)
    noopRebuilt.push(rebuilt(e).length)
    noop.plain_bake.push(plainBake().s)
  }
  results.noop = {
    ...Object.fromEntries(Object.entries(noop).map(([k, v]) => [k, stats(v)])),
    targets_rebuilt_by_esb: noopRebuilt,
  }
  results.noop.ratio_esb_to_plain = +(results.noop.esb.median / results.noop.plain_bake.median).toFixed(3)
  // one function's source changed: a different function of the shared entry root each time
  const entry = path.join(p.dir, 'artifacts', 'e2e-docker', 'entries')
  const root0 = path.join(entry, fs.readdirSync(entry)[0])
  const fns = ['lambda-echo', 'lambda-hello']
  const one = { esb: [], plain_bake_that_target: [] }
  const oneRebuilt = []
  for (let i = 0; i < REPS; i++) {
    const fn = fns[i % fns.length]
    const src = path.join(root0, 'functions', fn, 'src', 'handler.sh')
    fs.appendFileSync(src, `# edit ${i}\n`)
    const e = esb(['build', '--json'])
    one.esb.push(e.s)
    oneRebuilt.push(rebuilt(e))
    fs.appendFileSync(src, `# plain ${i}\n`)
    one.plain_bake_that_target.push(plainBake([`fn-${fn}-docker`]).s)
    // not timed: esb takes in the plain bake's edit, so that its next timed build has exactly one change
    esb(['build'])
  }
  results.onechange = {
    ...Object.fromEntries(Object.entries(one).map(([k, v]) => [k, stats(v)])),
    targets_rebuilt_by_esb: oneRebuilt,
  }
  results.onechange.ratio_esb_to_plain_that_target = +(
    results.onechange.esb.median / results.onechange.plain_bake_that_target.median
  ).toFixed(3)
  if (CACHE_MODES) {
    // where a cold build's extra time goes: each cache export on or off (esb.toml [cache] local/registry)
    const modes = {
      both: '',
      registry_only: '[cache]\nlocal = false\n',
      local_only: '[cache]\nregistry = false\n',
      none: '[cache]\nlocal = false\nregistry = false\n',
    }
    const cc = Object.fromEntries(Object.keys(modes).map((k) => [k, []]))
    cc.plain_bake = []
    for (let i = 0; i < REPS; i++) {
      for (const [k, extra] of Object.entries(modes)) {
        fs.writeFileSync(path.join(p.dir, 'esb.toml'), TOML + extra)
        freshEsb()
        cc[k].push(esb(['build']).s)
      }
      plainBuilder({ boot: false })
      cc.plain_bake.push(plainBake().s)
    }
    fs.writeFileSync(path.join(p.dir, 'esb.toml'), TOML)
    results.coldcache = Object.fromEntries(
      Object.entries(cc).map(([k, v]) => [
        k,
        { ...stats(v), ratio_to_plain: +(stats(v).median / stats(cc.plain_bake).median).toFixed(3) },
      ]),
    )
  }
} finally {
  spawnSync('docker', ['buildx', 'rm', '-f', names.builder], { env: { ...process.env, DOCKER_CONFIG: cfg } })
  spawnSync('docker', ['buildx', 'rm', '-f', names.plain], { env: { ...process.env, DOCKER_CONFIG: cfg } })
  spawnSync('docker', [...infra, 'down', '-v', '-t', '1'], {
    cwd: p.dir,
    env: { ...process.env, ...env, DOCKER_CONFIG: cfg, PORT_REGISTRY: String(p.port) },
  })
  await mirror.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
}
results.targets = {
  noop: 'esb <= 0.15x a plain bake, 0 targets rebuilt',
  onechange: 'esb <= 1.5x a plain bake of that one target, only that target rebuilt',
  cold: 'esb <= 1.10x a plain cold bake',
}
results.command = `node bench/adopt.mjs --reps ${REPS}${CACHE_MODES ? ' --cache-modes' : ''}`
console.log(JSON.stringify(results, null, 2))
writeResult('rebuild-adopt', results)
