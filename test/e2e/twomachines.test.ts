// Past one machine, on the real engine, loopback and local bridges only:
// - a shared registry with TLS (a private CA made here with openssl) and
//   basic auth (htpasswd), on its own bridge network at a fixed address, as
//   [registry] build_address;
// - "machine A": its own DOCKER_CONFIG (logged in to the shared registry)
//   and project copy, building on a standalone BuildKit with mutual TLS that
//   sits on that bridge: it cannot reach this host's 127.0.0.1, so builds
//   can only go through the shared registry;
// - "machine B": a fresh DOCKER_CONFIG, a fresh docker-container builder
//   (the CA given to it by docker esb's buildkitd.toml), no local cache
//   folder, a fresh local registry: the same commit builds from A's shared
//   registry caches, and B's local registry holds A's images at A's digests;
//   the engine pulls them from there (the runtime's CONTAINER_REGISTRY).
//   Every target is taken from A's images by its input key (issue 23): B
//   creates no builder and runs no bake; then B changes one function and
//   only that one builds; a key tag whose image was deleted is not trusted;
//   the CI recipe's scheduled prune (prune --shared) deletes only what the
//   older keys alone named.
// - A wrong password stops before anything is built, in one line naming the
//   registry and docker login; nothing is tagged anywhere.
// Both machines share this engine, one after the other: the same brand means
// the same local registry container, volume and builder names, so A's local
// registry is removed before B runs (B's state shares nothing with A's).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { Project, BUSYBOX, e2eDockerConfig, must } from './project.ts'
import { ROOT, freePort, run, tmpdir, type Ran } from '../lib/helpers.ts'
import { RegistryClient } from '../../scripts/oci/client.ts'
import { registrySource } from '../../scripts/oci/sources.ts'
import { copyImage } from '../../scripts/oci/copy.ts'

let p: Project
let bkPort = 0
let shared = '' // ip:5000 on the bridge
const certs = tmpdir('esb-e2e-certs-')
const auth = tmpdir('esb-e2e-auth-')
const net = () => `${p.brand}-net`
const registryName = () => `${p.brand}-shared`
const buildkitd = () => `${p.brand}-buildkitd`
let dirB = ''
const cfgA = e2eDockerConfig()
const cfgB = e2eDockerConfig()
const cfgWrong = e2eDockerConfig()

function openssl(...args: string[]): void {
  must(run('openssl', args, { cwd: certs }), `openssl ${args[0]}`)
}

function makeCerts(registryIp: string): void {
  fs.writeFileSync(path.join(certs, 'bk.cnf'), 'subjectAltName = IP:127.0.0.1, DNS:buildkitd\nextendedKeyUsage = serverAuth\n')
  fs.writeFileSync(path.join(certs, 'reg.cnf'), `subjectAltName = IP:${registryIp}\nextendedKeyUsage = serverAuth\n`)
  fs.writeFileSync(path.join(certs, 'client.cnf'), 'extendedKeyUsage = clientAuth\n')
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=esb-e2e-ca',
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
  )
  for (const [name, ext] of [
    ['server', 'bk.cnf'],
    ['registry', 'reg.cnf'],
    ['client', 'client.cnf'],
  ]) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`)
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      ext,
      '-out',
      `${name}.pem`,
    )
  }
  for (const f of fs.readdirSync(certs)) fs.chmodSync(path.join(certs, f), 0o644)
}

/** A docker config logged in to the shared registry (as `docker login` writes it without a helper). */
function login(cfg: string, password: string): void {
  const file = path.join(cfg, 'config.json')
  const j = JSON.parse(fs.readFileSync(file, 'utf8'))
  j.auths = { [shared]: { auth: Buffer.from(`ci:${password}`).toString('base64') } }
  fs.writeFileSync(file, JSON.stringify(j))
}

/** Waits until the shared registry answers (after it starts or restarts). */
async function sharedAnswers(): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await client().ping()
    } catch (e) {
      if (i > 40) throw e
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/** A bridge network with its own subnet (the registry needs a fixed address for its certificate). */
function makeNetwork(): string {
  for (let i = 0; i < 20; i++) {
    const sub = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`
    if (p.docker(['network', 'create', '--subnet', `${sub}.0/24`, net()]).code === 0) return `${sub}.10`
  }
  throw new Error('no free subnet for the test network')
}

