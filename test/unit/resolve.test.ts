// Resolving images read from outside the project's registry: the builder's
// mirrors first, then the registry itself; a bearer token asked anonymously
// and reused; the name BuildKit matches a named context against; offline,
// the digests of the last build (and --pull refusing that). Local HTTP
// servers play the registries.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Resolver, contextName, mirrorHostAndPath, registryHosts } from '../../scripts/skip/resolve.ts'
import { imageDigests } from '../../scripts/skip/images.ts'
import { outsideOf } from '../../scripts/skip/outside.ts'
import { RegistryClient } from '../../scripts/oci/client.ts'
import { EsbError } from '../../scripts/errors.ts'
import type { Gathered, InputRecord } from '../../scripts/skip/keys.ts'
import { settings } from '../lib/settings.ts'

const D1 = 'sha256:' + '1'.repeat(64)
const D2 = 'sha256:' + '2'.repeat(64)

/** A registry holding `images` (repo:tag -> digest); with `token`, every request needs a bearer token from /token. */
async function registry(images: Record<string, string>, token = false) {
  const seen: string[] = []
  let tokens = 0
  const srv = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    const host = `127.0.0.1:${(srv.address() as AddressInfo).port}`
    if (req.url?.startsWith('/token')) {
      tokens++
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'tok' }))
      return
    }
    if (token && req.headers.authorization !== 'Bearer tok') {
      res
        .writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${host}/token",service="${host}",scope="repository:x:pull"` })
        .end()
      return
    }
    const m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(req.url ?? '')
    const d = m ? images[`${m[1]}:${m[2]}`] : undefined
    if (!d) return void res.writeHead(404).end()
    res.writeHead(200, { 'Docker-Content-Digest': d }).end()
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const host = `127.0.0.1:${(srv.address() as AddressInfo).port}`
  return { host, seen, tokens: () => tokens, close: () => new Promise((r) => srv.close(r)) }
}

test('contextName: the short name BuildKit matches a named context against', () => {
  assert.is(contextName('debian:bookworm-slim'), 'debian:bookworm-slim')
  assert.is(contextName('docker.io/library/python:3.12'), 'python:3.12')
  assert.is(contextName('docker/dockerfile:1.7'), 'docker/dockerfile:1.7')
  assert.is(contextName('public.ecr.aws/lambda/java:21'), 'public.ecr.aws/lambda/java:21')
  assert.is(contextName('busybox'), 'busybox')
  assert.is(contextName('ghcr.io/a/b:latest'), 'ghcr.io/a/b')
})

test("registryHosts: the builder's buildkitd.toml mirrors, plain HTTP and CAs; a broken file is none", () => {
  const h = registryHosts(
    '[registry."docker.io"]\n  mirrors = ["127.0.0.1:5001", "m.lan"]\n[registry."m.lan"]\n  http = true\n  ca = ["/ca.pem"]\n',
  )
  assert.equal(h['docker.io'], { mirrors: ['127.0.0.1:5001', 'm.lan'], http: false, insecure: false, ca: [] })
  assert.equal(h['m.lan'], { mirrors: [], http: true, insecure: false, ca: ['/ca.pem'] })
  assert.is(registryHosts('[registry."r.lan"]\n  insecure = true\n')['r.lan'].insecure, true)
  assert.equal(registryHosts('not [toml'), {})
  assert.equal(registryHosts(null), {})
})

test('a tag on another registry resolves through its mirror first, with one anonymous token per registry', async () => {
  const origin = await registry({ 'lambda/java:21': D2, 'lambda/python:3.12': D2 })
  const mirror = await registry({ 'lambda/java:21': D1 }, true)
  const r = new Resolver({
    configDir: null,
    hosts: { [origin.host]: { mirrors: [mirror.host], http: true, insecure: false, ca: [] } },
    baseDir: '/',
  })
  const got = await r.resolveAll([`${origin.host}/lambda/java:21`, `${origin.host}/lambda/python:3.12`, `x/y@${D1}`])
  assert.equal(got[`${origin.host}/lambda/java:21`], { digest: D1, via: `${origin.host} via mirror ${mirror.host}` })
  // not on the mirror: the registry itself, as BuildKit falls back
  assert.equal(got[`${origin.host}/lambda/python:3.12`], { digest: D2, via: origin.host })
  assert.equal(got[`x/y@${D1}`], { digest: D1, via: 'pinned' })
  // python:3.12 is asked twice there (HEAD, then GET): one token per repository, reused by its requests
  assert.is(mirror.tokens(), 2)
  assert.not.ok(
    origin.seen.some((l) => l.includes('lambda/java')),
    'the mirror answered: the registry is not asked',
  )
  await origin.close()
  await mirror.close()
})

