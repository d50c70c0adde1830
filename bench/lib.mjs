// Shared by the engine benchmarks: a generated examples/mini project with a
// ~2 s CPU step in every function and base, its own local registry holding
// busybox, and small helpers for timing docker commands.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
export const BUSYBOX = 'busybox:1.36'
export const SPIN = 'i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done' // ~2 s of CPU in busybox sh

/** A scratch folder under bench/tmp with a DOCKER_CONFIG that finds dist/docker-esb. */
export function scratch(name) {
  const tmp = path.join(root, 'bench', 'tmp', name)
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(tmp, { recursive: true })
  const cfg = path.join(tmp, 'docker-config')
  fs.mkdirSync(cfg)
  fs.writeFileSync(
    path.join(cfg, 'config.json'),
    JSON.stringify({ cliPluginsExtraDirs: [path.join(root, 'dist'), path.join(root, '.tools', 'cli-plugins')] }),
  )
  return { tmp, cfg }
}

export const freePort = () =>
  new Promise((res) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => res(p))
    })
  })

/** Runs a command in the project, timed; throws with stderr's tail on failure. */
export function sh(p, cmd, args, extra = {}) {
  const env = {
    ...process.env,
    DOCKER_CONFIG: p.cfg,
    PORT_REGISTRY: String(p.port),
    [`${p.prefix}_UPSTREAM_BASE`]: `127.0.0.1:${p.port}/library/${BUSYBOX}`,
    BUILDX_BUILDER: '',
    ...extra,
  }
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, args, { cwd: p.dir, env, encoding: 'utf8', maxBuffer: 256 << 20 })
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${(r.stderr ?? '').slice(-3000)}`)
  return { s, out: r.stdout, err: r.stderr }
}

export const du = (dir) => Number(spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout.split('\t')[0] || 0)
export const stats = (a) => {
  const s = [...a].sort((x, y) => x - y)
  return {
    median: +s[Math.floor(s.length / 2)].toFixed(2),
    min: +s[0].toFixed(2),
    max: +s[s.length - 1].toFixed(2),
    runs: a.map((x) => +x.toFixed(2)),
  }
}
export const machine = () => `${os.cpus().length} cpu, ${os.cpus()[0]?.model ?? ''}, node ${process.version}`

/** Generates examples/mini with n functions into <tmp>/<brand>, starts its registry and pushes busybox into it. `toml`: extra esb.toml lines. */
export async function project(tmp, cfg, n, brand, toml = '') {
  const p = { n, brand, cfg, prefix: brand.toUpperCase(), port: await freePort(), dir: path.join(tmp, brand) }
  spawnSync(process.execPath, [path.join(root, 'examples/mini/generate.mjs'), String(n), p.dir])
  fs.writeFileSync(path.join(p.dir, 'esb.toml'), `brand = "${brand}"\n${toml}[templates]\nrender = true\n`)
  // a CPU step in every function and base, so that a cache miss costs what it would in a real repo
  for (const f of fs.readdirSync(path.join(p.dir, 'functions')))
    fs.appendFileSync(path.join(p.dir, 'functions', f, 'Dockerfile'), `RUN ${SPIN}\n`)
  for (const b of ['os-base', 'lambda-base', 'python-base'])
    fs.appendFileSync(path.join(p.dir, 'services', b, 'Dockerfile'), `RUN ${SPIN}\n`)
  p.fns = fs.readdirSync(path.join(p.dir, 'functions')).sort()
  return p
}

/** After the project's files are final: renders, starts the registry, pushes busybox. */
export function start(p) {
  sh(p, 'docker', ['esb', 'render'])
  sh(p, 'docker', ['compose', '-p', `${p.brand}-infra`, '-f', 'docker-compose.infra.yml', 'up', '-d', '--wait', 'registry'])
  if (spawnSync('docker', ['image', 'inspect', BUSYBOX]).status !== 0) sh(p, 'docker', ['pull', BUSYBOX])
  sh(p, 'docker', ['tag', BUSYBOX, `127.0.0.1:${p.port}/library/${BUSYBOX}`])
  sh(p, 'docker', ['push', '-q', `127.0.0.1:${p.port}/library/${BUSYBOX}`])
}

export const builder = (p) => `${p.brand}-buildx`
export const rmBuilder = (p) =>
  spawnSync('docker', ['buildx', 'rm', '-f', builder(p)], { env: { ...process.env, DOCKER_CONFIG: p.cfg } })

/** Removes the project's stack, registry, builder and folder. */
export function cleanup(p, env = {}) {
  const down = (project, file, extra, more = []) => {
    try {
      sh(p, 'docker', ['compose', '-p', project, '-f', file, 'down', '-v', '-t', '1', ...more], extra)
    } catch (e) {
      console.error(e.message)
    }
  }
  down(`${p.brand}-default`, 'docker-compose.docker.yml', env, ['--rmi', 'all']) // the images up pulled into the engine
  down(`${p.brand}-infra`, 'docker-compose.infra.yml', {})
  rmBuilder(p)
  fs.rmSync(p.dir, { recursive: true, force: true })
}

export function writeResult(name, results) {
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true })
  fs.writeFileSync(path.join(root, 'bench', 'results', `${name}.json`), JSON.stringify(results, null, 2) + '\n')
}
