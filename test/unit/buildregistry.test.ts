// [registry] build_address: settings, the builder's config, the plan, the
// user's docker credentials, and the client's answers to a registry's
// challenges (a local HTTP server playing a basic-auth registry and a token
// service).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import http from 'node:http'
import { createHash } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { buildkitdToml } from '../../scripts/builder/plan.ts'
import { buildPlan } from '../../scripts/bake/plan.ts'
import { stackEnv } from '../../scripts/plan/env.ts'
import { credentialsFor } from '../../scripts/oci/auth.ts'
import { dockerConfigDir } from '../../scripts/docker/config.ts'
import { buildRegistrySpec } from '../../scripts/plan/context.ts'
import { checkRegistry } from '../../scripts/buildregistry/run.ts'
import { RegistryClient } from '../../scripts/oci/client.ts'
import { EsbError, UsageError } from '../../scripts/errors.ts'
import type { Step } from '../../scripts/plan/types.ts'
import { settings as noToml, tomlSettings } from '../lib/settings.ts'

const settings = (text: string, env: Record<string, string> = {}) =>
  text ? tomlSettings(text, { processEnv: env }) : noToml({ processEnv: env })
const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test((e as Error).message)
const SHARED = '[registry]\nbuild_address = "reg.example:5443"\nbuild_ca = "certs/ca.pem"\n'

test('build_address: builds, bases and registry caches go there; the runtime, import/export and the deploy tool keep the local registry', () => {
  const s = settings(SHARED)
  assert.is(s.registry.buildAddress, 'reg.example:5443')
  assert.is(s.registry.localAddress, '127.0.0.1:5010')
  assert.equal(s.registry.build, {
    ca: '/p/certs/ca.pem',
    insecure: false,
    where: "/p/esb.toml: key 'registry.build_address'",
    caWhere: '/p/esb.toml:3',
  })
  assert.is(s.registry.runtimeAddress, '127.0.0.1:5010')
  assert.is(s.cache.refPrefix, 'reg.example:5443/esb-cache')
  const env = stackEnv(s)
  assert.is(env.HOST_REGISTRY_ADDR, '127.0.0.1:5010')
  assert.is(env.CONTAINER_REGISTRY, '127.0.0.1:5010')
  assert.is(settings('', { ESB_BUILD_REGISTRY: 'ci-reg:5000' }).registry.buildAddress, 'ci-reg:5000')
  assert.is(settings('').registry.build, null)
  // the local address itself is no build registry
  assert.is(settings('[registry]\nbuild_address = "127.0.0.1:5010"\n').registry.build, null)
})

test('build_address errors: one line naming the key', () => {
  assert.throws(
    () => settings('[registry]\nbuild_address = "https://reg.example/team"\n'),
    usage(/^\/p\/esb\.toml: key 'registry\.build_address' is "https:\/\/reg\.example\/team"; give the registry as host\[:port\]/),
  )
  assert.throws(
    () => settings('[registry]\nbuild_address = "localhost:5443"\n'),
    usage(/localhost, which a builder resolves in its own network/),
  )
  assert.throws(
    () => settings('[registry]\nbuild_ca = "ca.pem"\n'),
    usage(
      /^\/p\/esb\.toml:2: \[registry\] build_ca and build_insecure apply to a \[registry\] build_address other than the local registry 127\.0\.0\.1:5010; set one, or remove them/,
    ),
  )
  assert.throws(
    () => settings(`${SHARED}build_insecure = true\n`),
    usage(/^\/p\/esb\.toml:4: \[registry\] build_insecure \(plain HTTP\) and build_ca .* exclude each other/),
  )
  assert.throws(
    () => settings('[registry]\nbuild_insecure = "yes"\n'),
    usage(/key 'registry\.build_insecure' is "yes"; expected true or false/),
  )
})

