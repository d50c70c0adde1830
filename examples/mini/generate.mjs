#!/usr/bin/env node
// node generate.mjs N DIR: writes examples/mini into DIR with N functions
// (fn-001 ... fn-N, each FROM lambda-base with its own data), for scale tests.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const [n, out] = [Number(process.argv[2]), process.argv[3]]
if (!Number.isInteger(n) || n < 1 || !out) { console.error('usage: node generate.mjs N DIR'); process.exit(2) }
const here = path.dirname(fileURLToPath(import.meta.url))
fs.mkdirSync(out, { recursive: true })
for (const part of ['esb.toml', 'services']) fs.cpSync(path.join(here, part), path.join(out, part), { recursive: true })
// keep `hello`: the agents fetch it to prove the registry path
fs.cpSync(path.join(here, 'functions', 'hello'), path.join(out, 'functions', 'hello'), { recursive: true })
for (let i = 1; i < n; i++) {
  const name = `fn${String(i).padStart(3, '0')}`
  const dir = path.join(out, 'functions', name)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'handler'), `#!/bin/sh\necho "${name}: $*"\n`, { mode: 0o755 })
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM lambda-base\nCOPY handler /var/task/handler\nRUN echo ${name} > /var/task/NAME && head -c 262144 /dev/urandom > /var/task/data.bin && sha256sum /var/task/data.bin > /var/task/SHA256SUMS\n`)
}
console.log(`wrote ${out} with ${n} functions`)
