// Rebuild benchmark (issue 10): `docker esb build`/`up` against what a user
// would run instead, on examples/mini generated with N functions, each
// function and base given a ~2 s CPU step so that caching matters.
//
// Scenarios, interleaved run by run (medians, min, max):
//   noop      nothing changed: esb build | plain bake with the same cache
//             flags | plain bake, no cache flags
//   onechange one function's handler edited: esb build | plain bake of that
//             target only, no cache flags
//   buildxrm  the builder removed, nothing changed: esb build (targets rebuilt)
//   upnoop    (smallest N) esb up | docker compose up --build -d, nothing changed
//   cachesize local cache bytes after one build and after ten one-change builds
// Plain bake runs the project's bake file plus an override with the function
// targets (FROM lambda-base through `target:`), in one call, as a user would.
//
// The same scenarios on the adopt fixture (a repo as real as poruru-code/esb,
// through a mirror): bench/adopt.mjs.
//
// Needs the provisioned engine (make e2e does it) and dist/docker-esb.
// Usage: node bench/rebuild.mjs [N ...] [--reps R]  (default: 10 50, R=5)
//        writes bench/results/rebuild.json
import fs from 'node:fs'
import path from 'node:path'
import { builder, cleanup, du, machine, project as generate, rmBuilder, scratch, sh, start, stats, writeResult } from './lib.mjs'

const argv = process.argv.slice(2)
const repsAt = argv.indexOf('--reps')
const REPS = repsAt >= 0 ? Number(argv.splice(repsAt, 2)[1]) : 5
const SIZES = argv.length ? argv.map(Number) : [10, 50]
const { tmp, cfg } = scratch('rebuild')

async function project(n) {
  const brand = `bench${n}x${Math.random().toString(36).slice(2, 6)}`
  const p = await generate(tmp, cfg, n, brand)
  start(p)
  // the plain bake files: function targets as a user would write them, with and without caches
  const plan = JSON.parse(sh(p, 'docker', ['esb', 'build', '--dry-run', '--json', '--no-skip']).out)
  const gen = JSON.parse(plan.steps.find((s) => s.kind === 'write' && /bake\.generated(\.1)?\.json$/.test(s.path)).content)
  const plainCache = path.join(tmp, `${brand}-plaincache`)
  const nocache = { group: gen.group, target: {} }
  const cached = { group: gen.group, target: {} }
  for (const [t, d] of Object.entries(gen.target)) {
    // its own tags: a plain bake must not replace the images docker esb keeps track of
    const { 'cache-from': _f, 'cache-to': _t, ...rest } = d
    const own = { ...rest, tags: (d.tags ?? []).map((x) => x.replace(`/${brand}-`, `/${brand}-plain-`)) }
    nocache.target[t] = own
    const reg = `127.0.0.1:${p.port}/${brand}-plaincache/${t}:cache`
    // buildx checks entitlements against existing folders
    fs.mkdirSync(path.join(plainCache, t), { recursive: true })
    cached.target[t] = {
      ...own,
      'cache-from': [`type=local,src=${plainCache}/${t}`, `type=registry,ref=${reg}`],
      'cache-to': [
        `type=local,dest=${plainCache}/${t},mode=max`,
        `type=registry,ref=${reg},mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true`,
      ],
    }
  }
  fs.writeFileSync(path.join(p.dir, 'plain.nocache.json'), JSON.stringify(nocache))
  fs.writeFileSync(path.join(p.dir, 'plain.cached.json'), JSON.stringify(cached))
  p.env = plan.env
  p.plainCache = plainCache
  p.groups = ['base-images', 'control-images-docker', 'functions']
  return p
}

const plainBake = (p, file, targets = p.groups) =>
  sh(
    p,
    'docker',
    [
      'buildx',
      'bake',
      '--builder',
      builder(p),
      '-f',
      'docker-bake.hcl',
      '-f',
      file,
      '--allow',
      `fs=${p.plainCache}`,
      '--provenance=false',
      '--progress=quiet',
      ...targets,
    ],
    p.env,
  )
