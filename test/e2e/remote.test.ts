// The remote driver on the real engine: a standalone BuildKit (the
// provisioned image) listening on tcp://127.0.0.1:<port> with mutual TLS,
// certificates made here with openssl. docker esb builds through it, pushes
// to the project's registry and caches as with its own builder; a wrong
// client certificate or an unreachable endpoint stops with one line naming
// the endpoint, and nothing is tagged.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { Project, must } from './project.ts'
import { freePort, run, tmpdir } from '../lib/helpers.ts'

let p: Project
let port = 0
const certs = tmpdir('esb-e2e-certs-')
const buildkitd = () => `${p.brand}-buildkitd`

function openssl(...args: string[]): void {
  must(run('openssl', args, { cwd: certs }), `openssl ${args[0]}`)
}

/** A CA, a server certificate for 127.0.0.1 and the name buildkitd, a client certificate; and a client certificate of another CA. */
function makeCerts(): void {
  fs.writeFileSync(path.join(certs, 'san.cnf'), 'subjectAltName = IP:127.0.0.1, DNS:buildkitd\nextendedKeyUsage = serverAuth\n')
  fs.writeFileSync(path.join(certs, 'client.cnf'), 'extendedKeyUsage = clientAuth\n')
  for (const ca of ['ca', 'other-ca'])
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${ca}`,
      '-keyout',
      `${ca}-key.pem`,
      '-out',
      `${ca}.pem`,
    )
  const signed = (name: string, ca: string, ext: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`)
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}-key.pem`,
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      ext,
      '-out',
      `${name}.pem`,
    )
  }
  signed('server', 'ca', 'san.cnf')
  signed('client', 'ca', 'client.cnf')
  signed('stranger', 'other-ca', 'client.cnf')
  for (const f of fs.readdirSync(certs)) fs.chmodSync(path.join(certs, f), 0o644)
}

const toml = () => fs.readFileSync(path.join(p.dir, 'esb.toml'), 'utf8')
function useRemote(endpoint: string, client = 'client'): void {
  const base = toml().replace(/\n\[builder\][\s\S]*$/, '\n')
  fs.writeFileSync(
    path.join(p.dir, 'esb.toml'),
    `${base}[builder]\ndriver = "remote"\nendpoint = "${endpoint}"\ncacert = "${certs}/ca.pem"\ncert = "${certs}/${client}.pem"\nkey = "${certs}/${client}-key.pem"\nservername = "buildkitd"\n`,
  )
}

test.before(async () => {
  p = await Project.create()
  makeCerts()
  port = await freePort()
  const image = 'moby/buildkit:buildx-stable-1'
  must(
    p.docker([
      'run',
      '-d',
      '--name',
      buildkitd(),
      '--privileged',
      '--network',
      'host',
      '-v',
      `${certs}:/certs:ro`,
      image,
      '--addr',
      `tcp://127.0.0.1:${port}`,
      '--tlscacert',
      '/certs/ca.pem',
      '--tlscert',
      '/certs/server.pem',
      '--tlskey',
      '/certs/server-key.pem',
    ]),
    'buildkitd',
  )
  p.seed()
})
test.after(() => {
  p?.docker(['rm', '-f', buildkitd()])
  p?.cleanup()
  fs.rmSync(certs, { recursive: true, force: true })
})

const tags = async () => {
  const cat = (await (await fetch(`http://${p.registry}/v2/_catalog`)).json()) as { repositories: string[] }
  return cat.repositories.filter((r) => !r.includes('-cache/') && r.startsWith(p.brand)).sort()
}

test('build through a remote BuildKit with mutual TLS: images pushed, a no-op skips, --no-skip is fully cached', async () => {
  useRemote(`tcp://127.0.0.1:${port}`)
  let r: ReturnType<Project['esb']> | undefined
  // buildkitd takes a moment to listen
  for (let i = 0; i < 20; i++) {
    r = p.esb(['build', '--json'])
    if (r.code === 0 || !/connection refused/.test(r.stderr)) break
    await new Promise((res) => setTimeout(res, 500))
  }
  assert.is(r!.code, 0, r!.stderr.slice(-3000))
  assert.match(r!.stderr, new RegExp(`remote builder ${p.builder}: creating`))
  const ins = must(p.docker(['buildx', 'inspect', p.builder]), 'inspect').stdout
  assert.match(ins, /Driver:\s+remote/)
  assert.match(ins, new RegExp(`Endpoint:\\s+tcp://127\\.0\\.0\\.1:${port}`))
  for (const img of ['os-base', 'lambda-base', 'gateway-docker', 'fn-hello'])
    assert.ok((await tags()).includes(`${p.brand}-${img}`), img)
  assert.equal(JSON.parse(must(p.esb(['build', '--json']), 'no-op').stdout).rebuilt ?? {}, {})
  const all = JSON.parse(must(p.esb(['build', '--json', '--no-skip']), 'no-skip').stdout)
  assert.is(all.total.percent, 100, JSON.stringify(all.total))
})

test('a client certificate of another CA: one line naming the endpoint and the TLS keys; nothing tagged', async () => {
  const before = await tags()
  useRemote(`tcp://127.0.0.1:${port}`, 'stranger')
  fs.appendFileSync(path.join(p.dir, 'functions', 'hello', 'handler'), 'echo tls\n')
  const r = p.esb(['build'])
  assert.is(r.code, 1, r.stderr)
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('docker esb:'))
  assert.is(lines.length, 1, r.stderr)
  assert.match(
    lines[0],
    new RegExp(
      `could not create builder ${p.builder}: .*; check that BuildKit answers on tcp://127\\.0\\.0\\.1:${port} and that \\[builder\\] cacert, cert, key and servername in esb\\.toml match its certificates`,
    ),
  )
  assert.equal(await tags(), before)
})

test('an unreachable endpoint: one line naming it', async () => {
  const nobody = await freePort()
  useRemote(`tcp://127.0.0.1:${nobody}`)
  const r = p.esb(['build'])
  assert.is(r.code, 1)
  assert.match(
    r.stderr,
    new RegExp(
      `^docker esb: could not create builder ${p.builder}: .*; check that BuildKit answers on tcp://127\\.0\\.0\\.1:${nobody}`,
      'm',
    ),
  )
  // back on the right endpoint, the next build recovers with no manual step
  useRemote(`tcp://127.0.0.1:${port}`)
  const ok = JSON.parse(must(p.esb(['build', '--json']), 'recovered').stdout)
  assert.equal(Object.keys(ok.rebuilt ?? {}), ['fn-hello'])
})

test.run()
