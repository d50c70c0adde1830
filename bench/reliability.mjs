// The reliability figure (issue 11): hostile-input and fault cases tried per
// class and how many held, so one release can be compared with the next.
//   fuzz     test/fuzz/*: generated config, .env, brands, templates and OCI
//            archives; each property tried FUZZ_RUNS times (cases = runs)
//   signal   test/contract/signals.test.ts: SIGINT/SIGTERM with no docker
//            child (registry that never answers, lock wait)
//   hostile  test/hostile/*: hostile repos (env files, config, outputs, state
//            folder...) with sentinels outside, a canary program and a canary
//            registry (one case per test; no engine)
//   fault    test/e2e/faults.test.ts on the real engine: builder killed,
//            registry removed, signals during bake, read-only state folder,
//            full disk, foreign registry (one case per test)
// Needs dist/docker-esb (make build) and the engine (bash test/e2e/engine/provision.sh).
// Usage: node bench/reliability.mjs [FUZZ_RUNS] [--seed S]   (default 300, seed 1)
//        writes bench/results/reliability.json
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { machine, root, writeResult } from './lib.mjs'

const argv = process.argv.slice(2)
const seedAt = argv.indexOf('--seed')
const SEED = seedAt >= 0 ? argv.splice(seedAt, 2)[1] : '1'
const RUNS = Number(argv[0] ?? 300)

/** Runs one test file with uvu; its Total and Passed counts. */
function uvu(layer, file, env = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-reliability-'))
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), path.join('test', layer), `^${file.replace('.', '\\.')}$`],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      maxBuffer: 64 << 20,
    },
  )
  fs.rmSync(tmp, { recursive: true, force: true })
  const num = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(r.stdout)?.[1] ?? 0)
  if (num('Total') !== num('Passed')) process.stderr.write(r.stdout.slice(-4000))
  return { total: num('Total'), passed: num('Passed') }
}

const classes = {}
const add = (cls, name, tried, passed) => {
  const c = (classes[cls] ??= { tried: 0, passed: 0, files: {} })
  c.tried += tried
  c.passed += passed
  c.files[name] = { tried, passed }
}

for (const f of fs
  .readdirSync(path.join(root, 'test', 'fuzz'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort()) {
  const r = uvu('fuzz', f, { FUZZ_RUNS: String(RUNS), FUZZ_SEED: SEED })
  // a property that held held for every run; a failed one counts as one failed case
  add('fuzz', f, r.total * RUNS, r.passed * RUNS)
}
const s = uvu('contract', 'signals.test.ts')
add('signal', 'signals.test.ts', s.total, s.passed)
for (const f of fs
  .readdirSync(path.join(root, 'test', 'hostile'))
  .filter((f) => f.endsWith('.test.ts'))
  .sort()) {
  const r = uvu('hostile', f)
  add('hostile', f, r.total, r.passed)
}
const out = path.join(os.tmpdir(), `esb-faults-${process.pid}.json`)
uvu('e2e', 'faults.test.ts', { ESB_RELIABILITY: out })
for (const o of fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : [])
  add(`fault/${o.class}`, o.case, 1, o.passed ? 1 : 0)
fs.rmSync(out, { force: true })

const total = Object.values(classes).reduce((a, c) => ({ tried: a.tried + c.tried, passed: a.passed + c.passed }), {
  tried: 0,
  passed: 0,
})
const results = {
  date: new Date().toISOString(),
  machine: machine(),
  fuzz_runs: RUNS,
  fuzz_seed: SEED,
  classes,
  total,
  command: `node bench/reliability.mjs ${RUNS} --seed ${SEED}`,
}
writeResult('reliability', results)
console.log(JSON.stringify(results, null, 2))
