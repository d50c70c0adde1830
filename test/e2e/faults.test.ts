// Faults on the real engine (issue 11): the builder killed and the registry
// removed mid-build, SIGINT and SIGTERM during bake, a read-only .<slug>/, a
// full disk under the cache folder, a foreign registry on the port. Each: the
// run stops with one line, the next run recovers with no manual step, and no
// image, tag, cache `current` or foreign container is lost.
// When ESB_RELIABILITY names a file, the cases and their outcome go there
// (bench/reliability.mjs collects them).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { Project, must } from './project.ts'
import { freePort, run, type Ran } from '../lib/helpers.ts'

let p: Project
const outcomes: { class: string; case: string; passed: boolean }[] = []

test.before(async () => {
  p = await Project.create()
  // a step that takes long enough to be interrupted in
  fs.appendFileSync(path.join(p.dir, 'functions', 'hello', 'Dockerfile'), 'RUN sleep 8\n')
  p.seed()
  must(p.esb(['build']), 'first build')
})
test.after(() => {
  if (process.env.ESB_RELIABILITY) fs.writeFileSync(process.env.ESB_RELIABILITY, JSON.stringify(outcomes, null, 2) + '\n')
  p?.cleanup()
})

/** A fault case: its outcome is recorded for bench/results/reliability.json. */
function fault(cls: string, name: string, fn: () => Promise<void> | void): void {
  test(`${cls}: ${name}`, async () => {
    try {
      await fn()
      outcomes.push({ class: cls, case: name, passed: true })
    } catch (e) {
      outcomes.push({ class: cls, case: name, passed: false })
      throw e
    }
  })
}

const ACCEPT =
  'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json'
/** GET on the project's registry; a new connection each time (fetch would reuse one to a registry container removed since). */
const registryJson = (url: string): Promise<{ body: any; digest: string | null } | null> =>
  new Promise((resolve, reject) => {
    http
      .get(`http://${p.registry}${url}`, { agent: false, headers: { Accept: ACCEPT } }, (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () =>
          resolve(
            res.statusCode === 200
              ? { body: JSON.parse(text), digest: String(res.headers['docker-content-digest'] ?? '') || null }
              : null,
          ),
        )
      })
      .on('error', reject)
  })

/** Every tag of the project's registry -> its digest. */
async function tags(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const repo of ((await registryJson('/v2/_catalog?n=1000'))?.body.repositories ?? []) as string[]) {
    for (const t of ((await registryJson(`/v2/${repo}/tags/list`))?.body.tags ?? []) as string[])
      out[`${repo}:${t}`] = (await registryJson(`/v2/${repo}/manifests/${t}`))?.digest ?? 'gone'
  }
  return out
}

/** Each target's cache `current` -> the export it points at, which must be complete. */
function currents(dir = p.cacheDir): Record<string, string> {
  const out: Record<string, string> = {}
  for (const t of fs.readdirSync(dir)) {
    if (t === 'filler') continue
    const cur = path.join(dir, t, 'current')
    out[t] = fs.readlinkSync(cur)
    assert.ok(fs.existsSync(path.join(cur, 'index.json')), `${t}: current is a complete export`)
  }
  return out
}

/** Nothing lost since `before`: every tag still there (same digest unless `changed` names its target), every current complete. */
async function intact(before: Record<string, string>, changed = 'fn-hello'): Promise<void> {
  const now = await tags()
  for (const [ref, digest] of Object.entries(before)) {
    assert.ok(now[ref], `${ref} still tagged`)
    // the changed target's image and its registry cache (<slug>-cache/<target>:cache) are new
    if (!new RegExp(`[-/]${changed}:`).test(ref)) assert.is(now[ref], digest, `${ref} unchanged`)
  }
  currents()
  assert.equal(fs.readdirSync(path.join(p.dir, `.${p.brand}`, 'runs')), [], 'no run folder left')
}

function oneLine(r: Ran): string {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('docker esb:'))
  assert.is(lines.length, 1, r.stderr.slice(-2000))
  assert.not.match(r.stderr, /internal error|\n\s+at /)
  return lines[0]
}

/** A build with hello edited, in its own process group (as a terminal runs it); `during` runs once bake is in hello's slow step. */
function interrupted(during: (pid: number) => void): Promise<Ran> {
  fs.appendFileSync(path.join(p.dir, 'functions', 'hello', 'handler'), `echo ${Date.now()}\n`)
  const e: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...p.env() })) if (v !== undefined) e[k] = v
  return new Promise((resolve) => {
    const c = spawn('docker', ['esb', 'build'], { cwd: p.dir, env: e, detached: true })
    let stdout = '',
      stderr = '',
      fired = false
    c.stdout.on('data', (d) => (stdout += d))
    c.stderr.on('data', (d) => {
      stderr += d
      // the bake of fn-hello has started; its 8 s step runs a few seconds later
      if (!fired && /^# build /m.test(stderr)) {
        fired = true
        setTimeout(() => during(c.pid!), 4000)
      }
    })
    c.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}

const recovers = () => {
  const r = must(p.esb(['build', '--json']), 'the next build')
  assert.equal(Object.keys(JSON.parse(r.stdout).rebuilt ?? {}), ['fn-hello'], 'only the interrupted change is built')
}

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  fault('signal', `${sig} during bake: exit ${code}, one line, the next build recovers`, async () => {
    const before = await tags()
    const r = await interrupted((pid) => process.kill(-pid, sig))
    assert.is(r.code, code, r.stderr.slice(-2000))
    assert.match(oneLine(r), new RegExp(`cancelled by ${sig}`))
    await intact(before)
    recovers()
    await intact(before)
  })
}

