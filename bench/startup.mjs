// Startup benchmark: the metadata call (docker makes it on EVERY `docker esb`
// and for every plugin on `docker --help`) against `node -e 0`, and
// `docker esb --help` through the docker CLI against `docker compose --help`
// (another plugin, a Go binary).
// Runs alternate, so machine noise hits both sides alike; medians compared.
// Usage: node bench/startup.mjs [runs]   (writes bench/results/startup.json)
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const bundle = path.join(root, 'dist', 'docker-esb')
const runs = Number(process.argv[2] ?? 40)
const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-bench-'))
// our plugin, plus Debian's compose (test/e2e/engine/plugins.sh) as the plugin to compare with
fs.writeFileSync(
  path.join(cfg, 'config.json'),
  JSON.stringify({ cliPluginsExtraDirs: [path.join(root, 'dist'), path.join(root, '.tools', 'cli-plugins')] }),
)

const cases = {
  'node -e 0': [process.execPath, ['-e', '0']],
  'docker-esb docker-cli-plugin-metadata': [bundle, ['docker-cli-plugin-metadata']],
  'docker --help (plugin installed)': ['docker', ['--config', cfg, '--help']],
  'docker esb --help': ['docker', ['--config', cfg, 'esb', '--help']],
  'docker compose --help': ['docker', ['--config', cfg, 'compose', '--help']],
}
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]))
for (let i = 0; i < runs + 3; i++) {
  for (const [name, [cmd, args]] of Object.entries(cases)) {
    const t0 = process.hrtime.bigint()
    const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] })
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`)
    if (i >= 3) times[name].push(ms) // first runs warm caches
  }
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)]
}
const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, +median(v).toFixed(2)]))
const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} cpu, ${os.cpus()[0]?.model}, node ${process.version}`,
  runs,
  median_ms: med,
  ratios: {
    'metadata / node -e 0': +(med['docker-esb docker-cli-plugin-metadata'] / med['node -e 0']).toFixed(3),
    'docker esb --help / docker compose --help': +(med['docker esb --help'] / med['docker compose --help']).toFixed(3),
  },
  target: 'metadata / node -e 0 <= 1.3',
  command: `node bench/startup.mjs ${runs}`,
}
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true })
fs.writeFileSync(path.join(root, 'bench', 'results', 'startup.json'), JSON.stringify(result, null, 2) + '\n')
fs.rmSync(cfg, { recursive: true })
console.log(JSON.stringify(result, null, 2))
