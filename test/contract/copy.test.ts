// Copying images from the build registry into the local one, between two real
// registries (Debian's docker-registry), through the executor: a copy in the
// background runs while the next steps do and is waited for by the next copy;
// a layer two images share is sent once and mounted after; a copy that fails
// in the background fails the run; a step that fails meanwhile stops it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import { Readable } from 'node:stream'
import { startRegistry } from '../lib/helpers.ts'
import { RegistryClient } from '../../scripts/oci/client.ts'
import { Executor } from '../../scripts/run/execute.ts'
import { Runner } from '../../scripts/docker/runner.ts'
import type { Plan, Step } from '../../scripts/plan/types.ts'

const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`
type Reg = Awaited<ReturnType<typeof startRegistry>>
let from: Reg, to: Reg
let src: RegistryClient, dst: RegistryClient

test.before(async () => {
  ;[from, to] = await Promise.all([startRegistry(), startRegistry()])
  src = new RegistryClient(from.url, `127.0.0.1:${from.port}`)
  dst = new RegistryClient(to.url, `127.0.0.1:${to.port}`)
})
test.after(async () => {
  await Promise.all([from?.stop(), to?.stop()])
})

/** A two-layer image at repo:tag (the first layer shared by every image); its manifest digest. `ownType`: its own layer's media type. */
async function pushImage(
  repo: string,
  own: string,
  ownType = 'application/vnd.docker.image.rootfs.diff.tar.gzip',
): Promise<string> {
  const blob = async (b: Buffer) => {
    await src.pushBlob(repo, sha(b), b.length, Readable.from([b]))
    return { digest: sha(b), size: b.length }
  }
  const shared = await blob(Buffer.from('a layer every image has'.repeat(1000)))
  const mine = await blob(Buffer.from(own))
  const config = await blob(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [shared.digest, mine.digest] } }),
    ),
  )
  const mt = 'application/vnd.docker.distribution.manifest.v2+json'
  const layer = 'application/vnd.docker.image.rootfs.diff.tar.gzip'
  const manifest = {
    schemaVersion: 2,
    mediaType: mt,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
    layers: [
      { mediaType: layer, ...shared },
      { mediaType: ownType, ...mine },
    ],
  }
  return src.pushManifest(repo, 'latest', mt, Buffer.from(JSON.stringify(manifest)))
}

const copy = (images: string[], background = false): Step => ({
  kind: 'copy-images',
  why: 'copy',
  from: { address: `127.0.0.1:${from.port}`, base: from.url, caFile: null, where: null, caWhere: null, configDir: null },
  to: `127.0.0.1:${to.port}`,
  images,
  ...(background ? { background } : {}),
})

async function run(steps: Step[]): Promise<string[]> {
  const log: string[] = []
  const plan: Plan = { command: 'build', project: '/p', mode: 'docker', env: {}, caches: {}, steps }
  await new Executor(new Runner('false', [], (l) => log.push(l))).execute(plan)
  return log
}

test('two images sharing a layer: the layer is sent once, the other image mounts it', async () => {
  const [a, b] = [await pushImage('esb-a', 'a'), await pushImage('esb-b', 'b')]
  const log = await run([copy(['esb-a:latest', 'esb-b:latest'])])
  // 2 configs, 2 own layers, the shared one once
  assert.match(log.join('\n'), /# copied 2 image\(s\) from .* \(5 blob\(s\), /)
  assert.is(await dst.manifestDigest('esb-a', 'latest'), a)
  assert.is(await dst.manifestDigest('esb-b', 'latest'), b)
})

test('a background copy runs on while the next steps do; the next copy waits for it and mounts what it sent', async () => {
  const [c, d] = [await pushImage('esb-c', 'c'), await pushImage('esb-d', 'd')]
  const log = await run([
    copy(['esb-c:latest'], true),
    { kind: 'mkdir', why: 'a step after it', paths: [] },
    copy(['esb-d:latest']),
  ])
  const lines = log.filter((l) => l.startsWith('# copied'))
  assert.is(lines.length, 2, log.join('\n'))
  // the second copy sends its own layer and config: the shared layer is mounted from esb-c
  assert.match(lines[1], /\(2 blob\(s\), /)
  assert.is(await dst.manifestDigest('esb-c', 'latest'), c)
  assert.is(await dst.manifestDigest('esb-d', 'latest'), d)
})

test('a background copy that fails fails the run, at the latest when it ends', async () => {
  await pushImage('esb-e', 'e', 'application/x-no-image-layer')
  await run([copy(['esb-e:latest'], true), { kind: 'mkdir', why: 'a step after it', paths: [] }]).then(
    () => assert.unreachable('the copy fails'),
    (e: Error) => assert.match(e.message, /unknown media type "application\/x-no-image-layer"/),
  )
  assert.is(await dst.manifestDigest('esb-e', 'latest'), null, 'no tag for a partial image')
})

test('a step failing while a background copy runs stops the copy: the run ends, the image is never tagged', async () => {
  const big = Buffer.alloc(64 << 20, 'b')
  await src.pushBlob('esb-big', sha(big), big.length, Readable.from([big]))
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(big)] } }),
  )
  await src.pushBlob('esb-big', sha(config), config.length, Readable.from([config]))
  const mt = 'application/vnd.docker.distribution.manifest.v2+json'
  const manifest = {
    schemaVersion: 2,
    mediaType: mt,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha(big), size: big.length }],
  }
  await src.pushManifest('esb-big', 'latest', mt, Buffer.from(JSON.stringify(manifest)))
  // `false` stands in for a bake that fails
  await run([copy(['esb-big:latest'], true), { kind: 'docker', why: 'bake', argv: ['bake'], env: {}, cwd: '/' }]).then(
    () => assert.unreachable('the bake fails'),
    () => {},
  )
  // a copy left running would have tagged it by now
  await new Promise((r) => setTimeout(r, 1500))
  assert.is(await dst.manifestDigest('esb-big', 'latest'), null)
})

test.run()