test('buildkitd.toml: the CA file for the build registry, or plain HTTP only when opted in', () => {
  assert.match(buildkitdToml(settings(SHARED)), /\[registry\."reg\.example:5443"\]\n {2}ca = \["\/p\/certs\/ca\.pem"\]\n/)
  const plain = buildkitdToml(settings('[registry]\nbuild_address = "reg.lan:5000"\nbuild_insecure = true\n'))
  assert.match(plain, /\[registry\."reg\.lan:5000"\]\n {2}http = true\n {2}insecure = true\n/)
  assert.not.match(buildkitdToml(settings('[registry]\nbuild_address = "reg.lan:5000"\n')), /reg\.lan/)
  assert.is(buildRegistrySpec(settings(SHARED), '/cfg').base, 'https://reg.example:5443')
  assert.is(
    buildRegistrySpec(settings('[registry]\nbuild_address = "reg.lan:5000"\nbuild_insecure = true\n'), '/cfg').base,
    'http://reg.lan:5000',
  )
  assert.is(buildRegistrySpec(settings('[registry]\nbuild_address = "127.0.0.1:6000"\n'), '/cfg').base, 'http://127.0.0.1:6000')
})

const print = {
  group: { 'base-images': { targets: ['os-base'] } },
  target: { 'os-base': { tags: ['127.0.0.1:5010/esb-os-base:latest'] } },
}
/** The plan of a build with the shared build registry: os-base and fn-hello. */
const sharedPlan = (more: Partial<Parameters<typeof buildPlan>[0]> = {}) =>
  buildPlan({
    settings: settings(SHARED),
    renderWrites: [],
    builder: { procEnv: {}, buildkitdConfig: null },
    bakePrint: print,
    functionDockerfiles: ['functions/hello/Dockerfile'],
    runId: 'R1',
    extraArgs: [],
    ...more,
  })

test('plan: the registry and credentials are checked before the builder; every image is copied into the local registry after the bakes', () => {
  const p = sharedPlan({ dockerConfigDir: '/home/u/.docker' })
  const kinds = p.steps.map((x) => x.kind)
  // first: a wrong login or address stops before anything is written
  assert.is(kinds[0], 'check-registry', kinds.join())
  assert.ok(kinds.indexOf('copy-images') > kinds.lastIndexOf('docker'), kinds.join())
  const copy = p.steps.find((x) => x.kind === 'copy-images') as Extract<Step, { kind: 'copy-images' }>
  assert.equal(copy.images, ['esb-fn-hello:latest', 'esb-os-base:latest'])
  assert.is(copy.to, '127.0.0.1:5010')
  assert.equal(copy.from, {
    address: 'reg.example:5443',
    base: 'https://reg.example:5443',
    caFile: '/p/certs/ca.pem',
    configDir: '/home/u/.docker',
    where: "/p/esb.toml: key 'registry.build_address'",
    caWhere: '/p/esb.toml:3',
  })
  const bake = p.steps.find((x) => x.kind === 'docker')!
  assert.ok(bake.kind === 'docker' && bake.argv.join(' ').includes('buildx bake'))
  // without build_address: neither step
  const local = sharedPlan({ settings: settings(''), functionDockerfiles: [] })
  assert.not.ok(local.steps.some((x) => x.kind === 'copy-images' || x.kind === 'check-registry'))
})

test('plan: images no bake changes are copied in the background once the builder is there; what is built after its bake', () => {
  const inputs = { definition: 'd', args: {}, dockerfile: 'x', files: {}, deps: {} }
  const rec = (t: string) => [t, { tag: `127.0.0.1:5010/esb-${t}:latest`, key: 'k', inputs }]
  const plan = (skip: Record<string, string>) =>
    sharedPlan({
      skip: {
        skip,
        rebuild: skip['fn-hello'] ? {} : { 'fn-hello': ['its files changed'] },
        dir: '/p/.esb/inputs',
        statCache: {},
        records: Object.fromEntries([rec('os-base'), rec('fn-hello')]),
      },
    })
  const copies = (p: ReturnType<typeof plan>) =>
    p.steps.flatMap((x, i) => (x.kind === 'copy-images' ? [{ at: i, images: x.images, background: x.background === true }] : []))
  const one = plan({ 'os-base': 'sha256:o' })
  const kinds = one.steps.map((x) => x.kind)
  const [early, late] = copies(one)
  assert.equal(early, { at: kinds.indexOf('ensure-builder') + 1, images: ['esb-os-base:latest'], background: true })
  assert.equal(late, { at: late.at, images: ['esb-fn-hello:latest'], background: false })
  assert.ok(late.at > kinds.lastIndexOf('docker'), kinds.join())
  // nothing built: one copy of everything, no builder
  const none = plan({ 'os-base': 'sha256:o', 'fn-hello': 'sha256:h' })
  assert.equal(
    copies(none).map((c) => [c.images, c.background]),
    [[['esb-fn-hello:latest', 'esb-os-base:latest'], false]],
  )
  assert.not.ok(none.steps.some((x) => x.kind === 'ensure-builder'))
})

