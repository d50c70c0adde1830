// Ctrl-C and SIGTERM where no docker child runs (issue 11.3): images,
// export and import waiting on a registry that never answers, and a build
// waiting on a lock. Each stops within about a second with 130/143, one line,
// and leaves no partial file.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { BUNDLE, FAKE_DOCKER, freePort, startRegistry, tmpdir } from '../lib/helpers.ts'

/** A server that accepts connections and never answers: a registry stuck mid-request. */
async function silentServer(): Promise<{ port: number; close: () => void }> {
  const port = await freePort()
  const sockets = new Set<net.Socket>()
  const srv = net.createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
  })
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()))
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy()
      srv.close()
    },
  }
}

function project(port: number): string {
  const d = tmpdir('esb-sig-')
  fs.writeFileSync(path.join(d, 'esb.toml'), `brand = "acme"\n[registry]\nport = ${port}\n`)
  return d
}

/** Starts the bundle, waits until `ready` shows on stderr (or `after` ms), sends `sig`; resolves with the exit and how long it took. */
function interrupt(
  args: string[],
  cwd: string,
  sig: 'SIGINT' | 'SIGTERM',
  o: { env?: Record<string, string>; ready?: RegExp; after?: number } = {},
): Promise<{ code: number | null; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...o.env }))
      if (v !== undefined && k !== 'PORT_REGISTRY' && k !== 'BUILDX_BUILDER') env[k] = v
    const p = spawn(BUNDLE, args, { cwd, env })
    let stderr = ''
    let t0 = 0
    const fire = () => {
      if (!t0) {
        t0 = Date.now()
        p.kill(sig)
      }
    }
    p.stderr.on('data', (d) => {
      stderr += d
      if (o.ready?.test(stderr)) fire()
    })
    if (!o.ready) setTimeout(fire, o.after ?? 700)
    p.on('exit', (code) => resolve({ code, stderr, ms: t0 ? Date.now() - t0 : -1 }))
  })
}

const lines = (s: string) => s.trim().split('\n').filter(Boolean)

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${sig} while images and export wait on a registry: exit ${code} within a second, no partial file`, async () => {
    const srv = await silentServer()
    const dir = project(srv.port)
    try {
      const img = await interrupt(['images'], dir, sig)
      assert.is(img.code, code, img.stderr)
      assert.ok(img.ms >= 0 && img.ms < 1500, `images stopped after ${img.ms} ms`)
      assert.equal(lines(img.stderr), [`docker esb: cancelled by ${sig}`])
      const out = path.join(dir, 'out.tar')
      const ex = await interrupt(['export', 'fn-hello', '-o', out], dir, sig)
      assert.is(ex.code, code, ex.stderr)
      assert.ok(ex.ms < 1500, `export stopped after ${ex.ms} ms`)
      assert.equal(
        fs.readdirSync(dir).filter((f) => f.startsWith('out.tar')),
        [],
        'no archive and no partial file',
      )
    } finally {
      srv.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
}

test('SIGTERM while import reads from a registry that never answers: exit 143, no tag written', async () => {
  const dst = await startRegistry()
  const src = await silentServer()
  const dir = project(dst.port)
  try {
    const r = await interrupt(['import', `127.0.0.1:${src.port}/x/app:1`], dir, 'SIGTERM')
    assert.is(r.code, 143, r.stderr)
    assert.ok(r.ms < 1500, `import stopped after ${r.ms} ms`)
    const cat = (await (await fetch(`${dst.url}/v2/_catalog`)).json()) as { repositories?: string[] }
    assert.equal(cat.repositories ?? [], [], 'nothing in the destination')
  } finally {
    src.close()
    await dst.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('SIGINT during a lock wait: the wait says what it waits for, then exit 130 within a second', async () => {
  const reg = await startRegistry()
  const dir = project(reg.port)
  const locks = tmpdir('esb-locks-')
  try {
    // a live holder (this test process) keeps the registry lock; the wait is the default (long) one
    const held = path.join(locks, `registry-${reg.port}`, 'mutex')
    fs.mkdirSync(held, { recursive: true })
    fs.writeFileSync(path.join(held, 'pid'), String(process.pid))
    fs.writeFileSync(path.join(dir, 'docker-bake.hcl'), '')
    const rules = path.join(dir, 'rules.json')
    fs.writeFileSync(
      rules,
      JSON.stringify([{ match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) }]),
    )
    const r = await interrupt(['build'], dir, 'SIGINT', {
      ready: /waiting for/,
      env: { DOCKER_ESB_LOCK_DIR: locks, DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER, FAKE_DOCKER_RULES: rules },
    })
    assert.match(r.stderr, new RegExp(`waiting for the registry-${reg.port} lock \\(held by pid ${process.pid}\\)`))
    assert.is(r.code, 130, r.stderr)
    assert.ok(r.ms < 1000, `stopped after ${r.ms} ms`)
    assert.ok(fs.existsSync(held), "the holder's lock is left alone")
    assert.equal(fs.readdirSync(path.join(dir, '.acme', 'runs')), [], 'no run folder left')
  } finally {
    await reg.stop()
    fs.rmSync(dir, { recursive: true, force: true })
    fs.rmSync(locks, { recursive: true, force: true })
  }
})

test.run()
