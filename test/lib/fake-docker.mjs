#!/usr/bin/env node
// A fake `docker` for contract tests of orchestration and error paths.
// Appends {argv, env, cwd, t} (t: when it started, ms) as one JSON line to $FAKE_DOCKER_LOG, then answers by
// the first rule in $FAKE_DOCKER_RULES (JSON list) whose `match` tokens all
// appear in argv in order: { match, stdout, stderr, exit, sleep }.
import fs from 'node:fs'
import path from 'node:path'

const argv = process.argv.slice(2)
const keep = [
  'BUILDX_BUILDER',
  'CONTAINER_REGISTRY',
  'HOST_REGISTRY_ADDR',
  'PORT_REGISTRY',
  'PROJECT_NAME',
  'ESB_TAG',
  'ESB_REGISTRY',
  'ACME_PROD_TAG',
  'NODE_EXTRA_CA_CERTS',
  'DOCKER_ESB_NODE_EXTRA_CA_CERTS',
]
const env = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]))
if (process.env.FAKE_DOCKER_LOG)
  fs.appendFileSync(process.env.FAKE_DOCKER_LOG, JSON.stringify({ argv, env, cwd: process.cwd(), t: Date.now() }) + '\n')
const rules = process.env.FAKE_DOCKER_RULES ? JSON.parse(fs.readFileSync(process.env.FAKE_DOCKER_RULES, 'utf8')) : []
const matches = (m) => {
  let i = 0
  for (const a of argv) if (a === m[i]) i++
  return i === m.length
}
// like a current buildx unless a rule says otherwise
const builtin = [{ match: ['buildx', 'version'], stdout: 'github.com/docker/buildx v0.29.1 fake\n' }]
const rule = rules.find((r) => matches(r.match)) ?? builtin.find((r) => matches(r.match)) ?? {}
// like buildx: a metadata file when asked for one (rule.metadata, else {})
const mi = argv.indexOf('--metadata-file')
if (mi >= 0 && !rule.exit) fs.writeFileSync(argv[mi + 1], JSON.stringify(rule.metadata ?? {}))
// with $FAKE_DOCKER_BUILDX_STORE, `buildx create` leaves its entry in buildx's store as buildx does
const ci = argv.indexOf('create')
if (process.env.FAKE_DOCKER_BUILDX_STORE && argv[ci - 1] === 'buildx' && !rule.exit) {
  const name = argv[argv.indexOf('--name') + 1]
  const dir = path.join(process.env.DOCKER_CONFIG, 'buildx', 'instances')
  fs.mkdirSync(dir, { recursive: true })
  const opts = Object.fromEntries(argv.flatMap((a, i) => (argv[i - 1] === '--driver-opt' ? [a.split('=')] : [])))
  const node = { Name: `${name}0`, DriverOpts: opts }
  fs.writeFileSync(
    path.join(dir, name),
    JSON.stringify({ Name: name, Driver: argv[argv.indexOf('--driver') + 1], Nodes: [node] }),
  )
}
if (rule.stdout) process.stdout.write(rule.stdout)
if (rule.stderr) process.stderr.write(rule.stderr)
const finish = () => process.exit(rule.exit ?? 0)
if (rule.sleep) {
  // stay alive until killed; record the signal we got
  const onSig = (s) => {
    if (process.env.FAKE_DOCKER_LOG) fs.appendFileSync(process.env.FAKE_DOCKER_LOG, JSON.stringify({ signal: s }) + '\n')
    process.exit(s === 'SIGINT' ? 130 : 143)
  }
  process.on('SIGINT', () => onSig('SIGINT'))
  process.on('SIGTERM', () => onSig('SIGTERM'))
  setTimeout(finish, rule.sleep * 1000)
} else finish()