test('check: an unreachable build registry, or a missing CA file, is one line saying where it was given', async () => {
  const srv = http.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  const s = settings(`[registry]\nbuild_address = "127.0.0.1:${port}"\n`)
  const st = { kind: 'check-registry' as const, why: '', registry: buildRegistrySpec(s, os.tmpdir()) }
  try {
    await checkRegistry(st)
    assert.unreachable()
  } catch (e) {
    assert.instance(e, EsbError)
    assert.match(
      (e as Error).message,
      new RegExp(
        `^/p/esb\\.toml: key 'registry\\.build_address' \\(127\\.0\\.0\\.1:${port}\\): registry 127\\.0\\.0\\.1:${port} unreachable \\(ECONNREFUSED\\)`,
      ),
    )
  }
  const noCa = { ...st, registry: buildRegistrySpec(settings(SHARED), os.tmpdir()) }
  try {
    await checkRegistry(noCa)
    assert.unreachable()
  } catch (e) {
    assert.instance(e, UsageError)
    assert.match(
      (e as Error).message,
      /^\/p\/esb\.toml:3: \[registry\] build_ca \/p\/certs\/ca\.pem: ENOENT; give the PEM file of the CA/,
    )
  }
})

test('docker config folder: --config, else DOCKER_CONFIG, else ~/.docker', () => {
  assert.is(dockerConfigDir(['--config', 'cfg'], { DOCKER_CONFIG: '/x' }, '/w'), '/w/cfg')
  assert.is(dockerConfigDir(['--config=/a'], {}, '/w'), '/a')
  assert.is(dockerConfigDir([], { DOCKER_CONFIG: 'rel' }, '/w'), '/w/rel')
  assert.is(dockerConfigDir([], { HOME: '/home/u' }, '/w'), '/home/u/.docker')
})

test('credentials: auths (auth, user/password, identity token), credential helpers, none', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-auth-'))
  const write = (o: object) => fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(o))
  assert.is(credentialsFor(d, 'reg:5000'), null, 'no config.json')
  write({
    auths: {
      'reg:5000': { auth: Buffer.from('ci:s3:cret').toString('base64') },
      'https://other/v1/': { username: 'u', password: 'p' },
      tok: { identitytoken: 'T' },
    },
  })
  assert.equal(credentialsFor(d, 'reg:5000'), { username: 'ci', password: 's3:cret' })
  assert.equal(credentialsFor(d, 'other'), { username: 'u', password: 'p' })
  assert.equal(credentialsFor(d, 'tok'), { username: '<token>', password: 'T' })
  assert.is(credentialsFor(d, 'nowhere'), null)
  write({ credsStore: 'desktop', credHelpers: { 'reg:5000': 'pass' } })
  const asked: string[] = []
  const helper = (name: string, host: string) => {
    asked.push(`${name} ${host}`)
    if (host === 'nowhere')
      throw Object.assign(new Error('exit 1'), { stderr: Buffer.from('credentials not found in native keychain') })
    return JSON.stringify({ Username: `${name}-user`, Secret: 'x' })
  }
  assert.equal(credentialsFor(d, 'reg:5000', helper), { username: 'pass-user', password: 'x' })
  assert.equal(credentialsFor(d, 'other', helper), { username: 'desktop-user', password: 'x' })
  assert.is(credentialsFor(d, 'nowhere', helper), null)
  assert.equal(asked, ['pass reg:5000', 'desktop other', 'desktop nowhere'])
  assert.throws(
    () =>
      credentialsFor(d, 'reg:5000', () => {
        throw Object.assign(new Error('spawn ENOENT'), { stderr: Buffer.from('') })
      }),
    (e: unknown) =>
      e instanceof EsbError &&
      /credential helper docker-credential-pass failed for reg:5000 \(spawn ENOENT\)/.test((e as Error).message),
  )
  fs.writeFileSync(path.join(d, 'config.json'), '{nope')
  assert.throws(
    () => credentialsFor(d, 'reg:5000'),
    (e: unknown) => e instanceof EsbError && /config\.json: not valid JSON/.test((e as Error).message),
  )
  fs.rmSync(d, { recursive: true, force: true })
})

