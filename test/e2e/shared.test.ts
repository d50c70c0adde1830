// Shared build caches ([cache] from / to) on the real engine: a build writes
// every target's cache to a second registry per branch; then, as on a fresh
// CI runner (builder removed with its state, no local cache folder, an empty
// local registry), the same commit builds from that shared cache alone: every
// target's steps served from that cache (all but at most one step per base
// flagged cached by BuildKit, see below), the images at the same digests as before.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import { Project, must } from './project.ts'
import { freePort } from '../lib/helpers.ts'

let p: Project
let shared = 0
const sharedName = () => `${p.brand}-shared`

test.before(async () => {
  p = await Project.create()
  shared = await freePort()
  p.seed()
  const image = p.docker(['inspect', '--format', '{{.Config.Image}}', `${p.brand}-infra-registry`]).stdout.trim()
  must(
    p.docker([
      'run',
      '-d',
      '--name',
      sharedName(),
      '-e',
      'REGISTRY_HTTP_ADDR=0.0.0.0:5000',
      '-p',
      `127.0.0.1:${shared}:5000`,
      image,
    ]),
    'shared registry',
  )
  const ref = `127.0.0.1:${shared}/team-cache/{target}:{branch}`
  fs.appendFileSync(
    `${p.dir}/esb.toml`,
    // the team's cache registry is not the project's: the push guard wants it allowed
    `[cache]\nfrom = ["${ref}", "127.0.0.1:${shared}/team-cache/{target}:main"]\nto = "${ref}"\n[bake]\npush_allow = ["127.0.0.1:${shared}/"]\n`,
  )
})
test.after(() => {
  p?.docker(['rm', '-f', '-v', sharedName()])
  p?.cleanup()
})

async function digests(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const cat = (await (await fetch(`http://${p.registry}/v2/_catalog`)).json()) as { repositories: string[] }
  for (const repo of cat.repositories.filter((r) => r.startsWith(`${p.brand}-`) && !r.includes('-cache/'))) {
    const r = await fetch(`http://${p.registry}/v2/${repo}/manifests/latest`, {
      method: 'HEAD',
      headers: {
        Accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    })
    out[repo] = r.headers.get('docker-content-digest') ?? ''
  }
  return out
}

test('branch caches written to the shared registry; a fresh runner of the same commit builds from them alone', async () => {
  must(p.esb(['build'], { [`${p.prefix}_BRANCH`]: 'feature/x' }), 'first build')
  const cat = (await (await fetch(`http://127.0.0.1:${shared}/v2/_catalog`)).json()) as { repositories: string[] }
  for (const t of ['os-base', 'lambda-base', 'gateway-docker', 'fn-hello'])
    assert.ok(cat.repositories.includes(`team-cache/${t}`), `${t} in ${cat.repositories}`)
  const tags = (await (await fetch(`http://127.0.0.1:${shared}/v2/team-cache/fn-hello/tags/list`)).json()) as { tags: string[] }
  assert.equal(tags.tags, ['feature-x'])
  const before = await digests()

  // a fresh runner: no builder (state gone), no local cache folder, an empty local registry (busybox seeded again)
  must(p.docker(['buildx', 'rm', '-f', p.builder]), 'buildx rm')
  fs.rmSync(p.cacheDir, { recursive: true, force: true })
  must(p.esb(['down', '--registry']), 'down --registry')
  must(p.docker(['volume', 'rm', `${p.brand}-registry-data`]), 'registry volume')
  p.seed()
  // a new branch off feature/x: its own ref misses, the next source (main) misses, then... only feature/x has caches
  const r = JSON.parse(must(p.esb(['build', '--json'], { [`${p.prefix}_BRANCH`]: 'feature/x' }), 'fresh build').stdout)
  // BuildKit flags a step cached unless it had to pull the step's layers from the imported cache for an
  // export (then it shows the pulls and DONE, no CACHED): on these small targets one such step is up to a
  // third of a target, so the per-target figure is not asserted; the digests below prove nothing re-ran
  // (os-base stamps the build time into a layer).
  // at most one such step per base image (its last step's layers are pulled to push it): os-base, lambda-base, python-base
  assert.ok(r.total.total - r.total.cached <= 3, `at most one step per base not flagged: ${JSON.stringify(r.total)}`)
  assert.equal(await digests(), before, 'the same images, at the same digests')
})

test.run()
