import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseRef, checkRepo, projectRepo, imageKindOf, registryBase, knownBlobType } from '../../scripts/oci/ref.ts'
import { pickPlatform } from '../../scripts/oci/export.ts'
import type { ManifestJson } from '../../scripts/oci/types.ts'
import { blobsOf } from '../../scripts/oci/copy.ts'
import { EsbError, UsageError } from '../../scripts/errors.ts'
import { layoutDirSource } from '../../scripts/oci/sources.ts'
import { tarSource } from '../../scripts/oci/tar-source.ts'
import { makeLayout, tarDir, sha } from '../lib/oci-fixtures.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

test('references: registry, repository, tag, digest; Docker Hub defaults', () => {
  assert.equal(parseRef('busybox'), { registry: 'docker.io', repo: 'library/busybox', tag: 'latest', digest: null })
  assert.equal(parseRef('team/app:1.2'), { registry: 'docker.io', repo: 'team/app', tag: '1.2', digest: null })
  assert.equal(parseRef('127.0.0.1:5010/esb-fn-a:v1'), { registry: '127.0.0.1:5010', repo: 'esb-fn-a', tag: 'v1', digest: null })
  const d = 'sha256:' + 'a'.repeat(64)
  assert.equal(parseRef(`ghcr.io/o/r@${d}`), { registry: 'ghcr.io', repo: 'o/r', tag: null, digest: d })
  assert.equal(parseRef('localhost/x:y').registry, 'localhost')
})

test('bad references and names are usage errors', () => {
  for (const bad of ['Upper/x', 'a b', 'x:bad:tag', 'x@sha256:short', '-x'])
    assert.throws(
      () => parseRef(bad),
      (e: unknown) => e instanceof UsageError,
      bad,
    )
  assert.throws(() => checkRepo('a//b'), /not a valid repository name/)
  assert.is(checkRepo('a/b-c.d_e'), 'a/b-c.d_e')
})

test('project naming: <slug>-<name>, not prefixed twice, last path part', () => {
  assert.is(projectRepo('esb', 'fn-hello'), 'esb-fn-hello')
  assert.is(projectRepo('esb', 'esb-fn-hello'), 'esb-fn-hello')
  assert.is(projectRepo('acme', '127.0.0.1:5010/team/fn-x'.split('/').slice(1).join('/')), 'acme-fn-x')
})

test('kinds', () => {
  assert.is(imageKindOf('esb', 'esb-fn-a'), 'function')
  assert.is(imageKindOf('esb', 'esb-lambda-base'), 'base')
  assert.is(imageKindOf('esb', 'esb-gateway-docker'), 'control')
  assert.is(imageKindOf('esb', 'esb-cache/os-base'), 'cache')
  assert.is(imageKindOf('esb', 'library/busybox'), 'other')
})

test('loopback registries are plain HTTP, others HTTPS unless --insecure', () => {
  assert.is(registryBase('127.0.0.1:5010'), 'http://127.0.0.1:5010')
  assert.is(registryBase('localhost:5000'), 'http://localhost:5000')
  assert.is(registryBase('registry:5010'), 'https://registry:5010')
  assert.is(registryBase('registry:5010', true), 'http://registry:5010')
  assert.is(registryBase('docker.io'), 'https://registry-1.docker.io')
})

test('docker load gets this platform from an index, attestations skipped', () => {
  const idx: ManifestJson = {
    manifests: [
      { mediaType: '', size: 0, digest: 'att', platform: { os: 'unknown', architecture: 'unknown' } },
      { mediaType: '', size: 0, digest: 'arm', platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: '', size: 0, digest: 'x86', platform: { os: 'linux', architecture: 'amd64' } },
    ],
  }
  assert.is(pickPlatform(idx, 'amd64')?.digest, 'x86')
  assert.is(pickPlatform(idx, 's390x')?.digest, 'arm')
})