const esbIn = (dir: string, cfg: string, args: string[]): Ran =>
  run('docker', ['esb', ...args], {
    cwd: dir,
    env: p.env({ DOCKER_CONFIG: cfg, [`${p.prefix}_UPSTREAM_BASE`]: `${shared}/library/${BUSYBOX}` }),
  })

const client = (cfgPassword = 'pw') =>
  new RegistryClient(`https://${shared}`, shared, {
    ca: fs.readFileSync(path.join(certs, 'ca.pem'), 'utf8'),
    credentials: { username: 'ci', password: cfgPassword },
  })

async function localDigests(): Promise<Record<string, string>> {
  const c = new RegistryClient(`http://${p.registry}`, p.registry)
  const out: Record<string, string> = {}
  for (const repo of (await c.catalog()).filter((r) => r.startsWith(`${p.brand}-`) && !r.includes('-cache/')))
    out[repo] = (await c.manifestDigest(repo, 'latest')) ?? ''
  return out
}

test.before(async () => {
  p = await Project.create()
  const ip = makeNetwork()
  shared = `${ip}:5000`
  makeCerts(ip)
  must(run('htpasswd', ['-Bbc', path.join(auth, 'htpasswd'), 'ci', 'pw']), 'htpasswd')
  fs.chmodSync(path.join(auth, 'htpasswd'), 0o644)
  const regImage = 'registry:2'
  must(
    p.docker([
      'run',
      '-d',
      '--name',
      registryName(),
      '--network',
      net(),
      '--ip',
      ip,
      '-v',
      `${certs}:/certs:ro`,
      '-v',
      `${auth}:/auth:ro`,
      '-e',
      'REGISTRY_HTTP_ADDR=0.0.0.0:5000',
      '-e',
      'REGISTRY_STORAGE_DELETE_ENABLED=true',
      '-e',
      'REGISTRY_HTTP_TLS_CERTIFICATE=/certs/registry.pem',
      '-e',
      'REGISTRY_HTTP_TLS_KEY=/certs/registry-key.pem',
      '-e',
      'REGISTRY_AUTH=htpasswd',
      '-e',
      'REGISTRY_AUTH_HTPASSWD_REALM=esb-e2e',
      '-e',
      'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd',
      regImage,
    ]),
    'shared registry',
  )
  // machine A's BuildKit: on the bridge (no host network), its TLS endpoint published on 127.0.0.1, the registry's CA in its own config
  fs.writeFileSync(path.join(certs, 'buildkitd.toml'), `[registry."${shared}"]\n  ca = ["/certs/ca.pem"]\n`)
  bkPort = await freePort()
  must(
    p.docker([
      'run',
      '-d',
      '--name',
      buildkitd(),
      '--privileged',
      '--network',
      net(),
      '-p',
      `127.0.0.1:${bkPort}:1234`,
      '-v',
      `${certs}:/certs:ro`,
      'moby/buildkit:buildx-stable-1',
      '--config',
      '/certs/buildkitd.toml',
      '--addr',
      'tcp://0.0.0.0:1234',
      '--tlscacert',
      '/certs/ca.pem',
      '--tlscert',
      '/certs/server.pem',
      '--tlskey',
      '/certs/server-key.pem',
    ]),
    'buildkitd',
  )
  // the offline upstream base, into the shared registry (where every builder can read it)
  p.seed()
  await sharedAnswers()
  const local = new RegistryClient(`http://${p.registry}`, p.registry)
  const src = await registrySource(local, `library/${BUSYBOX.split(':')[0]}`, BUSYBOX.split(':')[1])
  await copyImage(src, src.images[0].root, client(), `library/${BUSYBOX.split(':')[0]}`, BUSYBOX.split(':')[1])
  // machine B's project: the same commit, copied before A builds (no state, no cache folder)
  dirB = tmpdir(`esb-e2e-${p.brand}-b-`)
  fs.cpSync(p.dir, dirB, { recursive: true })
  const regToml = `[registry]\nbuild_address = "${shared}"\nbuild_ca = "${certs}/ca.pem"\n`
  fs.appendFileSync(
    path.join(p.dir, 'esb.toml'),
    `${regToml}[builder]\ndriver = "remote"\nendpoint = "tcp://127.0.0.1:${bkPort}"\ncacert = "${certs}/ca.pem"\ncert = "${certs}/client.pem"\nkey = "${certs}/client-key.pem"\nservername = "buildkitd"\n`,
  )
  fs.appendFileSync(path.join(dirB, 'esb.toml'), regToml)
  login(cfgA, 'pw')
  login(cfgB, 'pw')
  login(cfgWrong, 'not-the-password')
})