test('credentials: a real credential helper on PATH, asked as docker asks it; its "not found" (on stdout) is no login', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-helper-'))
  // as docker-credential-helpers do: the host on stdin, JSON or "credentials not found in native keychain" on stdout and exit 1
  fs.writeFileSync(
    path.join(d, 'docker-credential-esbtest'),
    '#!/bin/sh\n[ "$1" = get ] || exit 2\nread host\nif [ "$host" = reg:5000 ]; then echo \'{"ServerURL":"reg:5000","Username":"ci","Secret":"from-helper"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n',
    { mode: 0o755 },
  )
  fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ credsStore: 'esbtest' }))
  const oldPath = process.env.PATH
  process.env.PATH = `${d}:${oldPath}`
  try {
    assert.equal(credentialsFor(d, 'reg:5000'), { username: 'ci', password: 'from-helper' })
    assert.is(credentialsFor(d, 'other:5000'), null)
  } finally {
    process.env.PATH = oldPath
    fs.rmSync(d, { recursive: true, force: true })
  }
})

/** A registry that wants basic auth (user ci / pw), or tokens from its own /token service that wants the same. */
async function fakeRegistry(scheme: 'basic' | 'bearer'): Promise<{ url: string; close: () => void; seen: string[] }> {
  const seen: string[] = []
  const good = `Basic ${Buffer.from('ci:pw').toString('base64')}`
  const srv = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`)
    if (req.url!.startsWith('/token')) {
      if (req.headers.authorization !== good) {
        res.writeHead(401)
        res.end()
        return
      }
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ token: `T:${new URL(req.url!, 'http://x').searchParams.get('scope')}` }))
      return
    }
    // a token is good for its repository only
    const repo = /^\/v2\/(.+?)\/manifests\//.exec(req.url!)?.[1]
    const scope = repo ? `repository:${repo}:pull` : ''
    const ok = scheme === 'basic' ? req.headers.authorization === good : req.headers.authorization === `Bearer T:${scope || null}`
    if (!ok) {
      const port = (srv.address() as AddressInfo).port
      res.writeHead(401, {
        'WWW-Authenticate':
          scheme === 'basic'
            ? 'Basic realm="registry"'
            : `Bearer realm="http://127.0.0.1:${port}/token",service="reg"${scope ? `,scope="${scope}"` : ''}`,
      })
      res.end()
      return
    }
    res.writeHead(200, { 'Docker-Content-Digest': 'sha256:' + 'a'.repeat(64) })
    res.end('{}')
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => srv.close(), seen }
}

test('client: basic and token challenges answered with the credentials; refused or missing ones are one line naming docker login', async () => {
  for (const scheme of ['basic', 'bearer'] as const) {
    const r = await fakeRegistry(scheme)
    try {
      const login = { configFile: '/cfg/config.json', host: 'reg:5000' }
      const ok = new RegistryClient(r.url, 'reg:5000', { credentials: { username: 'ci', password: 'pw' }, login })
      await ok.ping()
      assert.is(await ok.manifestDigest('esb-os-base', 'latest'), 'sha256:' + 'a'.repeat(64), scheme)
      // concurrent first requests, several repositories: each answered (a found bug: the second challenge failed)
      const fresh = new RegistryClient(r.url, 'reg:5000', { credentials: { username: 'ci', password: 'pw' }, login })
      const many = await Promise.all(['a', 'b', 'c', 'd', 'a', 'b'].map((x) => fresh.manifestDigest(`esb-${x}`, 'latest')))
      assert.ok(
        many.every((d) => d === 'sha256:' + 'a'.repeat(64)),
        scheme,
      )
      const wrong = new RegistryClient(r.url, 'reg:5000', { credentials: { username: 'ci', password: 'nope' }, login })
      await ok.ping()
      try {
        await wrong.ping()
        assert.unreachable(scheme)
      } catch (e) {
        assert.instance(e, EsbError)
        assert.match(
          (e as Error).message,
          /^registry reg:5000 refused the credentials for reg:5000 in \/cfg\/config\.json \(HTTP 401\); run 'docker login reg:5000'/,
        )
      }
      const none = new RegistryClient(r.url, 'reg:5000', { credentials: null, login })
      try {
        await none.manifestDigest('esb-os-base', 'latest')
        assert.unreachable(scheme)
      } catch (e) {
        assert.match(
          (e as Error).message,
          scheme === 'basic'
            ? /^registry reg:5000 asks for credentials and \/cfg\/config\.json has none for reg:5000; run 'docker login reg:5000'$/
            : /^registry reg:5000 asks for credentials/,
        )
      }
    } finally {
      r.close()
    }
  }
})

test('client: a blob redirected to storage on another host is followed without the credentials; an identity token is exchanged as a refresh_token grant', async () => {
  const blob = Buffer.from('layer bytes')
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`
  const seenStorage: string[] = []
  const storage = http.createServer((req, res) => {
    seenStorage.push(req.headers.authorization ?? '-')
    res.writeHead(200)
    res.end(blob)
  })
  await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r))
  const posts: string[] = []
  const good = `Basic ${Buffer.from('ci:pw').toString('base64')}`
  const reg = http.createServer((req, res) => {
    if (req.url!.startsWith('/token')) {
      let body = ''
      req
        .on('data', (d) => (body += d))
        .on('end', () => {
          posts.push(`${req.method} ${body}`)
          res.writeHead(200)
          res.end(JSON.stringify({ access_token: 'A' }))
        })
      return
    }
    if (req.headers.authorization !== good && req.headers.authorization !== 'Bearer A') {
      const port = (reg.address() as AddressInfo).port
      res.writeHead(401, {
        'WWW-Authenticate': req.url!.includes('idt')
          ? `Bearer realm="http://127.0.0.1:${port}/token",service="reg",scope="repository:idt:pull"`
          : 'Basic realm="r"',
      })
      res.end()
      return
    }
    res.writeHead(307, { Location: `http://127.0.0.1:${(storage.address() as AddressInfo).port}/bucket/${digest}` })
    res.end()
  })
  await new Promise<void>((r) => reg.listen(0, '127.0.0.1', r))
  try {
    const url = `http://127.0.0.1:${(reg.address() as AddressInfo).port}`
    const c = new RegistryClient(url, 'reg', {
      credentials: { username: 'ci', password: 'pw' },
      login: { configFile: '/c', host: 'reg' },
    })
    const chunks: Buffer[] = []
    for await (const x of await c.blob('esb-os-base', digest, blob.length)) chunks.push(x as Buffer)
    assert.equal(Buffer.concat(chunks), blob)
    assert.equal(seenStorage, ['-'], 'no credentials sent to the storage host')
    const t = new RegistryClient(url, 'reg', {
      credentials: { username: '<token>', password: 'REFRESH' },
      login: { configFile: '/c', host: 'reg' },
    })
    for await (const x of await t.blob('idt', digest, blob.length)) void x
    assert.equal(posts, [
      'POST grant_type=refresh_token&refresh_token=REFRESH&service=reg&client_id=docker&scope=repository%3Aidt%3Apull',
    ])
  } finally {
    reg.close()
    storage.close()
  }
})

test.run()