fault('engine', 'builder killed mid-build: one line, the next build restarts it', async () => {
  const before = await tags()
  const r = await interrupted(() => run('docker', ['kill', `buildx_buildkit_${p.builder}0`]))
  assert.is.not(r.code, 0)
  oneLine(r)
  await intact(before)
  recovers()
  await intact(before)
})

fault('engine', 'registry container removed mid-build: one line, the next build starts it again, its data kept', async () => {
  const before = await tags()
  const r = await interrupted(() => run('docker', ['rm', '-f', `${p.brand}-infra-registry`]))
  assert.is.not(r.code, 0)
  oneLine(r)
  recovers()
  await intact(before)
})

fault('engine', 'registry container removed between builds: the next build starts it, nothing rebuilt', async () => {
  const before = await tags()
  must(p.docker(['rm', '-f', `${p.brand}-infra-registry`]), 'rm registry')
  const r = JSON.parse(must(p.esb(['build', '--json']), 'build').stdout)
  assert.equal(r.rebuilt ?? {}, {})
  await intact(before, 'none')
})

const root = process.getuid?.() === 0

async function waitFor(url: string): Promise<void> {
  const ok = () =>
    new Promise<boolean>((r) =>
      http
        .get(url, { agent: false }, (res) => {
          res.resume()
          r(res.statusCode === 200)
        })
        .on('error', () => r(false)),
    )
  for (let i = 0; i < 100; i++) {
    if (await ok()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} never answered`)
}

fault('disk', 'a read-only .<slug>/: one line naming it, nothing written; writable again, the next build recovers', async () => {
  if (!root) {
    console.log('  (skipped: needs root to mount)')
    return
  }
  const before = await tags()
  const state = path.join(p.dir, `.${p.brand}`)
  must(run('mount', ['--bind', state, state]), 'bind')
  try {
    must(run('mount', ['-o', 'remount,ro,bind', state]), 'remount ro')
    fs.appendFileSync(path.join(p.dir, 'functions', 'hello', 'handler'), 'echo ro\n')
    const r = p.esb(['build'])
    assert.is(r.code, 1)
    assert.match(oneLine(r), new RegExp(`${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*read-only`))
  } finally {
    run('umount', [state])
  }
  recovers()
  await intact(before)
})

fault(
  'disk',
  "the cache folder's disk full: one line naming it, current kept; space freed, the next build recovers",
  async () => {
    if (!root) {
      console.log('  (skipped: needs root to mount)')
      return
    }
    const before = await tags()
    const mnt = path.join(p.dir, 'smallcache')
    fs.mkdirSync(mnt)
    must(run('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mnt]), 'mount tmpfs')
    try {
      fs.appendFileSync(path.join(p.dir, 'esb.toml'), '[cache]\ndir = "smallcache"\n')
      must(p.esb(['build', '--no-skip']), 'a build that fills the new cache folder')
      const full = currents(mnt)
      // leave about 100 KB: the next export cannot fit
      const free = Number(run('df', ['--output=avail', '-B1', mnt]).stdout.split('\n')[1])
      must(run('fallocate', ['-l', String(Math.max(0, free - 100_000)), path.join(mnt, 'filler')]), 'fill')
      const r = await interrupted(() => {})
      assert.is(r.code, 1, r.stderr.slice(-2000))
      assert.match(oneLine(r), /no space left/i, r.stderr.slice(-3000))
      assert.equal(currents(mnt), full, 'every current kept')
      fs.rmSync(path.join(mnt, 'filler'))
      recovers()
      assert.is.not(currents(mnt)['fn-hello'], full['fn-hello'], 'fn-hello promoted a new export')
      await intact(before)
    } finally {
      run('umount', ['-l', mnt])
      fs.writeFileSync(
        path.join(p.dir, 'esb.toml'),
        fs.readFileSync(path.join(p.dir, 'esb.toml'), 'utf8').replace('[cache]\ndir = "smallcache"\n', ''),
      )
    }
  },
)

fault('engine', 'a foreign registry container on the port: one line naming it, the container left running', async () => {
  const name = `${p.brand}-foreign`
  const other = await freePort()
  // a registry-looking server: the same image, not docker esb's container
  const image = p.docker(['inspect', '--format', '{{.Config.Image}}', `${p.brand}-infra-registry`]).stdout.trim()
  must(
    p.docker(['run', '-d', '--name', name, '-e', 'REGISTRY_HTTP_ADDR=0.0.0.0:5000', '-p', `127.0.0.1:${other}:5000`, image]),
    'foreign registry',
  )
  await waitFor(`http://127.0.0.1:${other}/v2/`)
  try {
    const r = p.esb(['build'], { PORT_REGISTRY: String(other) })
    assert.is(r.code, 1, r.stderr.slice(-2000))
    assert.match(oneLine(r), new RegExp(`${other}`))
    assert.is(
      p.docker(['inspect', '--format', '{{.State.Running}}', name]).stdout.trim(),
      'true',
      'the foreign container still runs',
    )
  } finally {
    p.docker(['rm', '-f', name])
  }
})

test.run()
