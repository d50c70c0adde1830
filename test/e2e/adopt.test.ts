// Adopting an existing ESB-shaped repo (examples/adopt) on the real engine:
// on a git-committed copy with a two-line esb.toml, `docker esb build` then
// `docker esb up` leave the working tree unchanged, push every image to the
// local registry only, build every function of every artifact entry under the
// name its functions.yml gives, on the lambda base built in the same run, and
// a second `up` recreates nothing.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { ROOT, e2eName, freePort, run, tmpdir, type Ran } from '../lib/helpers.ts'
import { BUSYBOX, e2eDockerConfig, must } from './project.ts'

const id = e2eName()
const dir = tmpdir(`esb-e2e-adopt-${id}-`)
const cfg = e2eDockerConfig()
let port = 0
const env = () => ({
  DOCKER_CONFIG: cfg,
  PORT_REGISTRY: String(port),
  UPSTREAM_BASE: `127.0.0.1:${port}/library/${BUSYBOX}`,
  // unique names on a shared engine; the brand itself (acme) comes from the repo's generated files
  BUILDX_BUILDER: `acme-${id}-buildx`,
  REGISTRY_CONTAINER_NAME: `acme-${id}-registry`,
  PROJECT_NAME: `acme-${id}`,
  ENV: undefined,
  ACME_ENV: undefined,
  ACME_TAG: undefined,
})
const sh = (cmd: string, args: string[]): Ran => run(cmd, args, { cwd: dir, env: env() })
const git = (...a: string[]) => must(sh('git', ['-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', ...a]), `git ${a[0]}`)
const infra = ['compose', '-p', 'acme-infra', '-f', 'docker-compose.infra.yml']

async function registryJson(
  p: string,
  accept = 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
): Promise<any> {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { accept } })
  return r.ok ? r.json() : null
}
/** Layer digests of the linux image of a tag. */
async function layers(repo: string, tag: string): Promise<string[] | null> {
  let m = await registryJson(`/v2/${repo}/manifests/${tag}`)
  if (m?.manifests)
    m = await registryJson(`/v2/${repo}/manifests/${m.manifests.find((d: any) => d.platform?.os === 'linux').digest}`)
  return m ? m.layers.map((l: any) => l.digest) : null
}

test.before(async () => {
  port = await freePort()
  fs.cpSync(path.join(ROOT, 'examples', 'adopt'), dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'esb.toml'), '[functions]\nartifact = "artifacts/e2e-*/artifact.yml"\n')
  git('init', '-q')
  git('add', '-A')
  git('commit', '-qm', 'the repo as it is')
  must(sh('bash', ['tools/setup-certs.sh']), "certs (the repo's own setup task)")
  // the offline base in the registry, started the way the repo's own tools start it
  must(sh('docker', [...infra, 'up', '-d', '--wait', 'registry']), 'registry up')
  if (sh('docker', ['image', 'inspect', BUSYBOX]).code !== 0) must(sh('docker', ['pull', BUSYBOX]), 'pull busybox')
  must(sh('docker', ['tag', BUSYBOX, `127.0.0.1:${port}/library/${BUSYBOX}`]), 'tag')
  must(sh('docker', ['push', '-q', `127.0.0.1:${port}/library/${BUSYBOX}`]), 'push busybox')
})

test.after(() => {
  sh('docker', ['compose', '-p', `acme-${id}`, '-f', 'docker-compose.docker.yml', 'down', '-v', '--remove-orphans', '-t', '1'])
  sh('docker', [...infra, 'down', '-v', '--remove-orphans', '-t', '1'])
  sh('docker', ['buildx', 'rm', '-f', `acme-${id}-buildx`])
  const imgs = sh('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])
    .stdout.split('\n')
    .filter((i) => i.startsWith(`127.0.0.1:${port}/`) || /^acme-(os|python)-base:/.test(i))
  if (imgs.length) sh('docker', ['image', 'rm', '-f', ...imgs])
  fs.rmSync(dir, { recursive: true, force: true })
  fs.rmSync(cfg, { recursive: true, force: true })
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
  for (const mode of ['docker', 'containerd']) {
    const entries = path.join(dir, 'artifacts', `e2e-${mode}`, 'entries')
    for (const e of fs.readdirSync(entries)) {
      const fy = YAML.parse(fs.readFileSync(path.join(entries, e, 'config', 'functions.yml'), 'utf8'))
      for (const [name, def] of Object.entries<any>(fy.functions)) {
        // the runtime's name, with the runtime alias (127.0.0.1:5010 or registry:5010) mapped to this registry
        const [repo, tag] = def.image.replace(/^[^/]+\//, '').split(':')
        const l = await layers(repo, tag)
        assert.ok(l, `${name} (${mode}) pullable as ${repo}:${tag}`)
        assert.equal(l!.slice(0, base!.length), base, `${name} (${mode}) is built on this run's lambda base`)
      }
    }
  }
  // nothing was pushed towards Docker Hub: no image named like the bake file's bare tags
  assert.is(
    sh('docker', ['image', 'inspect', 'acme-os-base:latest']).code === 0 &&
      sh('docker', ['image', 'inspect', 'acme-os-base:latest']).stdout.includes('docker.io'),
    false,
  )
})

test('up after build: no step built twice; the stack starts; a second up recreates nothing; the tree is unchanged', () => {
  must(sh('docker', ['esb', 'up']), 'docker esb up')
  // compose builds the bases and control images build just baked: it shares their caches and bases
  const rep = JSON.parse(fs.readFileSync(path.join(dir, '.acme', 'reports', 'last-up.json'), 'utf8'))
  const missed = Object.entries<any>(rep.targets)
    .filter(([, h]) => h.cached < h.total)
    .map(([t, h]) => `${t} ${h.cached}/${h.total}`)
  assert.equal(missed, [], 'every step of up was cached (built once, by build)')
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
})

test.run()
