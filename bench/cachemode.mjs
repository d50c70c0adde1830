// Cache export mode per target kind (issue 10, item 5): the same project
// built with `[cache] mode = "max"` and with `"min"`, interleaved, on the
// rebuild scenarios where the two can differ.
//
// Control images get a builder stage (as the Go and Java control images of a
// real ESB repo have), so mode=max has an intermediate stage to export.
// Functions and bases stay single-stage, as a real repo's are.
//
// Scenarios, each rep applies the same edit to both projects (order alternates):
//   function      a function's handler edited (warm builder)
//   control       a file of the gateway's final stage edited (warm builder)
//   base          lambda-base edited: it and every function rebuilt
//   cold-control  builder removed, then the gateway edited: mode=max can take
//                 the builder stage from the local cache, mode=min cannot
//   cold-function builder removed, then a function edited
// Reports seconds (median, min, max), steps cached of the rebuilt targets,
// and local cache bytes per kind after the cold build.
//
// Usage: node bench/cachemode.mjs [N] [--reps R]  (default N=10, R=3)
//        writes bench/results/cachemode.json
import fs from 'node:fs'
import path from 'node:path'
import { cleanup, du, machine, project, rmBuilder, scratch, sh, SPIN, start, stats, writeResult } from './lib.mjs'

const argv = process.argv.slice(2)
const repsAt = argv.indexOf('--reps')
const REPS = repsAt >= 0 ? Number(argv.splice(repsAt, 2)[1]) : 3
const N = Number(argv[0] ?? 10)
const { tmp, cfg } = scratch('cachemode')
const BASES = ['os-base', 'lambda-base', 'python-base']
const MODES = ['max', 'min']

/** Gives a control image a builder stage with a CPU step, consumed by its final stage. */
function addBuilderStage(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n')
  const at = lines.findIndex((l) => /^FROM\s/i.test(l))
  const base = lines[at].split(/\s+/)[1]
  lines.splice(at, 0, `FROM ${base} AS build`, `RUN ${SPIN}; mkdir -p /built && echo built > /built/tool`, '')
  fs.writeFileSync(file, lines.join('\n') + '\nCOPY --from=build /built /opt/built\n')
}

const tag = Math.random().toString(36).slice(2, 6)
const ps = {}
for (const m of MODES) {
  const p = await project(tmp, cfg, N, `cm${m}${tag}`, `[cache]\nmode = "${m}"\n`)
  for (const s of fs.readdirSync(path.join(p.dir, 'services')))
    if (!BASES.includes(s)) addBuilderStage(path.join(p.dir, 'services', s, 'Dockerfile'))
  start(p)
  ps[m] = p
}

const esb = (p) => {
  const r = sh(p, 'docker', ['esb', 'build', '--json'])
  return { s: r.s, report: JSON.parse(r.out) }
}
const hits = (report) =>
  Object.fromEntries(
    Object.entries(report.rebuilt ?? {}).map(([t]) => [
      t,
      report.targets[t] ? `${report.targets[t].cached}/${report.targets[t].total}` : '-',
    ]),
  )
const kindOf = (t) => (BASES.includes(t) ? 'bases' : t.startsWith('fn-') ? 'functions' : 'control')

const results = {
  date: new Date().toISOString(),
  machine: machine(),
  n: N,
  reps: REPS,
  cold_build_s: {},
  scenarios: {},
  local_cache_bytes_by_kind: {},
}
try {
  for (const m of MODES) results.cold_build_s[m] = +esb(ps[m]).s.toFixed(2)
  const scenarios = {
    function: {
      cold: false,
      edit: (p, i) => fs.appendFileSync(path.join(p.dir, 'functions', p.fns[i % p.fns.length], 'handler'), `echo edit ${i}\n`),
    },
    control: {
      cold: false,
      edit: (p, i) => fs.appendFileSync(path.join(p.dir, 'services', 'gateway', 'invoke.cgi'), `# edit ${i}\n`),
    },
    base: {
      cold: false,
      edit: (p, i) => fs.appendFileSync(path.join(p.dir, 'services', 'lambda-base', 'bootstrap'), `# edit ${i}\n`),
    },
    'cold-control': {
      cold: true,
      edit: (p, i) => fs.appendFileSync(path.join(p.dir, 'services', 'gateway', 'invoke.cgi'), `# cold edit ${i}\n`),
    },
    'cold-function': {
      cold: true,
      edit: (p, i) =>
        fs.appendFileSync(path.join(p.dir, 'functions', p.fns[(i + 5) % p.fns.length], 'handler'), `echo cold ${i}\n`),
    },
  }
  for (const [name, sc] of Object.entries(scenarios)) {
    const t = { max: [], min: [] }
    const h = { max: [], min: [] }
    for (let i = 0; i < REPS; i++) {
      for (const m of i % 2 ? [...MODES].reverse() : MODES) {
        const p = ps[m]
        if (sc.cold) rmBuilder(p)
        sc.edit(p, i)
        const r = esb(p)
        t[m].push(r.s)
        h[m].push(hits(r.report))
      }
    }
    results.scenarios[name] = {
      max: { ...stats(t.max), rebuilt_cached_of_steps: h.max },
      min: { ...stats(t.min), rebuilt_cached_of_steps: h.min },
      ratio_max_to_min: +(stats(t.max).median / stats(t.min).median).toFixed(3),
    }
    console.log(name, JSON.stringify(results.scenarios[name]))
  }
  for (const m of MODES) {
    const dir = path.join(ps[m].dir, `.${ps[m].brand}`, 'buildx-cache')
    const by = { bases: 0, control: 0, functions: 0 }
    for (const t of fs.readdirSync(dir)) by[kindOf(t)] += du(path.join(dir, t, 'current') + '/')
    results.local_cache_bytes_by_kind[m] = by
  }
} finally {
  for (const p of Object.values(ps)) cleanup(p)
}
results.command = `node bench/cachemode.mjs ${N} --reps ${REPS}`
writeResult('cachemode', results)
console.log(JSON.stringify(results, null, 2))
fs.rmSync(tmp, { recursive: true, force: true })