test('a mirror with a path (Nexus, Artifactory) is asked under that path, as BuildKit asks it', async () => {
  assert.equal(mirrorHostAndPath('m.lan:5000/dockerhub/'), ['m.lan:5000', 'dockerhub'])
  assert.equal(mirrorHostAndPath('https://m.lan/v/proxy'), ['m.lan', 'v/proxy'])
  assert.equal(mirrorHostAndPath('m.lan'), ['m.lan', ''])
  const mirror = await registry({ 'dockerhub/library/python:3.12': D1 })
  const r = new Resolver({
    configDir: null,
    hosts: { 'docker.io': { mirrors: [`${mirror.host}/dockerhub`], http: false, insecure: false, ca: [] } },
    baseDir: '/',
  })
  const got = await r.resolveAll(['python:3.12'])
  assert.equal(got['python:3.12'], { digest: D1, via: `docker.io via mirror ${mirror.host}/dockerhub` })
  assert.ok(mirror.seen.includes('HEAD /v2/dockerhub/library/python/manifests/3.12'), mirror.seen.join('\n'))
  await mirror.close()
})

test('offline: the digest of the last build is used and said in one note; --pull stops instead', async () => {
  const gone = await registry({})
  await gone.close()
  const ref = `${gone.host}/lambda/java:21`
  const s = settings()
  const r = new Resolver({ configDir: null, hosts: {}, baseDir: '/', timeoutMs: 2000 })
  const g: Gathered = {
    definition: {},
    args: {},
    dockerfile: '',
    files: {},
    targets: {},
    images: [ref],
    syntax: null,
    never: null,
  }
  const rec = { target: 'fn-java', tag: 't', key: 'k', digest: D2, inputs: { deps: { [ref]: D1 } } } as unknown as InputRecord
  const project = new RegistryClient('http://127.0.0.1:1', '127.0.0.1:1')
  const off = await imageDigests(s, [g], project, r, [rec])
  assert.is(off.digests[ref], D1)
  assert.ok(off.outside[ref].last)
  assert.is(off.notes.length, 1)
  assert.match(off.notes[0], new RegExp(`keyed with the digests of the last build: ${ref.replace(/\./g, '\\.')}`))
  // never built: no digest, and the reason says why
  const none = await imageDigests(s, [g], project, r, [])
  assert.is(none.digests[ref], null)
  assert.ok(none.why[ref])
  try {
    await imageDigests(s, [g], project, r, [rec], true)
    assert.unreachable('--pull must stop')
  } catch (e) {
    assert.instance(e, EsbError)
    assert.match((e as Error).message, /^--pull: image \S+ cannot be resolved/)
  }
})

test('impact: each outside image lists the targets a bump rebuilds, through targets built on them; pins for tags only', () => {
  const s = settings()
  const base = (over: Partial<Gathered>): Gathered => ({
    definition: {},
    args: {},
    dockerfile: '',
    files: {},
    targets: {},
    images: [],
    syntax: null,
    never: null,
    ...over,
  })
  const gathered = {
    'os-base': base({ images: [`debian:12@${D1}`], syntax: 'docker/dockerfile:1.7' }),
    gateway: base({ targets: { 'os-base': 'os-base' }, syntax: 'docker/dockerfile:1.7' }),
    'fn-java': base({ images: ['public.ecr.aws/lambda/java:21'] }),
  }
  const img = {
    digests: { [`debian:12@${D1}`]: D1, 'docker/dockerfile:1.7': D2, 'public.ecr.aws/lambda/java:21': D2 },
    why: {},
    outside: {},
    notes: [],
  }
  const o = outsideOf(s, gathered, img, {})
  assert.equal(o.outside[`debian:12@${D1}`].targets, ['gateway', 'os-base'])
  assert.equal(o.outside['docker/dockerfile:1.7'].targets, ['gateway', 'os-base'])
  assert.ok(o.outside['docker/dockerfile:1.7'].frontend)
  assert.equal(o.pins['fn-java'], {
    contexts: { 'public.ecr.aws/lambda/java:21': `docker-image://public.ecr.aws/lambda/java:21@${D2}` },
    syntax: null,
  })
  assert.equal(o.pins['os-base'], { contexts: {}, syntax: `docker/dockerfile:1.7@${D2}` }, 'a base pinned by digest needs no pin')
})

test.run()
