// User-fixable failures print ONE line naming the path or lock and what to
// do, with the right exit code and no stack trace (the built bundle, a real
// registry, the fake docker).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { BUNDLE, FAKE_DOCKER, run, startRegistry, tmpdir } from '../lib/helpers.ts'

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l.startsWith('docker esb:'))
  assert.is(lines.length, 1, stderr)
  assert.not.match(stderr, /internal error|\n\s+at /, 'no stack trace')
  return lines[0]
}

function project(port: number): string {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'esb.toml'), `brand = "acme"\n[registry]\nport = ${port}\n`)
  fs.writeFileSync(path.join(dir, 'docker-bake.hcl'), '# the fake docker answers bake --print\n')
  return dir
}

const env = { PORT_REGISTRY: undefined, BUILDX_BUILDER: undefined }

test('export -o into a folder that does not exist: one line naming it', async () => {
  const reg = await startRegistry()
  try {
    const dir = project(reg.port)
    const r = run(BUNDLE, ['export', 'fn-hello', '-o', '/nonexistent/x.tar'], { cwd: dir, env })
    assert.is(r.code, 1)
    assert.match(oneLine(r.stderr), /\/nonexistent: no such file or folder/)
  } finally { await reg.stop() }
})

test('export -o an existing folder: one line, the folder untouched', async () => {
  const reg = await startRegistry()
  try {
    const dir = project(reg.port)
    const out = path.join(dir, 'out')
    fs.mkdirSync(out)
    fs.writeFileSync(path.join(out, 'keep'), 'x')
    const r = run(BUNDLE, ['export', 'fn-hello', '-o', out], { cwd: dir, env })
    assert.is(r.code, 1)
    assert.match(oneLine(r.stderr), /out: it is a folder; give a file path/)
    assert.equal(fs.readdirSync(out), ['keep'])
  } finally { await reg.stop() }
})

test('a read-only .<slug>/ folder: one line naming the path', async () => {
  const reg = await startRegistry()
  try {
    const dir = project(reg.port)
    const state = path.join(dir, '.acme')
    fs.mkdirSync(state)
    const rules = path.join(dir, 'rules.json')
    fs.writeFileSync(rules, JSON.stringify([{ match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) }]))
    fs.chmodSync(state, 0o555)
    // root ignores permission bits: make the folder read-only the way root cannot write either
    const ro = process.getuid?.() === 0 ? run('mount', ['--bind', '-o', 'ro', state, state]) : null
    try {
      const r = run(BUNDLE, ['build'], { cwd: dir, env: { ...env, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules } })
      assert.is(r.code, 1, r.stderr)
      assert.match(oneLine(r.stderr), /cannot write \S*\/\.acme\/buildkitd\.toml: (the file system is read-only|permission denied)/)
    } finally {
      if (ro?.code === 0) run('umount', [state])
      fs.chmodSync(state, 0o755)
    }
  } finally { await reg.stop() }
})

test('a lock held past the timeout: one line naming the lock and its holder', async () => {
  const reg = await startRegistry()
  try {
    const dir = project(reg.port)
    const locks = tmpdir('esb-locks-')
    // a live holder (this test process) keeps the registry lock
    const held = path.join(locks, `registry-${reg.port}`, 'mutex')
    fs.mkdirSync(held, { recursive: true })
    fs.writeFileSync(path.join(held, 'pid'), String(process.pid))
    const rules = path.join(dir, 'rules.json')
    fs.writeFileSync(rules, JSON.stringify([{ match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) }]))
    const r = run(BUNDLE, ['build'], { cwd: dir, env: { ...env, DOCKER_ESB_LOCK_DIR: locks, DOCKER_ESB_LOCK_TIMEOUT: '1', DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules } })
    assert.is(r.code, 1, r.stderr)
    assert.match(oneLine(r.stderr), new RegExp(`timed out after 1s waiting for the registry-${reg.port} lock held by pid ${process.pid}`))
  } finally { await reg.stop() }
})

test.run()
