// A CI runner that starts warm (issue 12): the fresh-runner build, reading
// only the shared registry cache ([cache] from / to), against a cold build of
// the same commit. Each rep, on examples/mini with N functions (a ~2 s CPU
// step in every function and base):
//   cold  fresh runner state, a branch with no shared cache yet: everything
//         built; the build writes the branch's shared cache
//   warm  fresh runner state again, the same branch: built from that cache
// "Fresh runner state": builder removed with its state, no .<slug>/ folder
// (no local cache, no records), an empty local registry (busybox seeded again). The shared
// registry is a second registry on 127.0.0.1 (one machine stands in for the
// CI fleet; the remote driver and TLS are tested in test/e2e). Two topologies:
//   cache-from      builds push to the runner's local registry; the shared
//                   registry holds only the branch caches ([cache] from / to)
//   build-registry  builds push to the shared registry ([registry] build_address),
//                   which holds the images and the caches; each build copies the
//                   images into the runner's local registry. Cold starts with an
//                   empty shared registry.
//
// Usage: node bench/ciwarm.mjs [N ...] [--reps R] [--topology cache-from|build-registry|both]
//        (default 10 50, R=2, both); writes bench/results/ci-warm.json
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { cleanup, freePort, machine, project, rmBuilder, scratch, sh, start, stats, writeResult } from './lib.mjs'

/** Waits until a registry answers (curl: the bench stays synchronous). */
function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    if (spawnSync('curl', ['-sf', '-o', '/dev/null', url]).status === 0) return
    spawnSync('sleep', ['0.1'])
  }
  throw new Error(`${url} did not answer`)
}

const argv = process.argv.slice(2)
const repsAt = argv.indexOf('--reps')
const REPS = repsAt >= 0 ? Number(argv.splice(repsAt, 2)[1]) : 2
const topoAt = argv.indexOf('--topology')
const TOPO = topoAt >= 0 ? argv.splice(topoAt, 2)[1] : 'both'
const TOPOLOGIES = TOPO === 'both' ? ['cache-from', 'build-registry'] : [TOPO]
const SIZES = argv.length ? argv.map(Number) : [10, 50]
const { tmp, cfg } = scratch('ciwarm')

const results = { date: new Date().toISOString(), machine: machine(), reps: REPS, topologies: {} }
for (const topo of TOPOLOGIES) {
  results.topologies[topo] = { sizes: {} }
  for (const n of SIZES) {
    const shared = await freePort()
    const brand = `ciw${n}x${Math.random().toString(36).slice(2, 6)}`
    const ref = `127.0.0.1:${shared}/team-cache/{target}:{branch}`
    const toml =
      topo === 'cache-from'
        ? `[cache]\nfrom = ["${ref}"]\nto = "${ref}"\n`
        : `[registry]\nbuild_address = "127.0.0.1:${shared}"\n`
    const p = await project(tmp, cfg, n, brand, toml)
    start(p)
    const image = sh(p, 'docker', ['inspect', '--format', '{{.Config.Image}}', `${brand}-infra-registry`]).out.trim()
    const sharedUp = () =>
      sh(p, 'docker', [
        'run',
        '-d',
        '--name',
        `${brand}-shared`,
        '-e',
        'REGISTRY_HTTP_ADDR=0.0.0.0:5000',
        '-p',
        `127.0.0.1:${shared}:5000`,
        image,
      ])
    const sharedEmpty = () => {
      sh(p, 'docker', ['rm', '-f', '-v', `${brand}-shared`])
      sharedUp()
      waitFor(`http://127.0.0.1:${shared}/v2/`)
    }
    sharedUp()
    const fresh = () => {
      rmBuilder(p)
      sh(p, 'docker', ['esb', 'down', '--registry'])
      sh(p, 'docker', ['volume', 'rm', `${brand}-registry-data`])
      // a fresh clone has no .<slug>/ at all: no local cache, no input records, no builder state
      fs.rmSync(path.join(p.dir, `.${brand}`), { recursive: true, force: true })
      start(p)
    }
    const build = (branch) => {
      const r = sh(p, 'docker', ['esb', 'build', '--json'], { [`${p.prefix}_BRANCH`]: branch })
      return { s: r.s, total: JSON.parse(r.out).total }
    }
    const cold = [],
      warm = [],
      hits = []
    try {
      for (let i = 0; i < REPS; i++) {
        fresh()
        // build-registry: images and caches live in the shared registry, under no branch: cold starts with it empty
        if (topo === 'build-registry') sharedEmpty()
        cold.push(build(`cold-${i}`).s)
        fresh()
        const w = build(`cold-${i}`)
        warm.push(w.s)
        hits.push(w.total)
      }
    } finally {
      sh(p, 'docker', ['rm', '-f', '-v', `${brand}-shared`])
      cleanup(p)
    }
    const r = { cold_s: stats(cold), fresh_runner_s: stats(warm), fresh_runner_hits: hits }
    r.ratio_fresh_runner_to_cold = +(r.fresh_runner_s.median / r.cold_s.median).toFixed(3)
    r.fresh_runner_percent_cached = Math.min(...hits.map((h) => h.percent))
    results.topologies[topo].sizes[n] = r
    console.log(JSON.stringify({ topo, n, ...r }, null, 2))
  }
}
results.targets = { fresh_runner: '<= 0.35x cold, >= 95% of steps cached' }
results.command = `node bench/ciwarm.mjs ${SIZES.join(' ')} --reps ${REPS} --topology ${TOPO}`
writeResult('ci-warm', results)
fs.rmSync(tmp, { recursive: true, force: true })
