// Adopting an existing ESB-shaped repo (examples/adopt) on the real engine:
// on a git-committed copy with a small esb.toml, `docker esb build` then
// `docker esb up` leave the working tree unchanged, push every image to the
// local registry only, build every function of every artifact entry under the
// name its functions.yml gives, on the lambda base built in the same run (or
// on the outside image its Dockerfile names), and a second `up` recreates
// nothing. What the Dockerfiles read from outside (the `# syntax=` frontend,
// the digest-pinned Debian/Python/Lambda bases, uv, the Lambda Java image)
// comes from a mirror (test/e2e/mirror.ts) that the copy's
// .acme/buildkitd.toml names, as a company mirror would be named. The
// esb.toml gives the bases the args the repo's own tooling gives them
// ([bake.args], [bake.arg_hashes]), so bake and compose build them alike, the
// CA lands as rootCA.crt, and a new CA rebuilds them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { e2eName, freePort, run, tmpdir, type Ran } from '../lib/helpers.ts'
import { e2eDockerConfig, must } from './project.ts'
import { adoptCopy, adoptEnv, startMirror, type Mirror } from './mirror.ts'

const id = e2eName()
const dir = tmpdir(`esb-e2e-adopt-${id}-`)
const cfg = e2eDockerConfig()
let port = 0
let mirror: Mirror | undefined
const env = () => adoptEnv(id, port, cfg)
const sh = (cmd: string, args: string[]): Ran => run(cmd, args, { cwd: dir, env: env() })
const git = (...a: string[]) => must(sh('git', ['-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', ...a]), `git ${a[0]}`)
const infra = ['compose', '-p', 'acme-infra', '-f', 'docker-compose.infra.yml']
/** Per target of a report: `target cached/total` for each that missed a step. */
const missedSteps = (report: string) =>
  Object.entries<any>(JSON.parse(fs.readFileSync(path.join(dir, '.acme', 'reports', report), 'utf8')).targets)
    .filter(([, h]) => h.cached < h.total)
    .map(([t, h]) => `${t} ${h.cached}/${h.total}`)

async function registryJson(
  p: string,
  accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { accept } })
  return r.ok ? r.json() : null
}
/** The manifest of the linux image of a tag. */
async function manifest(repo: string, tag: string): Promise<any> {
  let m = await registryJson(`/v2/${repo}/manifests/${tag}`)
  if (m?.manifests)
    m = await registryJson(`/v2/${repo}/manifests/${m.manifests.find((d: any) => d.platform?.os === 'linux').digest}`)
  return m
}
/** Layer digests of the linux image of a tag. */
async function layers(repo: string, tag: string): Promise<string[] | null> {
  const m = await manifest(repo, tag)
  return m ? m.layers.map((l: any) => l.digest) : null
}
/** Uncompressed layer digests (config rootfs.diff_ids) of the linux image of a tag: what a base's layers are, however the push compressed them. */
async function diffIds(repo: string, tag: string): Promise<string[] | null> {
  const m = await manifest(repo, tag)
  const c = m && (await registryJson(`/v2/${repo}/blobs/${m.config.digest}`, '*/*'))
  return c ? c.rootfs.diff_ids : null
}
/** The image a Dockerfile's (last) FROM names. */
const fromOf = (dockerfile: string) => [...fs.readFileSync(dockerfile, 'utf8').matchAll(/^FROM\s+(\S+)/gm)].pop()![1]

test.before(async () => {
  port = await freePort()
  mirror = await startMirror()
  // pins as this machine's stand-ins give them, the mirror in the repo's own buildkitd.toml, the minimal esb.toml
  adoptCopy(dir, mirror)
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'the repo as it is')
  must(sh('bash', ['tools/setup-certs.sh']), "certs (the repo's own setup task)")
  // the registry, started the way the repo's own tools start it
  must(sh('docker', [...infra, 'up', '-d', '--wait', 'registry']), 'registry up')
})

