// Skipping unchanged targets is correct: a differential test. Two copies of
// examples/mini (deterministic steps), one built with the skip, one with
// --no-skip; after each of a seeded random sequence of edits (a handler, a
// Dockerfile line, a build arg, a base's file, a .dockerignored file, a
// context file no COPY reads, a file touched without a change) both
// registries hold the same images for every tag (content compared file by
// file; timestamps and per-brand labels aside). A skipped target whose
// image was deleted is rebuilt.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import * as tar from 'tar-stream'
import { Project, must } from './project.ts'

let a: Project, b: Project
const SEED = Number(process.env.ESB_DIFF_SEED ?? 20261124)

/** Deterministic steps: the differential compares what was built, so nothing random or dated. */
function deterministic(dir: string): void {
  const walk = (d: string): string[] =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name === 'Dockerfile' ? [path.join(d, e.name)] : []))
  for (const f of walk(dir)) {
    const t = fs
      .readFileSync(f, 'utf8')
      .replace(/head -c (\d+) \/dev\/urandom/g, 'yes data | head -c $1')
      .replace(/\$\(date[^)]*\)/g, 'at a fixed time')
    fs.writeFileSync(f, t)
  }
  fs.writeFileSync(path.join(dir, 'functions', 'hello', '.dockerignore'), 'notes/\n')
  fs.mkdirSync(path.join(dir, 'functions', 'hello', 'notes'))
  fs.writeFileSync(path.join(dir, 'functions', 'hello', 'notes', 'todo.txt'), 'ignored by .dockerignore\n')
  // a build arg the test can change, through a bake variable's default
  fs.appendFileSync(
    path.join(dir, 'functions', 'echo', 'Dockerfile'),
    'ARG GREETING=hi\nRUN echo "$GREETING" > /var/task/greeting\n',
  )
}

test.before(async () => {
  a = await Project.create()
  b = await Project.create()
  for (const p of [a, b]) {
    deterministic(p.dir)
    p.seed()
    must(p.esb(['build']), 'first build')
  }
})
test.after(() => {
  a?.cleanup()
  b?.cleanup()
})

async function registryJson(p: Project, u: string): Promise<any> {
  const r = await fetch(`http://${p.registry}${u}`, {
    headers: {
      accept:
        'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
    },
  })
  return r.ok ? r.json() : null
}

const layerHashes = new Map<string, string>()
/** A layer's content, file by file (path, type, mode, link, bytes), timestamps left out. */
async function layerContent(p: Project, repo: string, digest: string): Promise<string> {
  const hit = layerHashes.get(digest)
  if (hit) return hit
  const r = await fetch(`http://${p.registry}/v2/${repo}/blobs/${digest}`)
  const h = crypto.createHash('sha256')
  const ex = tar.extract()
  ex.on('entry', (hd, stream, next) => {
    const fh = crypto.createHash('sha256')
    stream.on('data', (c) => fh.update(c as Buffer))
    stream.on('end', () => {
      h.update(`${hd.name}\0${hd.type}\0${hd.mode}\0${hd.linkname ?? ''}\0${fh.digest('hex')}\n`)
      next()
    })
  })
  await pipeline(Readable.fromWeb(r.body as any), zlib.createGunzip(), ex)
  const out = h.digest('hex')
  layerHashes.set(digest, out)
  return out
}

/** Every image tag of a project's registry -> its content (brand prefix taken off the name). */
async function contents(p: Project): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const repo of (await registryJson(p, '/v2/_catalog?n=1000')).repositories as string[]) {
    if (!repo.startsWith(`${p.brand}-`) || repo.startsWith(`${p.brand}-cache`)) continue
    for (const tag of (await registryJson(p, `/v2/${repo}/tags/list`))?.tags ?? []) {
      let m = await registryJson(p, `/v2/${repo}/manifests/${tag}`)
      if (!m) continue // deleted by the test
      if (m.manifests)
        m = await registryJson(p, `/v2/${repo}/manifests/${m.manifests.find((d: any) => d.platform?.os === 'linux').digest}`)
      const cfg = await registryJson(p, `/v2/${repo}/blobs/${m.config.digest}`)
      const { Labels: _l, ...runtime } = cfg.config ?? {}
      const layers = []
      for (const l of m.layers) layers.push(await layerContent(p, repo, l.digest))
      out[`${repo.slice(p.brand.length + 1)}:${tag}`] = `${JSON.stringify(runtime)} ${layers.join(',')}`
    }
  }
  return out
}