test.after(() => {
  if (dirB) esbIn(dirB, cfgB, ['down', '--registry'])
  p?.docker(['rm', '-f', '-v', buildkitd(), registryName()])
  if (dirB) run('docker', ['buildx', 'rm', '-f', p.builder], { env: p.env({ DOCKER_CONFIG: cfgB }) })
  run('docker', ['buildx', 'rm', '-f', p.builder], { env: p.env({ DOCKER_CONFIG: cfgA }) })
  // the network before cleanup: cleanup removes the project folder docker runs in
  p?.docker(['network', 'rm', net()])
  p?.cleanup()
  for (const d of [certs, auth, dirB, cfgA, cfgB, cfgWrong]) if (d) fs.rmSync(d, { recursive: true, force: true })
})

test('machine A builds on a remote BuildKit that reaches only the shared registry; its local registry gets the images', async () => {
  let r: Ran | undefined
  // buildkitd takes a moment to listen
  for (let i = 0; i < 20; i++) {
    r = esbIn(p.dir, cfgA, ['build', '--json'])
    if (r.code === 0 || !/connection refused|connection reset/.test(r.stderr)) break
    await new Promise((res) => setTimeout(res, 500))
  }
  assert.is(r!.code, 0, r!.stderr.slice(-3000))
  assert.match(
    r!.stderr,
    new RegExp(`# copied \\d+ image\\(s\\) from ${shared.replace(/\./g, '\\.')} into ${p.registry.replace(/\./g, '\\.')}`),
  )
  const sharedRepos = await client().catalog()
  for (const t of ['os-base', 'lambda-base', 'gateway-docker', 'fn-hello']) {
    assert.ok(sharedRepos.includes(`${p.brand}-${t}`), `${t} image in the shared registry: ${sharedRepos}`)
    assert.ok(sharedRepos.includes(`${p.brand}-cache/${t}`), `${t} cache in the shared registry`)
  }
  const a = await localDigests()
  for (const t of ['os-base', 'lambda-base', 'gateway-docker', 'fn-hello'])
    assert.is(a[`${p.brand}-${t}`], (await client().manifestDigest(`${p.brand}-${t}`, 'latest')) ?? 'absent', t)
  // a no-op: nothing rebuilt, nothing copied
  const noop = esbIn(p.dir, cfgA, ['build', '--json'])
  assert.is(noop.code, 0, noop.stderr.slice(-2000))
  assert.equal(JSON.parse(noop.stdout).rebuilt ?? {}, {})
  assert.match(noop.stderr, /# copied 0 image\(s\) .*; \d+ already there/)
  fs.writeFileSync(path.join(certs, 'digests-a.json'), JSON.stringify(a))
})

test('a wrong registry password: one line naming the registry and docker login, before anything is built; nothing tagged', async () => {
  const before = await client().catalog()
  const fnBefore = await client().manifestDigest(`${p.brand}-fn-hello`, 'latest')
  const localBefore = await localDigests()
  fs.appendFileSync(path.join(p.dir, 'functions', 'hello', 'handler'), 'echo changed\n')
  const r = esbIn(p.dir, cfgWrong, ['build'])
  assert.is(r.code, 1, r.stderr)
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('docker esb:'))
  assert.equal(lines.length, 1, r.stderr)
  assert.match(
    lines[0],
    new RegExp(
      `registry ${shared.replace(/\./g, '\\.')} refused the credentials for ${shared.replace(/\./g, '\\.')} in .*config\\.json \\(HTTP 401\\); run 'docker login ${shared.replace(/\./g, '\\.')}'`,
    ),
  )
  // no step ran: the executor logs each step's why ("# build ...", "# ... builder ...") before it
  assert.not.match(r.stderr, /^# (build |.*builder )/m)
  assert.equal(await client().catalog(), before)
  assert.is(await client().manifestDigest(`${p.brand}-fn-hello`, 'latest'), fnBefore, 'the changed function was not pushed')
  assert.equal(await localDigests(), localBefore)
  // doctor says the same, and passes that check with the right login
  assert.match(esbIn(p.dir, cfgWrong, ['doctor']).stdout, /^FAIL {2}build registry +registry .* refused the credentials/m)
  assert.match(esbIn(p.dir, cfgA, ['doctor']).stdout, /^ok {4}build registry +.* answers and takes your credentials$/m)
})

const builders = (cfg: string) =>
  run('docker', ['buildx', 'ls', '--format', '{{.Name}}'], { env: p.env({ DOCKER_CONFIG: cfg }) }).stdout

test("machine B: fresh config, no builder, no state, empty local registry: takes A's images by key, builds nothing; the engine pulls them", async () => {
  const a = JSON.parse(fs.readFileSync(path.join(certs, 'digests-a.json'), 'utf8')) as Record<string, string>
  // A's local registry goes: B's is fresh (same brand, same container and volume names on this one engine)
  must(p.esb(['down', '--registry']), 'down --registry (A)')
  must(p.docker(['volume', 'rm', `${p.brand}-registry-data`]), 'registry volume (A)')
  for (const d of ['inputs', 'buildx-cache']) assert.not.ok(fs.existsSync(path.join(dirB, `.${p.brand}`, d)), d)
  // as the CI recipe's runner does it (docs/ci.md): its build script, then the deploy list from the metadata alone
  const r = run('sh', [path.join(ROOT, 'examples', 'ci', 'build.sh'), 'md.json'], {
    cwd: dirB,
    env: p.env({ DOCKER_CONFIG: cfgB, [`${p.prefix}_UPSTREAM_BASE`]: `${shared}/library/${BUSYBOX}` }),
  })
  assert.is(r.code, 0, r.stderr.slice(-3000))
  const rep = JSON.parse(fs.readFileSync(path.join(dirB, 'build-report.json'), 'utf8'))
  assert.equal(rep.rebuilt, {}, 'nothing built')
  assert.ok(Object.keys(rep.reused ?? {}).length >= 6, JSON.stringify(rep.reused))
  for (const from of Object.values(rep.reused as Record<string, string>)) assert.match(from, /^k-[0-9a-f]{16}/)
  assert.match(r.stderr, /^# reused fn-hello from k-[0-9a-f]{16}/m)
  // no builder made, no bake run
  assert.not.match(r.stderr, /builder .*: creating|^# build /m)
  assert.not.ok(builders(cfgB).split('\n').includes(p.builder), builders(cfgB))
  const md = JSON.parse(fs.readFileSync(path.join(dirB, 'md.json'), 'utf8'))
  assert.is(md['fn-hello']['docker-esb.status'], 'reused')
  const deploy = fs.readFileSync(path.join(dirB, 'deploy.txt'), 'utf8')
  assert.match(
    deploy,
    new RegExp(`^fn-hello ${shared.replace(/\./g, '\\.')}/${p.brand}-fn-hello@${md['fn-hello']['containerimage.digest']}$`, 'm'),
  )
  const b = await localDigests()
  for (const t of ['os-base', 'lambda-base', 'python-base', 'gateway-docker', 'fn-hello']) {
    assert.is(b[`${p.brand}-${t}`], a[`${p.brand}-${t}`], `${t}: B's local registry has A's digest`)
    assert.is(md[t]['containerimage.digest'], a[`${p.brand}-${t}`], `${t}: its metadata names A's digest`)
  }
  // the runtime pulls from the local registry (CONTAINER_REGISTRY)
  must(p.docker(['pull', '-q', `${p.registry}/${p.brand}-fn-hello:latest`]), 'engine pulls fn-hello from the local registry')
  // a no-op now skips on B's own records
  const noop = JSON.parse(must(esbIn(dirB, cfgB, ['build', '--json']), 'no-op on B').stdout)
  assert.equal(noop.rebuilt, {})
  assert.is(noop.reused, undefined)
})

test('machine B changes one function: only it builds (from the shared caches); the others stay as A built them', async () => {
  const before = await localDigests()
  fs.appendFileSync(path.join(dirB, 'functions', 'hello', 'handler'), 'echo changed on B\n')
  const r = esbIn(dirB, cfgB, ['build', '--json'])
  assert.is(r.code, 0, r.stderr.slice(-3000))
  const rep = JSON.parse(r.stdout)
  assert.equal(Object.keys(rep.rebuilt), ['fn-hello'])
  assert.equal(Object.keys(rep.targets), ['fn-hello'])
  // the builder got the CA through docker esb's buildkitd.toml
  assert.match(
    fs.readFileSync(path.join(dirB, `.${p.brand}`, 'buildkitd.toml'), 'utf8'),
    new RegExp(`\\[registry\\."${shared.replace(/\./g, '\\.')}"\\]\\n {2}ca = `),
  )
  const after = await localDigests()
  assert.is.not(after[`${p.brand}-fn-hello`], before[`${p.brand}-fn-hello`])
  for (const t of ['os-base', 'lambda-base', 'gateway-docker', 'fn-echo'])
    assert.is(after[`${p.brand}-${t}`], before[`${p.brand}-${t}`], `${t} unchanged`)
  // what B built is published under its key: the shared registry has a key tag for it
  assert.ok((await client().tags(`${p.brand}-fn-hello`)).filter((t) => /^k-[0-9a-f]{16}$/.test(t)).length >= 2)
})

test('a key tag whose image was deleted is not trusted: a fresh state builds that target, takes the others', async () => {
  const repo = `${p.brand}-fn-echo`
  const keyTags = (await client().tags(repo)).filter((t) => /^k-[0-9a-f]{16}$/.test(t))
  assert.is(keyTags.length, 1, keyTags.join(' '))
  const digest = (await client().manifestDigest(repo, keyTags[0]))!
  // the manifest goes, its tags stay (the registry API would drop both): the key tag now names nothing
  const revision = `/var/lib/registry/docker/registry/v2/repositories/${repo}/_manifests/revisions/sha256/${digest.slice(7)}`
  must(p.docker(['exec', registryName(), 'rm', '-rf', revision]), 'delete the manifest')
  // its in-memory descriptor cache would still know the manifest
  must(p.docker(['restart', '-t', '1', registryName()]), 'restart the shared registry')
  await sharedAnswers()
  assert.ok((await client().tags(repo)).includes(keyTags[0]), 'the key tag is still listed')
  assert.is(await client().manifestDigest(repo, keyTags[0]), null)
  fs.rmSync(path.join(dirB, `.${p.brand}`), { recursive: true, force: true })
  const r = esbIn(dirB, cfgB, ['build', '--json'])
  assert.is(r.code, 0, r.stderr.slice(-3000))
  const rep = JSON.parse(r.stdout)
  assert.equal(Object.keys(rep.rebuilt), ['fn-echo'])
  assert.ok(rep.reused['fn-hello'] && rep.reused['os-base'], JSON.stringify(rep.reused))
})

test("the scheduled prune (examples/ci/prune.sh), keep = 1: A's fn-hello goes (only its key's tags named it); what is current is still taken by key", async () => {
  const a = JSON.parse(fs.readFileSync(path.join(certs, 'digests-a.json'), 'utf8')) as Record<string, string>
  const repo = `${p.brand}-fn-hello`
  const old = a[repo]
  const latest = (await client().manifestDigest(repo, 'latest'))!
  assert.is.not(latest, old, "B's change moved latest")
  const toml = path.join(dirB, 'esb.toml')
  fs.writeFileSync(toml, fs.readFileSync(toml, 'utf8').replace('[registry]\n', '[registry]\nkeep = 1\n'))
  const r = run('sh', [path.join(ROOT, 'examples', 'ci', 'prune.sh')], { cwd: dirB, env: p.env({ DOCKER_CONFIG: cfgB }) })
  assert.is(r.code, 0, r.stderr.slice(-3000))
  // the dry run's list, then the deletion
  assert.match(
    r.stdout,
    new RegExp(`DELETE ${shared.replace(/\./g, '\\.')}/${repo}@${old.slice(0, 19)} +k-[0-9a-f]{16} \\(published `),
  )
  assert.match(r.stdout, /frees up to \d+\.\d MiB once the registry's garbage collector runs/)
  assert.match(r.stderr, /^# deleted \d+ manifest\(s\) in .*, kept the newest 1 key\(s\) per image/m)
  assert.is(await client().manifest(repo, old), null, "A's fn-hello is gone")
  assert.is(await client().manifestDigest(repo, 'latest'), latest)
  // nothing current was touched: a fresh state of B still builds nothing
  fs.rmSync(path.join(dirB, `.${p.brand}`), { recursive: true, force: true })
  const again = JSON.parse(must(esbIn(dirB, cfgB, ['build', '--json']), 'build after prune').stdout)
  assert.equal(again.rebuilt, {})
  assert.ok(again.reused['fn-hello'], JSON.stringify(again.reused))
})

test.run()
