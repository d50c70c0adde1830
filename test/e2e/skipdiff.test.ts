// Skipping unchanged targets is correct: a differential test. Two copies of
// examples/mini (deterministic steps), one built with the skip, one with
// --no-skip; after each of a seeded random sequence of edits (a handler, a
// Dockerfile line, a build arg, a base's file, a .dockerignored file, a
// context file no COPY reads, a file touched without a change) both
// registries hold the same images for every tag (content compared file by
// file; timestamps and per-brand labels aside). A skipped target whose
// image was deleted is rebuilt.
//
// Outside-image edits (issue 21), a second differential on examples/adopt
// (brand acme) served through one company mirror (test/e2e/mirror.ts), as
// outside.test.ts builds it: copy A built with the skip, copy B with
// --no-skip. The unpinned public.ecr.aws/lambda/java:21 moved upstream
// (A rebuilds exactly the Java function targets, naming the old and new
// digest), the frontend moved (A rebuilds every target), one function's
// handler edited (A rebuilds only it), a no-op (A rebuilds nothing); after
// each, both registries hold the same content per tag, labels compared too
// (a moved tag is a new label on the same layers: it must reach the Java
// function images). adopt's steps read nothing dated or random (stand-ins,
// a fixed CA, files), so nothing is normalised; caches are not compared. Both
// copies are brand acme, whose registry compose project is always
// `acme-infra`: a second one on the engine would replace A's registry
// container and share its volume, so B pushes to a registry of its own (the
// docker-registry binary on a free port, which docker esb reuses as it
// answers).
import { suite, test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import * as tar from 'tar-stream'
import { e2eName, freePort, run, startRegistry, tmpdir } from '../lib/helpers.ts'
import { Project, e2eDockerConfig, must } from './project.ts'
import { FRONTEND, adoptCopy, adoptEnv, moveTag, startMirror, type Mirror } from './mirror.ts'

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

async function registryJson(p: { registry: string }, u: string): Promise<any> {
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
async function layerContent(p: { registry: string }, repo: string, digest: string): Promise<string> {
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
  // gzip as BuildKit pushes them, or uncompressed as the mirror's stand-ins are (a base's layers are kept as they are)
  const blob = Buffer.from(await r.arrayBuffer())
  await pipeline(Readable.from([blob[0] === 0x1f && blob[1] === 0x8b ? zlib.gunzipSync(blob) : blob]), ex)
  const out = h.digest('hex')
  layerHashes.set(digest, out)
  return out
}

/**
 * Every image tag of a project's registry -> its content (brand prefix taken
 * off the name). Labels are left out unless `labels` says which to keep (and
 * how to write them: per-copy names differ).
 */
async function contents(
  p: { registry: string; brand: string },
  labels?: (l: Record<string, string>) => Record<string, string>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const repo of (await registryJson(p, '/v2/_catalog?n=1000')).repositories as string[]) {
    if (!repo.startsWith(`${p.brand}-`) || repo.startsWith(`${p.brand}-cache`)) continue
    for (const tag of (await registryJson(p, `/v2/${repo}/tags/list`))?.tags ?? []) {
      // key tags (k-<hex>, k-<hex>-t<time>) name the same images by their inputs, which name each copy's brand
      if (/^k-[0-9a-f]{16}(-t\d+)?$/.test(tag)) continue
      let m = await registryJson(p, `/v2/${repo}/manifests/${tag}`)
      if (!m) continue // deleted by the test
      if (m.manifests)
        m = await registryJson(p, `/v2/${repo}/manifests/${m.manifests.find((d: any) => d.platform?.os === 'linux').digest}`)
      const cfg = await registryJson(p, `/v2/${repo}/blobs/${m.config.digest}`)
      const { Labels: l, ...runtime } = cfg.config ?? {}
      if (labels) runtime.Labels = labels(l ?? {})
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

// ---- outside-image edits: examples/adopt through a mirror (see the header)

const JAVA = 'public.ecr.aws/lambda/java:21'
interface AdoptCopy {
  id: string
  dir: string
  cfg: string
  port: number
  brand: 'acme'
  registry: string
  env: Record<string, string | undefined>
  /** B's own registry (a host process); A's is docker esb's container, compose project acme-infra */
  own?: { stop: () => Promise<void> }
}
const outside = suite('outside-image edits: the skip builds what --no-skip builds')
let mirror: Mirror | undefined
const copies: AdoptCopy[] = []

async function adoptCopyOn(m: Mirror, own: boolean): Promise<AdoptCopy> {
  const id = e2eName()
  const reg = own ? await startRegistry() : undefined
  const port = reg?.port ?? (await freePort())
  const c: AdoptCopy = {
    id,
    dir: tmpdir(`esb-e2e-skipdiff-${id}-`),
    cfg: e2eDockerConfig(),
    port,
    brand: 'acme',
    registry: `127.0.0.1:${port}`,
    env: {},
    own: reg,
  }
  c.env = adoptEnv(id, port, c.cfg)
  copies.push(c)
  adoptCopy(c.dir, m)
  must(run('bash', ['tools/setup-certs.sh'], { cwd: c.dir, env: c.env }), 'certs')
  return c
}
const adoptBuild = (c: AdoptCopy, ...args: string[]) =>
  JSON.parse(
    must(run('docker', ['esb', 'build', '--json', ...args], { cwd: c.dir, env: c.env }), `build ${args.join(' ')}`).stdout,
  )
// labels compared too (a moved base's label reaches what is built on it), the copy's own project name written alike,
// and the input key (a label of what is built: the copy's project name is one of its inputs) only as present
const adoptContents = (c: AdoptCopy) =>
  contents(c, (l) =>
    Object.fromEntries(
      Object.entries(l).map(([k, v]) => [k, v === c.env.PROJECT_NAME ? '<project>' : k === 'dev.docker-esb.key' ? '<key>' : v]),
    ),
  )
const short = (d: string) => d.slice(0, 19)

let sa: AdoptCopy, sb: AdoptCopy
/** Both copies built (A with the skip, B with --no-skip); A's report, both registries compared. */
async function both(what: string): Promise<any> {
  const ra = adoptBuild(sa)
  adoptBuild(sb, '--no-skip')
  const ca = await adoptContents(sa)
  assert.ok(Object.keys(ca).length >= 10, Object.keys(ca).join(' '))
  assert.equal(ca, await adoptContents(sb), `${what}: rebuilt ${JSON.stringify(ra.rebuilt)}`)
  return ra
}

outside.before(async () => {
  mirror = await startMirror()
  sa = await adoptCopyOn(mirror, false)
  sb = await adoptCopyOn(mirror, true)
})

outside.after(async () => {
  for (const c of copies) {
    const sh = (args: string[]) => run('docker', args, { cwd: c.dir, env: c.env })
    if (!c.own) sh(['compose', '-p', 'acme-infra', '-f', 'docker-compose.infra.yml', 'down', '-v', '--remove-orphans', '-t', '1'])
    sh(['buildx', 'rm', '-f', `acme-${c.id}-buildx`])
    const imgs = sh(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
      .stdout.split('\n')
      .filter((i) => i.startsWith(`${c.registry}/`))
    if (imgs.length) sh(['image', 'rm', '-f', ...imgs])
    await c.own?.stop()
    fs.rmSync(c.dir, { recursive: true, force: true })
    fs.rmSync(c.cfg, { recursive: true, force: true })
  }
  await mirror?.stop()
})

let all: string[] = []
let javaTargets: string[] = []
outside('first build: both copies build every target alike', async () => {
  const r = await both('after the first build')
  all = Object.keys(r.rebuilt).sort()
  javaTargets = [...r.outside[JAVA].targets].sort()
  assert.ok(javaTargets.length >= 1 && javaTargets.every((t) => /java/.test(t)), javaTargets.join(' '))
})

outside('the unpinned java:21 moved upstream: A rebuilds exactly the Java targets, naming the old and new digest', async () => {
  const before = mirror!.digests[JAVA]
  const after = await moveTag(mirror!, JAVA)
  const r = await both('after java:21 moved')
  assert.equal(Object.keys(r.rebuilt).sort(), javaTargets)
  for (const t of javaTargets) assert.equal(r.rebuilt[t], [`base ${JAVA} moved ${short(before)}… -> ${short(after)}…`], t)
})

outside('the frontend moved: A rebuilds every target', async () => {
  const before = mirror!.digests[FRONTEND]
  const after = await moveTag(mirror!, FRONTEND)
  const r = await both('after the frontend moved')
  assert.equal(Object.keys(r.rebuilt).sort(), all)
  for (const t of all) assert.is(r.rebuilt[t][0], `frontend ${FRONTEND} moved ${short(before)}… -> ${short(after)}…`, t)
})

outside("one function's handler edited: A rebuilds only that function", async () => {
  for (const c of [sa, sb]) {
    const entry = path.join(c.dir, 'artifacts', 'e2e-docker', 'entries')
    fs.appendFileSync(
      path.join(entry, fs.readdirSync(entry)[0], 'functions', 'lambda-hello', 'src', 'handler.sh'),
      '\n# edited\n',
    )
  }
  const r = await both("after lambda-hello's handler edit")
  assert.equal(Object.keys(r.rebuilt), ['fn-lambda-hello-docker'], JSON.stringify(r.rebuilt))
})

outside('a no-op: A rebuilds nothing', async () => {
  const r = await both('after a no-op')
  assert.equal(r.rebuilt, {})
  assert.equal([...r.skipped].sort(), all)
})

outside.run()
