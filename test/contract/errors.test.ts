// User-fixable failures print ONE line naming the path or lock and what to
// do, with the right exit code and no stack trace (the built bundle, a real
// registry, the fake docker).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { BUNDLE, FAKE_DOCKER, freePort, run, startRegistry, tmpdir } from '../lib/helpers.ts'
import { spawn } from 'node:child_process'

function oneLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('docker esb:'))
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
  } finally {
    await reg.stop()
  }
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
  } finally {
    await reg.stop()
  }
})

test('a read-only .<slug>/ folder: one line naming the path', async () => {
  const reg = await startRegistry()
  try {
    const dir = project(reg.port)
    const state = path.join(dir, '.acme')
    fs.mkdirSync(state)
    const rules = path.join(dir, 'rules.json')
    fs.writeFileSync(
      rules,
      JSON.stringify([{ match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) }]),
    )
    fs.chmodSync(state, 0o555)
    // root ignores permission bits: make the folder read-only the way root cannot write either
    const ro = process.getuid?.() === 0 ? run('mount', ['--bind', '-o', 'ro', state, state]) : null
    try {
      const r = run(BUNDLE, ['build'], {
        cwd: dir,
        env: { ...env, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules },
      })
      assert.is(r.code, 1, r.stderr)
      assert.match(
        oneLine(r.stderr),
        /cannot write \S*\/\.acme\/buildkitd\.toml: (the file system is read-only|permission denied)/,
      )
    } finally {
      if (ro?.code === 0) run('umount', [state])
      fs.chmodSync(state, 0o755)
    }
  } finally {
    await reg.stop()
  }
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
    fs.writeFileSync(
      rules,
      JSON.stringify([{ match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) }]),
    )
    const r = run(BUNDLE, ['build'], {
      cwd: dir,
      env: {
        ...env,
        DOCKER_ESB_LOCK_DIR: locks,
        DOCKER_ESB_LOCK_TIMEOUT: '1',
        DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER,
        FAKE_DOCKER_RULES: rules,
      },
    })
    assert.is(r.code, 1, r.stderr)
    assert.match(
      oneLine(r.stderr),
      new RegExp(`timed out after 1s waiting for the registry-${reg.port} lock held by pid ${process.pid}`),
    )
  } finally {
    await reg.stop()
  }
})

/** Runs the bundle without blocking this process (a server here must keep answering). */
function runAsync(args: string[], cwd: string, extra: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const e: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...extra }))
      if (v !== undefined && k !== 'PORT_REGISTRY' && k !== 'BUILDX_BUILDER') e[k] = v
    const p = spawn(BUNDLE, args, { cwd, env: e })
    let stderr = ''
    p.stderr.on('data', (d) => (stderr += d))
    p.on('exit', (code) => resolve({ code, stderr }))
  })
}

test('a server on the registry port that answers /v2/ but is no registry: one line, not reused', async () => {
  const port = await freePort()
  const srv = http.createServer((_q, r) => {
    r.writeHead(200)
    r.end('{}')
  })
  await new Promise<void>((ok) => srv.listen(port, '127.0.0.1', ok))
  try {
    const dir = project(port)
    const rules = path.join(dir, 'rules.json')
    fs.writeFileSync(
      rules,
      JSON.stringify([{ match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) }]),
    )
    const r = await runAsync(['build'], dir, { DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules })
    assert.is(r.code, 1, r.stderr)
    assert.match(oneLine(r.stderr), new RegExp(`registry port ${port} is held by .* which answers HTTP but is not a registry`))
  } finally {
    srv.close()
  }
})

test('a failed build names the failing step and its error', async () => {
  const reg = await startRegistry()
  try {
    const dir = project(reg.port)
    const rules = path.join(dir, 'rules.json')
    const vertex = (extra: object) =>
      JSON.stringify({
        vertexes: [{ digest: 'sha256:1', name: '[os-base 2/3] RUN exit 3', started: '2026-01-01T00:00:00Z', ...extra }],
      })
    fs.writeFileSync(
      rules,
      JSON.stringify([
        { match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) },
        { match: ['buildx', 'inspect'], stdout: 'Driver: docker-container\nDriver Options: network="host"\n' },
        {
          match: ['buildx', 'bake'],
          stdout: `${vertex({})}\n${vertex({ completed: '2026-01-01T00:00:01Z', error: 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3' })}\n`,
          exit: 1,
        },
      ]),
    )
    const r = run(BUNDLE, ['build'], {
      cwd: dir,
      env: { ...env, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules },
    })
    assert.is(r.code, 1, r.stderr)
    assert.match(
      oneLine(r.stderr),
      /\[os-base 2\/3\] RUN exit 3 failed: process "\/bin\/sh -c exit 3" did not complete successfully: exit code: 3/,
    )
  } finally {
    await reg.stop()
  }
})

test('import --from-engine whose docker save fails: one line, no docker-esb-save-* folder left in the temp dir', async () => {
  const reg = await startRegistry()
  try {
    const dir = project(reg.port)
    const tmp = tmpdir('esb-save-tmp-')
    const rules = path.join(dir, 'rules.json')
    fs.writeFileSync(
      rules,
      JSON.stringify([{ match: ['save'], stderr: 'Error response from daemon: reference does not exist\n', exit: 1 }]),
    )
    const r = run(BUNDLE, ['import', 'acme-fn-gone:latest', '--from-engine'], {
      cwd: dir,
      env: { ...env, TMPDIR: tmp, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules },
    })
    assert.is(r.code, 1, r.stderr)
    assert.match(oneLine(r.stderr), /docker save/)
    assert.equal(
      fs.readdirSync(tmp).filter((e) => e.startsWith('docker-esb-save-')),
      [],
    )
  } finally {
    await reg.stop()
  }
})

test('doctor against an engine that does not answer: FAIL lines with their fix on stdout, exit 1', () => {
  const dir = project(1)
  const rules = path.join(dir, 'rules.json')
  const down = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'
  fs.writeFileSync(
    rules,
    JSON.stringify([
      { match: ['buildx', 'version'], stdout: 'github.com/docker/buildx v0.12.1 x\n' },
      { match: ['compose', 'version'], stdout: '2.40.3\n' },
      { match: ['version'], stderr: down, exit: 1 },
      { match: ['buildx', 'inspect'], stderr: 'ERROR: no builder found\n', exit: 1 },
      { match: ['ps'], stderr: down, exit: 1 },
    ]),
  )
  const r = run(BUNDLE, ['doctor'], {
    cwd: dir,
    env: { ...env, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules },
  })
  assert.is(r.code, 1, r.stderr)
  assert.match(
    r.stdout,
    /^FAIL {2}engine +not reachable: Cannot connect to the Docker daemon at unix:\/\/\/var\/run\/docker\.sock\. Is the docker daemon running\?\n +fix: start Docker/m,
  )
  assert.match(r.stdout, /^FAIL {2}buildx +buildx 0\.12\.1\n +fix: install buildx >= 0\.17/m)
  assert.match(r.stdout, /^ok {4}compose +compose 2\.40\.3$/m)
  const j = JSON.parse(
    run(BUNDLE, ['doctor', '--format', 'json'], {
      cwd: dir,
      env: { ...env, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules },
    }).stdout,
  )
  assert.is(j.ok, false)
  assert.equal(
    j.checks.filter((c: { status: string }) => c.status === 'fail').map((c: { check: string }) => c.check),
    ['engine', 'buildx'],
  )
})

test.run()
