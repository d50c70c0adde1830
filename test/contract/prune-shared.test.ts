// prune --shared through the bundle against real registries (Debian's
// docker-registry): in the build registry, only the images docker esb's
// tags alone name for keys beyond the newest [registry] keep per image go;
// current tags, other projects' repositories and the registry caches stay.
// The dry run lists the deletions and what the garbage collector would free;
// a registry that refuses deletes, or no build registry, is one line.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { dockerConfig, run, startRegistry, tmpdir } from '../lib/helpers.ts'
import { pushOneLayer } from '../lib/oci-fixtures.ts'
import { tomlSettings } from '../lib/settings.ts'
import { gatherShared } from '../../scripts/prune/shared-run.ts'
import { prunePlan } from '../../scripts/prune/plan.ts'
import { Executor } from '../../scripts/run/execute.ts'
import { Runner } from '../../scripts/docker/runner.ts'
import type { Step } from '../../scripts/plan/types.ts'
import { RegistryClient } from '../../scripts/oci/client.ts'
import { findByKey, keyLabels, keyTag, publishKey, tagImage } from '../../scripts/skip/bykey.ts'

type Reg = Awaited<ReturnType<typeof startRegistry>>
let A: Reg, B: Reg
const dirs: string[] = []
test.before(async () => {
  ;[A, B] = await Promise.all([startRegistry(), startRegistry(undefined, { deletes: false })])
})
test.after(async () => {
  await Promise.all([A?.stop(), B?.stop()])
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

const key = (c: string) => c.repeat(64)
const MiB = (n: number, fill: string) => Buffer.alloc(n << 20, fill)

const pushImage = pushOneLayer

/** A project whose build pushes acme-fn-a, -b, -c and its bases and control images (what bake --print says). */
function project(reg: Reg, keep = 1): string {
  const d = tmpdir('esb-shared-')
  dirs.push(d)
  fs.writeFileSync(
    path.join(d, 'esb.toml'),
    `brand = "acme"\n[templates]\nrender = true\n[registry]\nbuild_address = "127.0.0.1:${reg.port}"\nkeep = ${keep}\n`,
  )
  for (const f of ['a', 'b', 'c']) {
    fs.mkdirSync(path.join(d, 'functions', f), { recursive: true })
    fs.writeFileSync(path.join(d, 'functions', f, 'Dockerfile'), 'FROM lambda-base\n')
  }
  return d
}
const cfg = dockerConfig()
// through the real docker CLI: bake --print names the project's repositories
const esb = (dir: string, ...args: string[]) =>
  run('docker', ['--config', cfg, 'esb', ...args], { cwd: dir, env: { ACME_BUILD_REGISTRY: undefined } })
const tags = async (reg: Reg, repo: string): Promise<string[]> =>
  (((await (await fetch(`${reg.url}/v2/${repo}/tags/list`)).json()) as any).tags ?? []).sort()

test('only the keys beyond keep, on images nothing else names, go; the dry run says so first', async () => {
  const c = new RegistryClient(A.url, `127.0.0.1:${A.port}`)
  const at = (d: number) => new Date(`2026-12-0${d}T10:00:00Z`)
  // three builds of fn-a, published a day apart; `latest` names the second
  const images: string[] = []
  for (const [i, k] of ['1', '2', '3'].entries()) {
    const digest = await pushImage(c, 'acme-fn-a', keyTag(key(k)), MiB(1, k), keyLabels(key(k), 'main'))
    await publishKey(c, 'acme-fn-a', digest, key(k), at(i + 1))
    images.push(digest)
  }
  await tagImage(c, 'acme-fn-a', images[1], 'latest')
  // a registry cache holding the first image's layer: that blob is not freed
  const cache = await pushImage(c, 'acme-cache/fn-a', 'main', MiB(1, '1'))
  // another project's key tag; and a project whose slug starts with ours (acme-web): not ours either
  const other = await pushImage(c, 'other-fn-x', 'latest', MiB(1, 'x'))
  await tagImage(c, 'other-fn-x', other, keyTag(key('9')))
  for (const [i, k] of ['7', '8'].entries()) {
    const digest = await pushImage(c, 'acme-web-fn-x', keyTag(key(k)), MiB(1, k), keyLabels(key(k)))
    await publishKey(c, 'acme-web-fn-x', digest, key(k), at(i + 1))
  }
  const dir = project(A)
  const dry = esb(dir, 'prune', '--shared', '--dry-run')
  assert.is(dry.code, 0, dry.stderr)
  assert.match(
    dry.stdout,
    new RegExp(
      `DELETE 127\\.0\\.0\\.1:${A.port}/acme-fn-a@${images[0].slice(0, 19)} +${keyTag(key('1'))} \\(published 2026-12-01T10:00:00Z\\)`,
    ),
  )
  // the second is what `latest` names, the third is the newest
  assert.not.match(dry.stdout, new RegExp(`${images[1].slice(0, 19)}|${images[2].slice(0, 19)}|other-fn-x|acme-web|acme-cache`))
  // its config and manifest: the layer is the cache's too
  assert.match(dry.stdout, /frees up to 0\.0 MiB/)
  const before = await tags(A, 'acme-fn-a')
  assert.is(before.length, 7)
  const r = esb(dir, 'prune', '--shared')
  assert.is(r.code, 0, r.stderr)
  assert.match(
    r.stderr,
    new RegExp(`# deleted 1 manifest\\(s\\) in 127\\.0\\.0\\.1:${A.port}, kept the newest 1 key\\(s\\) per image`),
  )
  // deleting the image untagged its key tag and time tag; the stale key on `latest`'s image stays
  assert.equal(
    await tags(A, 'acme-fn-a'),
    before.filter((t) => !t.startsWith(keyTag(key('1')))),
  )
  assert.ok(await findByKey(c, 'acme-fn-a', key('3')))
  assert.ok(await findByKey(c, 'acme-fn-a', key('2')))
  assert.is(await findByKey(c, 'acme-fn-a', key('1')), null)
  assert.equal(await tags(A, 'other-fn-x'), [keyTag(key('9')), 'latest'].sort())
  assert.is((await tags(A, 'acme-web-fn-x')).length, 4, "acme-web's keys stay")
  assert.is(await c.manifestDigest('acme-cache/fn-a', 'main'), cache)
  assert.is(await c.manifestDigest('acme-fn-a', 'latest'), images[1])

  // an image only a stale key names, with a layer of its own: its bytes are what the collector frees
  for (const k of ['4', '5']) {
    const digest = await pushImage(c, 'acme-fn-b', keyTag(key(k)), MiB(2, k), keyLabels(key(k)))
    await publishKey(c, 'acme-fn-b', digest, key(k), at(Number(k)))
  }
  const dry2 = esb(dir, 'prune', '--shared', '--dry-run')
  assert.is(dry2.code, 0, dry2.stderr)
  assert.match(dry2.stdout, new RegExp(`acme-fn-b@sha256:\\S+ +${keyTag(key('4'))} \\(published 2026-12-04T10:00:00Z\\)`))
  assert.match(dry2.stdout, /frees up to 2\.0 MiB/)
  const r2 = esb(dir, 'prune', '--shared')
  assert.is(r2.code, 0, r2.stderr)
  assert.equal(
    (await tags(A, 'acme-fn-b')).filter((t) => !t.includes('-t')),
    [keyTag(key('5'))],
  )
  assert.ok(await findByKey(c, 'acme-fn-b', key('5')))
})

test('an image tagged since the plan (a machine reused that key) is not deleted; the others are', async () => {
  const c = new RegistryClient(A.url, `127.0.0.1:${A.port}`)
  const digests: string[] = []
  for (const [i, k] of ['a', 'b', 'c'].entries()) {
    const digest = await pushImage(c, 'acme-fn-r', keyTag(key(k)), MiB(1, k), keyLabels(key(k)))
    await publishKey(c, 'acme-fn-r', digest, key(k), new Date(Date.UTC(2026, 11, i + 1)))
    digests.push(digest)
  }
  const s = tomlSettings(`brand = "acme"\n[registry]\nbuild_address = "127.0.0.1:${A.port}"\nkeep = 1\n`)
  const state = await gatherShared(c, 'acme', null, ['acme-fn-r'])
  const registry = { address: `127.0.0.1:${A.port}`, base: A.url, caFile: null, where: null, caWhere: null, configDir: null }
  const plan = prunePlan(s, { local: false, builder: false, registry: false, shared: { registry, state } })
  const st = plan.steps[0] as Extract<Step, { kind: 'delete-manifests' }>
  assert.equal(st.deletions.map((d) => d.digest).sort(), [digests[0], digests[1]].sort())
  // meanwhile a build elsewhere takes the oldest key: its tag now names that image
  await tagImage(c, 'acme-fn-r', digests[0], 'latest')
  const log: string[] = []
  await new Executor(new Runner('false', [], (l) => log.push(l))).execute(plan)
  assert.match(
    log.join('\n'),
    new RegExp(
      `# deleted 1 manifest\\(s\\).*kept, tagged since the plan: acme-fn-r@${digests[0].slice(0, 19)} \\(now also latest\\)`,
    ),
  )
  assert.is(await c.manifestDigest('acme-fn-r', 'latest'), digests[0])
  assert.is(await c.manifest('acme-fn-r', digests[1]), null)
  assert.ok(await findByKey(c, 'acme-fn-r', key('c')))
})

test('a registry that refuses deletes, no build registry: one line, exit non-zero, nothing deleted', async () => {
  const c = new RegistryClient(B.url, `127.0.0.1:${B.port}`)
  for (const k of ['6', '7']) {
    const digest = await pushImage(c, 'acme-fn-c', keyTag(key(k)), MiB(1, k), keyLabels(key(k)))
    await publishKey(c, 'acme-fn-c', digest, key(k), new Date(Date.UTC(2026, 11, Number(k))))
  }
  const r = esb(project(B), 'prune', '--shared')
  assert.is(r.code, 1, r.stderr)
  assert.match(r.stderr, /does not allow deleting manifests \(HTTP 405\).*REGISTRY_STORAGE_DELETE_ENABLED=true/)
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr)
  assert.is((await tags(B, 'acme-fn-c')).length, 4)
  const none = tmpdir('esb-shared-')
  dirs.push(none)
  fs.writeFileSync(path.join(none, 'esb.toml'), 'brand = "acme"\n')
  const u = esb(none, 'prune', '--shared')
  assert.is(u.code, 2, u.stderr)
  assert.match(u.stderr, /prune --shared works on the build registry, and this project has none/)
})

test.run()
