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
//                   empty shared registry. Here every image is also tagged by its
//                   input key (issue 23), so the fresh runner of the same commit
//                   ("unchanged") builds nothing: no builder, no bake. Then:
//     onechange     fresh runner state, one function's source changed: only
//                   that target builds, the others are taken by key; against
//                   a plain `docker buildx bake` of that one target (its
//                   definition as docker esb generates it, no cache flags) on
//                   the builder that just built it (warm), with one more change.
//
// Usage: node bench/ciwarm.mjs [N ...] [--reps R] [--topology cache-from|build-registry|both]
//        (default 10 50, R=2, both); writes bench/results/ci-warm.json
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { BUSYBOX, cleanup, freePort, machine, project, rmBuilder, scratch, sh, start, stats, writeResult } from './lib.mjs'

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
    // build-registry: the upstream base is there too (every runner reaches it; the local registry is the runner's own)
    const upstream = topo === 'build-registry' ? { [`${p.prefix}_UPSTREAM_BASE`]: `127.0.0.1:${shared}/library/${BUSYBOX}` } : {}
    const seedShared = () => {
      if (topo !== 'build-registry') return
      sh(p, 'docker', ['tag', BUSYBOX, `127.0.0.1:${shared}/library/${BUSYBOX}`])
      sh(p, 'docker', ['push', '-q', `127.0.0.1:${shared}/library/${BUSYBOX}`])
    }
    const sharedEmpty = () => {
      sh(p, 'docker', ['rm', '-f', '-v', `${brand}-shared`])
      sharedUp()
      waitFor(`http://127.0.0.1:${shared}/v2/`)
      seedShared()
    }
    sharedUp()
    waitFor(`http://127.0.0.1:${shared}/v2/`)
    seedShared()
    const fresh = () => {
      rmBuilder(p)
      sh(p, 'docker', ['esb', 'down', '--registry'])
      sh(p, 'docker', ['volume', 'rm', `${brand}-registry-data`])
      // a fresh clone has no .<slug>/ at all: no local cache, no input records, no builder state
      fs.rmSync(path.join(p.dir, `.${brand}`), { recursive: true, force: true })
      start(p)
    }
    const build = (branch) => {
      const r = sh(p, 'docker', ['esb', 'build', '--json'], { ...upstream, [`${p.prefix}_BRANCH`]: branch })
      const j = JSON.parse(r.out)
      return { s: r.s, total: j.total, rebuilt: Object.keys(j.rebuilt ?? {}), reused: Object.keys(j.reused ?? {}).length }
    }
    const fn = p.fns[0]
    const change = (i) => fs.appendFileSync(path.join(p.dir, 'functions', fn, 'handler'), `echo change ${i}\n`)
    /** A plain bake of the changed function alone, as docker esb would send it (no cache flags), on its warm builder. */
    const plainOne = (branch) => {
      const plan = JSON.parse(
        sh(p, 'docker', ['esb', 'build', '--dry-run', '--json'], { ...upstream, [`${p.prefix}_BRANCH`]: branch }).out,
      )
      const files = plan.steps.flatMap((st) =>
        st.kind === 'write' && /bake\.generated/.test(st.path)
          ? [JSON.parse(st.content)]
          : st.kind === 'pin-bases'
            ? [st.json]
            : [],
      )
      // the last phase's file: there the function builds on its base's pushed digest
      const def = files
        .map((f) => f.target?.[`fn-${fn}`])
        .filter(Boolean)
        .pop()
      if (!def) throw new Error(`no bake definition for fn-${fn} in the plan`)
      const { 'cache-from': _f, 'cache-to': _t, ...rest } = def
      const tags = (def.tags ?? []).map((t) => t.replace(/:[^:/]+$/, ':plain'))
      fs.writeFileSync(path.join(p.dir, 'plain-one.json'), JSON.stringify({ target: { [`fn-${fn}`]: { ...rest, tags } } }))
      return sh(
        p,
        'docker',
        [
          'buildx',
          'bake',
          '--builder',
          `${brand}-buildx`,
          '-f',
          'plain-one.json',
          '--provenance=false',
          '--progress=quiet',
          `fn-${fn}`,
        ],
        plan.env,
      ).s
    }
    const cold = [],
      warm = [],
      hits = [],
      one = [],
      plain = [],
      shape = []
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
        if (topo !== 'build-registry') continue
        const builderMade =
          spawnSync('docker', ['buildx', 'inspect', `${brand}-buildx`], {
            env: { ...process.env, DOCKER_CONFIG: p.cfg },
          }).status === 0
        fresh()
        change(`${i}a`)
        const o = build(`cold-${i}`)
        one.push(o.s)
        change(`${i}b`)
        plain.push(plainOne(`cold-${i}`))
        shape.push({
          unchanged_built: w.rebuilt.length,
          unchanged_reused: w.reused,
          unchanged_builder_made: builderMade,
          onechange_built: o.rebuilt,
          onechange_reused: o.reused,
        })
      }
    } finally {
      sh(p, 'docker', ['rm', '-f', '-v', `${brand}-shared`])
      cleanup(p)
    }
    const r = { cold_s: stats(cold), fresh_runner_s: stats(warm), fresh_runner_hits: hits }
    r.ratio_fresh_runner_to_cold = +(r.fresh_runner_s.median / r.cold_s.median).toFixed(3)
    r.fresh_runner_percent_cached = Math.min(...hits.map((h) => h.percent))
    if (one.length) {
      r.onechange_s = stats(one)
      r.plain_one_target_warm_s = stats(plain)
      r.ratio_onechange_to_plain_one = +(r.onechange_s.median / r.plain_one_target_warm_s.median).toFixed(3)
      r.runs = shape
    }
    results.topologies[topo].sizes[n] = r
    console.log(JSON.stringify({ topo, n, ...r }, null, 2))
  }
}
results.targets = {
  fresh_runner: '<= 0.35x cold, >= 95% of steps cached (cache-from)',
  fresh_runner_unchanged: '<= 0.05x cold, 0 targets built (build-registry: reused by key)',
  onechange: '<= 1.3x a plain bake of that one target on a warm builder, only that target built',
}
results.command = `node bench/ciwarm.mjs ${SIZES.join(' ')} --reps ${REPS} --topology ${TOPO}`
writeResult('ci-warm', results)
fs.rmSync(tmp, { recursive: true, force: true })
