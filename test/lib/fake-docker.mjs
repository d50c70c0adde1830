#!/usr/bin/env node
// A fake `docker` for contract tests of orchestration and error paths.
// Appends {argv, env} as one JSON line to $FAKE_DOCKER_LOG, then answers by
// the first rule in $FAKE_DOCKER_RULES (JSON list) whose `match` tokens all
// appear in argv in order: { match, stdout, stderr, exit, sleep }.
import fs from 'node:fs'

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
]
const env = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]))
if (process.env.FAKE_DOCKER_LOG)
  fs.appendFileSync(process.env.FAKE_DOCKER_LOG, JSON.stringify({ argv, env, cwd: process.cwd() }) + '\n')
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
