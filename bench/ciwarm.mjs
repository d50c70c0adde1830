// A CI runner that starts warm (issue 12): the fresh-runner build, reading
// only the shared registry cache ([cache] from / to), against a cold build of
// the same commit. Each rep, on examples/mini with N functions (a ~2 s CPU
// step in every function and base):
//   cold  fresh runner state, a branch with no shared cache yet: everything
//         built; the build writes the branch's shared cache
//   warm  fresh runner state again, the same branch: built from that cache
// "Fresh runner state": builder removed with its state, no .<slug>/ folder
// (no local cache, no records), an empty local registry (busybox seeded again). The shared cache
// lives in a second registry on 127.0.0.1 (one machine stands in for the
// CI fleet; the remote driver and TLS are tested in test/e2e).
//
// Usage: node bench/ciwarm.mjs [N ...] [--reps R]  (default 10 50, R=2)
//        writes bench/results/ci-warm.json
import fs from 'node:fs'
import path from 'node:path'
import { cleanup, freePort, machine, project, rmBuilder, scratch, sh, start, stats, writeResult } from './lib.mjs'

const argv = process.argv.slice(2)
const repsAt = argv.indexOf('--reps')
const REPS = repsAt >= 0 ? Number(argv.splice(repsAt, 2)[1]) : 2
const SIZES = argv.length ? argv.map(Number) : [10, 50]
const { tmp, cfg } = scratch('ciwarm')

const results = { date: new Date().toISOString(), machine: machine(), reps: REPS, sizes: {} }
for (const n of SIZES) {
  const shared = await freePort()
  const brand = `ciw${n}x${Math.random().toString(36).slice(2, 6)}`
  const ref = `127.0.0.1:${shared}/team-cache/{target}:{branch}`
  const p = await project(tmp, cfg, n, brand, `[cache]\nfrom = ["${ref}"]\nto = "${ref}"\n`)
  start(p)
  const image = sh(p, 'docker', ['inspect', '--format', '{{.Config.Image}}', `${brand}-infra-registry`]).out.trim()
  sh(p, 'docker', ['run', '-d', '--name', `${brand}-shared`, '-e', 'REGISTRY_HTTP_ADDR=0.0.0.0:5000', '-p', `127.0.0.1:${shared}:5000`, image])
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
  const cold = [], warm = [], hits = []
  try {
    for (let i = 0; i < REPS; i++) {
      fresh()
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
  results.sizes[n] = r
  console.log(JSON.stringify({ n, ...r }, null, 2))
}
results.targets = { fresh_runner: '<= 0.35x cold, >= 95% of steps cached' }
results.command = `node bench/ciwarm.mjs ${SIZES.join(' ')} --reps ${REPS}`
writeResult('ci-warm', results)
fs.rmSync(tmp, { recursive: true, force: true })
