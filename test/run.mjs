// Runs uvu over the given test layers (unit, contract, e2e) and ends with
// the plain line `N passed, N failed` that CI reads. Exit 1 on any failure.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { leftovers, removeLeftovers } from './leaks.mjs'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
// Arguments naming a folder of test/ are layers; any other argument picks
// files by name in them (`node test/run.mjs e2e adopt`: test/e2e/adopt.test.ts).
const args = process.argv.slice(2)
const isLayer = (a) =>
  /^[\w-]+$/.test(a) && fs.existsSync(path.join(root, 'test', a)) && fs.statSync(path.join(root, 'test', a)).isDirectory()
const layers = args.filter(isLayer)
const files = args.filter((a) => !isLayer(a))
if (!layers.length) {
  console.error('usage: node test/run.mjs unit|contract|e2e ... [FILE ...]   (FILE: a test file name without .test.ts)')
  process.exit(2)
}
const pattern = files.length
  ? `(^|/)(${files.map((f) => f.replace(/\.test\.ts$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\.test\\.ts$`
  : '\\.test\\.ts$'
// a hung layer must fail, not eat CI's time
const LIMIT_MIN = { unit: 5, contract: 15, e2e: 50 }
let passed = 0,
  failed = 0,
  skipped = 0
for (const layer of layers) {
  console.log(`\n== ${layer} ==`)
  // every temp folder the tests (and the plugin under test) make goes here, and is removed afterwards
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `esb-tests-${layer}-`))
  // e2e names carry this run's id, so that what a test leaves is found (test/leaks.mjs)
  const runId = Math.random().toString(36).slice(2, 5)
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), path.join('test', layer), pattern],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, TMPDIR: tmp, ESB_E2E_RUN: runId, NO_COLOR: '1', FORCE_COLOR: '0' },
      maxBuffer: 256 << 20,
      timeout: (LIMIT_MIN[layer] ?? 30) * 60_000,
      killSignal: 'SIGKILL',
    },
  )
  const left = layer === 'e2e' ? leftovers(runId, tmp) : []
  fs.rmSync(tmp, { recursive: true, force: true })
  if (left.length) {
    console.log(`${layer}: left behind after the run (now removed):\n${left.map((l) => `  ${l.kind} ${l.name}`).join('\n')}`)
    removeLeftovers(left)
    failed += 1
  }
  if (res.error?.code === 'ETIMEDOUT') console.log(`${layer}: stopped after ${LIMIT_MIN[layer] ?? 30} minutes`)
  process.stdout.write(res.stdout ?? '')
  const num = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(res.stdout ?? '')?.[1] ?? NaN)
  const total = num('Total'),
    ok = num('Passed'),
    sk = num('Skipped')
  if (Number.isNaN(total)) {
    failed += 1
    console.log(`${layer}: uvu gave no summary (exit ${res.status}); counted as 1 failure`)
    continue
  }
  passed += ok
  skipped += sk
  const bad = total - ok - sk
  failed += bad > 0 ? bad : res.status !== 0 ? 1 : 0
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