const esb = (p, args) => sh(p, 'docker', ['esb', ...args])
const rebuilt = (r) => (r.err.match(/^# rebuild /gm) ?? []).length

const results = { date: new Date().toISOString(), machine: machine(), reps: REPS, sizes: {} }
for (const n of SIZES) {
  const p = await project(n)
  const r = {}
  try {
    const cold = esb(p, ['build'])
    const cacheOne = du(path.join(p.dir, `.${p.brand}`, 'buildx-cache'))
    plainBake(p, 'plain.cached.json')
    plainBake(p, 'plain.nocache.json')
    r.cold_esb_s = +cold.s.toFixed(2)
    // no-op
    const noop = { esb: [], bake_same_cache_flags: [], bake_no_cache_flags: [] }
    const exported = []
    for (let i = 0; i < REPS; i++) {
      const e = esb(p, ['build', '--json'])
      noop.esb.push(e.s)
      exported.push(rebuilt(e))
      noop.bake_same_cache_flags.push(plainBake(p, 'plain.cached.json').s)
      noop.bake_no_cache_flags.push(plainBake(p, 'plain.nocache.json').s)
    }
    r.noop = { ...Object.fromEntries(Object.entries(noop).map(([k, v]) => [k, stats(v)])), targets_rebuilt_by_esb: exported }
    r.noop.ratio_esb_to_bake_no_cache_flags = +(r.noop.esb.median / r.noop.bake_no_cache_flags.median).toFixed(3)
    // one function changed (a different function each rep for esb; the same edit for plain bake)
    const one = { esb: [], bake_that_target_no_cache_flags: [] }
    for (let i = 0; i < REPS; i++) {
      const fn = p.fns[i % p.fns.length]
      fs.appendFileSync(path.join(p.dir, 'functions', fn, 'handler'), `echo edit ${i}\n`)
      one.esb.push(esb(p, ['build']).s)
      fs.appendFileSync(path.join(p.dir, 'functions', fn, 'handler'), `echo plain ${i}\n`)
      one.bake_that_target_no_cache_flags.push(plainBake(p, 'plain.nocache.json', [`fn-${fn}`]).s)
    }
    r.onechange = Object.fromEntries(Object.entries(one).map(([k, v]) => [k, stats(v)]))
    r.onechange.ratio_esb_to_bake_that_target = +(
      r.onechange.esb.median / r.onechange.bake_that_target_no_cache_flags.median
    ).toFixed(3)
    // ten one-change builds: the local cache must not grow by a copy per build
    for (let i = 0; i < 10 - REPS; i++) {
      fs.appendFileSync(path.join(p.dir, 'functions', p.fns[(REPS + i) % p.fns.length], 'handler'), `echo more ${i}\n`)
      esb(p, ['build'])
    }
    const cacheTen = du(path.join(p.dir, `.${p.brand}`, 'buildx-cache'))
    r.cachesize = {
      after_one_build_bytes: cacheOne,
      after_ten_one_change_builds_bytes: cacheTen,
      ratio: +(cacheTen / cacheOne).toFixed(3),
    }
    // the builder removed, nothing changed
    rmBuilder(p)
    const rm = esb(p, ['build'])
    r.buildxrm = { esb_s: +rm.s.toFixed(2), targets_rebuilt: rebuilt(rm), cold_esb_s: r.cold_esb_s }
    if (n === Math.min(...SIZES)) {
      const compose = ['compose', '-p', `${p.brand}-default`, '-f', 'docker-compose.docker.yml', 'up', '--build', '-d']
      esb(p, ['up'])
      sh(p, 'docker', compose, p.env)
      const up = { esb: [], compose_up_build: [] }
      const recreated = []
      for (let i = 0; i < REPS; i++) {
        const e = esb(p, ['up'])
        up.esb.push(e.s)
        recreated.push((e.err.match(/Recreate/g) ?? []).length)
        up.compose_up_build.push(sh(p, 'docker', compose, { ...p.env, BUILDX_BUILDER: builder(p) }).s)
      }
      r.upnoop = {
        ...Object.fromEntries(Object.entries(up).map(([k, v]) => [k, stats(v)])),
        containers_recreated_by_esb: recreated,
      }
      r.upnoop.ratio_esb_to_compose = +(r.upnoop.esb.median / r.upnoop.compose_up_build.median).toFixed(3)
    }
  } finally {
    cleanup(p, p.env)
  }
  results.sizes[n] = r
  console.log(JSON.stringify({ n, ...r }, null, 2))
}
results.targets = {
  'noop N=50': 'esb <= 0.5x bake with no cache flags, 0 targets rebuilt',
  'onechange N=50': 'esb <= 1.5x bake of only that target, no cache flags',
  upnoop: 'esb up <= 1.5x docker compose up --build -d, 0 containers recreated',
  buildxrm: '0 targets rebuilt',
  cachesize: 'after ten one-change builds <= 1.3x one build',
}
results.command = `node bench/rebuild.mjs ${SIZES.join(' ')} --reps ${REPS}`
writeResult('rebuild', results)
fs.rmSync(tmp, { recursive: true, force: true })
