// A registry reached over TLS with a CA given only in NODE_EXTRA_CA_CERTS:
// the bundle hands that variable to Node under another name (plugin/bundle.mjs,
// Node would read the file at every start) and trusts it at the first HTTPS
// request (oci/transport.ts); docker gets it back unchanged. A registry the
// builder's buildkitd.toml calls insecure is asked without verifying its certificate. A real HTTPS
// server with a fresh self-signed certificate answers as a registry; the fake
// docker answers bake --print.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { spawn, spawnSync } from 'node:child_process'
import { BUNDLE, FAKE_DOCKER, startRegistry, tmpdir } from '../lib/helpers.ts'
import { Resolver } from '../../scripts/skip/resolve.ts'

const DIGEST = `sha256:${'ab'.repeat(32)}`

/** This machine's first address that is not loopback (loopback registries are plain HTTP), or null. */
function outerAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return null
}

function selfSigned(dir: string, ip: string): { cert: string; key: string; file: string } {
  const [cert, key] = [path.join(dir, 'ca.crt'), path.join(dir, 'ca.key')]
  const r = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=esb-test-ca',
    '-addext', `subjectAltName=IP:${ip}`, '-keyout', key, '-out', cert,
  ]) // prettier-ignore
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`)
  return { cert: fs.readFileSync(cert, 'utf8'), key: fs.readFileSync(key, 'utf8'), file: cert }
}

/** A registry over TLS on ip: /v2/ and one manifest, lib/app:1 (every request is in `heads`). */
async function tlsRegistry(tls: { cert: string; key: string }, ip: string) {
  const heads: string[] = []
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    heads.push(`${req.method} ${req.url}`)
    if (req.url === '/v2/') return res.writeHead(200).end()
    if (req.url === '/v2/lib/app/manifests/1')
      return res
        .writeHead(200, { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.index.v1+json' })
        .end()
    res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, ip, r))
  return { server, port: (server.address() as { port: number }).port, heads }
}

function esb(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined>,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(BUNDLE, args, {
      cwd,
      env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    })
    let out = '',
      err = ''
    c.stdout.on('data', (d) => (out += d))
    c.stderr.on('data', (d) => (err += d))
    c.on('exit', (code) => resolve({ code: code ?? 1, out, err }))
  })
}

test('an outside image on a TLS registry whose CA is only in NODE_EXTRA_CA_CERTS resolves; docker gets the variable back', async () => {
  const ip = outerAddress()
  if (!ip) throw new Error('no non-loopback IPv4 address on this machine: the TLS registry needs one')
  const dir = tmpdir()
  const tls = selfSigned(dir, ip)
  const { server, port, heads } = await tlsRegistry(tls, ip)
  const reg = await startRegistry()
  const project = path.join(dir, 'p')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'esb.toml'), `brand = "acme"\n[registry]\nport = ${reg.port}\n`)
  fs.writeFileSync(path.join(project, 'Dockerfile'), `FROM ${ip}:${port}/lib/app:1\n`)
  fs.writeFileSync(path.join(project, 'docker-bake.hcl'), '')
  const print = { group: { 'base-images': { targets: ['app'] } }, target: { app: { context: '.', dockerfile: 'Dockerfile' } } }
  const rules = path.join(dir, 'rules.json')
  fs.writeFileSync(rules, JSON.stringify([{ match: ['bake', '--print'], stdout: JSON.stringify(print) }]))
  const log = path.join(dir, 'docker.log')
  const env = {
    DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER,
    FAKE_DOCKER_LOG: log,
    FAKE_DOCKER_RULES: rules,
    DOCKER_CONFIG: path.join(dir, 'docker-config'),
    BUILDX_BUILDER: undefined,
    PORT_REGISTRY: undefined,
  }
  try {
    const args = ['esb', 'build', '--dry-run', '--json', '--pull']
    const ok = await esb(args, project, { ...env, NODE_EXTRA_CA_CERTS: tls.file })
    assert.is(ok.code, 0, ok.err)
    assert.ok(ok.out.includes(`${ip}:${port}/lib/app:1@${DIGEST}`), 'pinned to the digest the TLS registry gave')
    assert.ok(heads.includes('HEAD /v2/lib/app/manifests/1'), heads.join('\n'))
    // docker was run with the variable as the user set it, and without the bundle's own name for it
    const calls = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.ok(
      calls.length > 0 &&
        calls.every((c) => c.env.NODE_EXTRA_CA_CERTS === tls.file && !('DOCKER_ESB_NODE_EXTRA_CA_CERTS' in c.env)),
    )
    // without it the certificate is not trusted: --pull stops, naming the image
    const refused = await esb(args, project, { ...env, NODE_EXTRA_CA_CERTS: undefined })
    assert.is(refused.code === 0, false, refused.out)
    assert.match(refused.err, new RegExp(`${ip}:${port}/lib/app:1`))
  } finally {
    server.close()
    await reg.stop()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test("a registry the builder's buildkitd.toml calls insecure is asked over TLS without verifying its certificate", async () => {
  const ip = outerAddress()
  if (!ip) throw new Error('no non-loopback IPv4 address on this machine: the TLS registry needs one')
  const dir = tmpdir()
  const { server, port } = await tlsRegistry(selfSigned(dir, ip), ip)
  const ref = `${ip}:${port}/lib/app:1`
  const ask = (insecure: boolean) =>
    new Resolver({
      configDir: null,
      hosts: { [`${ip}:${port}`]: { mirrors: [], http: false, insecure, ca: [] } },
      baseDir: '/',
    }).resolveAll([ref])
  try {
    assert.is((await ask(true))[ref].digest, DIGEST)
    const strict = (await ask(false))[ref]
    assert.is(strict.digest, null)
    assert.match(strict.error ?? '', /certificate|self.signed|SELF_SIGNED/i)
  } finally {
    server.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