test('media types: image and attestation blobs are known; anything else is refused', () => {
  assert.ok(knownBlobType('application/vnd.oci.image.layer.v1.tar+gzip'))
  assert.ok(knownBlobType('application/vnd.docker.image.rootfs.diff.tar.gzip'))
  assert.ok(knownBlobType('application/vnd.in-toto+json'))
  assert.ok(knownBlobType('application/vnd.buildkit.cacheconfig.v0'), 'registry cache refs')
  assert.not.ok(knownBlobType('application/x-strange'))
  const m = {
    mediaType: '',
    digest: 'sha256:x',
    bytes: Buffer.alloc(0),
    json: {
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:c', size: 1 },
      layers: [{ mediaType: 'text/plain', digest: 'sha256:l', size: 1 }],
    },
  }
  assert.throws(() => blobsOf(m, 'src'), /unknown media type "text\/plain"/)
})

const corrupt = (re: RegExp) => (e: unknown) =>
  e instanceof EsbError && re.test((e as Error).message) && !(e as Error).message.includes('\n')
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'esb-oci-'))

test('an index.json entry whose size is wrong is refused, naming the archive and digest', async () => {
  const dir = tmp()
  try {
    const fx = makeLayout(path.join(dir, 'l'))
    assert.is(layoutDirSource(fx.dir).images.length, 1)
    fx.index.manifests[0].size += 1
    fs.writeFileSync(path.join(fx.dir, 'index.json'), JSON.stringify(fx.index))
    const want = new RegExp(
      `^${fx.dir}: manifest ${fx.rootDigest} is \\d+ bytes but its descriptor says size \\d+; the archive is corrupt`,
    )
    assert.throws(() => layoutDirSource(fx.dir), corrupt(want))
    await tarDir(fx.dir, path.join(dir, 'l.tar'))
    try {
      await tarSource(path.join(dir, 'l.tar'))
      assert.unreachable('accepted')
    } catch (e) {
      assert.ok(corrupt(new RegExp(`l\\.tar: manifest ${fx.rootDigest} is`))(e), String(e))
    }
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
})

test('a child manifest or layer descriptor with the wrong size is refused', async () => {
  const dir = tmp()
  try {
    const fx = makeLayout(path.join(dir, 'multi'), { platforms: ['amd64', 'arm64'] })
    const put = (b: Buffer) => {
      fs.writeFileSync(path.join(fx.dir, 'blobs/sha256', sha(b).slice(7)), b)
      return { digest: sha(b), size: b.length }
    }
    const idx = JSON.parse(fs.readFileSync(path.join(fx.dir, 'blobs/sha256', fx.rootDigest.slice(7)), 'utf8'))
    // a layer that says one byte less than it is, in a re-digested manifest, index and index.json
    const child = JSON.parse(fx.manifests[idx.manifests[1].digest].toString())
    child.layers[0].size -= 1
    idx.manifests[1] = { ...idx.manifests[1], ...put(Buffer.from(JSON.stringify(child))) }
    const top = put(Buffer.from(JSON.stringify(idx)))
    fs.writeFileSync(
      path.join(fx.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ ...fx.index.manifests[0], ...top }] }),
    )
    assert.throws(
      () => layoutDirSource(fx.dir),
      corrupt(new RegExp(`: layer ${child.layers[0].digest} is \\d+ bytes but its descriptor says size`)),
    )
    // the child manifest itself announced with a wrong size in the index
    child.layers[0].size += 1
    idx.manifests[1] = { ...idx.manifests[1], ...put(Buffer.from(JSON.stringify(child))), size: 5 }
    const top2 = put(Buffer.from(JSON.stringify(idx)))
    fs.writeFileSync(
      path.join(fx.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ ...fx.index.manifests[0], ...top2 }] }),
    )
    assert.throws(
      () => layoutDirSource(fx.dir),
      corrupt(new RegExp(`: manifest ${idx.manifests[1].digest} is \\d+ bytes but its descriptor says size 5`)),
    )
  } finally {
    fs.rmSync(dir, { recursive: true })
  }
})

test.run()