function rng(seed: number): () => number {
  let x = seed >>> 0
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0
    return x / 2 ** 32
  }
}

type Edit = { name: string; apply: (dir: string, i: number) => void; expect?: (rebuilt: Record<string, string[]>) => void }
const EDITS: Edit[] = [
  { name: 'a handler', apply: (d, i) => fs.appendFileSync(path.join(d, 'functions', 'hello', 'handler'), `echo edit ${i}\n`) },
  {
    name: 'a Dockerfile line',
    apply: (d, i) => fs.appendFileSync(path.join(d, 'services', 'gateway', 'Dockerfile'), `RUN echo ${i} > /tmp/edit\n`),
  },
  {
    name: 'a build arg',
    apply: (d, i) => {
      const f = path.join(d, 'functions', 'echo', 'Dockerfile')
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/ARG GREETING=\S+/, `ARG GREETING=hi${i}`))
    },
  },
  {
    name: "a base's file",
    apply: (d, i) => fs.appendFileSync(path.join(d, 'services', 'lambda-base', 'bootstrap'), `# edit ${i}\n`),
  },
  {
    name: 'a .dockerignored file',
    apply: (d, i) => fs.appendFileSync(path.join(d, 'functions', 'hello', 'notes', 'todo.txt'), `${i}\n`),
    expect: (r) => assert.equal(r, {}, 'an ignored file changes nothing'),
  },
  {
    name: 'a context file no COPY reads',
    apply: (d, i) => fs.appendFileSync(path.join(d, 'functions', 'hello', 'README.txt'), `${i}\n`),
    expect: (r) => assert.equal(r, {}, 'only what the Dockerfile reads is keyed'),
  },
  {
    name: 'a file touched, not changed',
    apply: (d) => {
      const f = path.join(d, 'functions', 'echo', 'handler')
      const t = new Date(Date.now() + 5000)
      fs.utimesSync(f, t, t)
    },
    expect: (r) => assert.equal(r, {}, 'a touch changes nothing'),
  },
]

const build = (p: Project, ...args: string[]) =>
  JSON.parse(must(p.esb(['build', '--json', ...args]), `build ${args.join(' ')}`).stdout)

test('random edits: the skip builds what --no-skip builds, tag for tag', async () => {
  const next = rng(SEED)
  assert.equal(await contents(a), await contents(b), 'after the first build')
  const order = [...EDITS.keys(), ...Array.from({ length: 4 }, () => Math.floor(next() * EDITS.length))].sort(() => next() - 0.5)
  for (const [i, k] of order.entries()) {
    const e = EDITS[k]
    e.apply(a.dir, i)
    e.apply(b.dir, i)
    const ra = build(a)
    build(b, '--no-skip')
    e.expect?.(ra.rebuilt)
    assert.equal(
      await contents(a),
      await contents(b),
      `after edit ${i + 1} (${e.name}; seed ${SEED}); rebuilt ${JSON.stringify(ra.rebuilt)}`,
    )
  }
})

test('a skipped target whose image was deleted from the registry is rebuilt', async () => {
  const repo = `${a.brand}-fn-echo`
  const m = await fetch(`http://${a.registry}/v2/${repo}/manifests/latest`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  })
  const del = await fetch(`http://${a.registry}/v2/${repo}/manifests/${m.headers.get('docker-content-digest')}`, {
    method: 'DELETE',
  })
  assert.is(del.status, 202)
  const r = build(a)
  assert.equal(r.rebuilt, { 'fn-echo': ['its image is not in the registry'] })
  assert.ok(await registryJson(a, `/v2/${repo}/manifests/latest`), 'pushed again')
  assert.equal(build(a).rebuilt, {}, 'and skipped again after that')
})

test.run()