test.after(async () => {
  sh('docker', ['compose', '-p', `acme-${id}`, '-f', 'docker-compose.docker.yml', 'down', '-v', '--remove-orphans', '-t', '1'])
  sh('docker', [...infra, 'down', '-v', '--remove-orphans', '-t', '1'])
  sh('docker', ['buildx', 'rm', '-f', `acme-${id}-buildx`])
  const imgs = sh('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
    .stdout.split('\n')
    .filter((i) => i.startsWith(`127.0.0.1:${port}/`) || /^acme-(os|python)-base:/.test(i))
  if (imgs.length) sh('docker', ['image', 'rm', '-f', ...imgs])
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(cfg, { recursive: true, force: true })
  await mirror?.stop()
})

test("build: every image in the local registry only, functions named by functions.yml on this run's lambda base, tree unchanged", async () => {
  const r = must(sh('docker', ['esb', 'build']), 'docker esb build')
  assert.match(r.stderr, /registry answers .*reused \(container acme-e2e\w+-registry, compose project acme-infra\)/)
  assert.is(must(sh('git', ['status', '--porcelain']), 'git status').stdout, '', 'the working tree is unchanged')
  const catalog: string[] = (await registryJson('/v2/_catalog?n=1000')).repositories
  for (const t of ['os-base', 'python-base', 'lambda-base', 'gateway-docker', 'agent-docker', 'provisioner'])
    assert.ok(catalog.includes(`acme-${t}`), t)
  const base = await layers('acme-lambda-base', 'latest')
  assert.ok(base && base.length > 0)
  // the bases start from the pinned outside images, served by the mirror
  for (const [t, ref] of [
    ['os-base', 'debian:bookworm-slim'],
    ['python-base', 'python:3.12-slim-bookworm'],
    ['lambda-base', 'public.ecr.aws/lambda/python:3.12'],
  ]) {
    const want = mirror!.layers[ref]
    assert.equal((await diffIds(`acme-${t}`, 'latest'))?.slice(0, want.length), want, `${t} is built on the mirror's ${ref}`)
  }
  const froms = new Set<string>()
  for (const mode of ['docker', 'containerd']) {
    const entries = path.join(dir, 'artifacts', `e2e-${mode}`, 'entries')
    for (const e of fs.readdirSync(entries)) {
      const fy = YAML.parse(fs.readFileSync(path.join(entries, e, 'config', 'functions.yml'), 'utf8'))
      for (const [name, def] of Object.entries<any>(fy.functions)) {
        // the runtime's name, with the runtime alias (127.0.0.1:5010 or registry:5010) mapped to this registry
        const [repo, tag] = def.image.replace(/^[^/]+\//, '').split(':')
        const l = await layers(repo, tag)
        assert.ok(l, `${name} (${mode}) pullable as ${repo}:${tag}`)
        const from = fromOf(path.join(entries, e, 'functions', name, 'Dockerfile'))
        froms.add(from)
        if (/\/acme-lambda-base:/.test(from))
          assert.equal(l!.slice(0, base!.length), base, `${name} (${mode}) is built on this run's lambda base`)
        else {
          // a function FROM an outside image (the Lambda Java image): built on the mirror's copy
          const want = mirror!.layers[from]
          assert.ok(want, `${name} (${mode}): FROM ${from} is one of the mirror's images`)
          assert.equal(
            (await diffIds(repo, tag))!.slice(0, want.length),
            want,
            `${name} (${mode}) is built on the mirror's ${from}`,
          )
        }
      }
    }
  }
  assert.ok(froms.has('public.ecr.aws/lambda/java:21'), 'a function is built FROM an outside image')
  assert.ok(
    [...froms].some((f) => /\/acme-lambda-base:/.test(f)),
    'functions are built FROM the lambda base',
  )
  // nothing was pushed towards Docker Hub: no image named like the bake file's bare tags
  assert.is(
    sh('docker', ['image', 'inspect', 'acme-os-base:latest']).code === 0 &&
      sh('docker', ['image', 'inspect', 'acme-os-base:latest']).stdout.includes('docker.io'),
    false,
  )
})

test('up after build: no step built twice; the stack starts; a second up recreates nothing; the tree is unchanged', () => {
  // compose builds with the digests keyed, as bake does: the frontend pinned (the Dockerfiles say docker/dockerfile:1.7)
  const plan = JSON.parse(must(sh('docker', ['esb', 'up', '--dry-run', '--json']), 'up --dry-run').stdout)
  const override = plan.steps.find((s: any) => s.kind === 'write' && /compose\.cache\.json$/.test(s.path))
  const services = JSON.parse(override.content).services
  assert.match(services.gateway.build.args.BUILDKIT_SYNTAX, /^docker\/dockerfile:1\.7@sha256:[a-f0-9]{64}$/)
  must(sh('docker', ['esb', 'up']), 'docker esb up')
  // compose builds the bases and control images build just baked: it shares their caches and bases
  const rep = JSON.parse(fs.readFileSync(path.join(dir, '.acme', 'reports', 'last-up.json'), 'utf8'))
  assert.equal(missedSteps('last-up.json'), [], 'every step of up was cached (built once, by build)')
  assert.ok(rep.total.total > 0, 'up reported its steps')
  const ids = () =>
    sh('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=acme-${id}`, '--filter', 'status=running'])
      .stdout.trim()
      .split('\n')
      .filter(Boolean)
      .sort()
  const first = ids()
  assert.ok(first.length >= 2, 'gateway and agent run')
  const again = must(sh('docker', ['esb', 'up']), 'second up')
  assert.not.match(again.stderr, /Recreate/)
  assert.equal(ids(), first, 'the same containers')
  assert.is(must(sh('git', ['status', '--porcelain']), 'git status').stdout, '', 'the working tree is unchanged')
  // [bake.args]: the CA is installed under a name update-ca-certificates takes (bake alone would name it root_ca)
  for (const b of ['os-base', 'python-base'])
    assert.is(
      must(
        sh('docker', ['run', '--rm', '--entrypoint', 'ls', `acme-${b}:latest`, '/usr/local/share/ca-certificates']),
        b,
      ).stdout.trim(),
      'rootCA.crt',
      `${b}: the CA as rootCA.crt`,
    )
})

test('a new CA (same path, new content) rebuilds the bases on the next build, without --no-skip', () => {
  const ca = path.join(dir, '.acme', 'certs', 'rootCA.crt')
  fs.writeFileSync(
    ca,
    fs.readFileSync(ca, 'utf8').replace('-----BEGIN CERTIFICATE-----\n', '-----BEGIN CERTIFICATE-----\nTkVXIENB\n'),
  )
  const plan = must(sh('docker', ['esb', 'build', '--dry-run']), 'build --dry-run').stdout
  for (const b of ['os-base', 'python-base'])
    assert.match(plan, new RegExp(`^rebuild ${b}: .*(secret root_ca|build arg ROOT_CA_FINGERPRINT|always built)`, 'm'))
  must(sh('docker', ['esb', 'build']), 'docker esb build (new CA)')
  const missed = missedSteps('last-build.json')
  for (const b of ['os-base', 'python-base'])
    assert.ok(
      missed.some((m) => m.startsWith(`${b} `)),
      `${b} rebuilt its CA step (missed: ${missed.join(', ')})`,
    )
  // the salt that keys the secret: 32 bytes, only the user may read it
  assert.is(fs.statSync(path.join(dir, '.acme', 'inputs', 'secret-salt')).mode & 0o777, 0o600)
})

test("the registry docker esb starts is on 127.0.0.1 only, whatever the repo's infra file publishes; down --registry stops it", () => {
  const name = `acme-${id}-registry`
  must(sh('docker', ['esb', 'down', '--registry']), 'docker esb down --registry')
  assert.is(sh('docker', ['container', 'inspect', name]).code, 1, 'down --registry found and removed it')
  // the file as an ESB repo may have it: no host address, every interface
  const file = path.join(dir, 'docker-compose.infra.yml')
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"127.0.0.1:${PORT_REGISTRY', '"${PORT_REGISTRY'))
  must(sh('docker', ['esb', 'build']), 'docker esb build, which starts the registry')
  const bindings = JSON.parse(
    must(sh('docker', ['inspect', '--format', '{{json .HostConfig.PortBindings}}', name]), 'inspect').stdout,
  )
  assert.equal(bindings, { '5010/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] })
  assert.equal(must(sh('docker', ['port', name]), 'docker port').stdout.trim(), `5010/tcp -> 127.0.0.1:${port}`)
  git('checkout', '--', 'docker-compose.infra.yml')
})

test.run()
