// Key tags against a real registry (Debian's docker-registry): an image
// labelled with its key is found by its key tag once published; a key tag
// whose image carries another key, or whose manifest was deleted, is not
// trusted (a base carries no key label: its tag is trusted while its image is there); reusing an image is a manifest copy (same digest, no blob moves).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import { Readable } from 'node:stream'
import { startRegistry } from '../lib/helpers.ts'
import { pushOneLayer } from '../lib/oci-fixtures.ts'
import { RegistryClient } from '../../scripts/oci/client.ts'
import { findByKey, keyLabels, keyTag, publishKey, tagImage } from '../../scripts/skip/bykey.ts'

const sha = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`
let reg: Awaited<ReturnType<typeof startRegistry>>
let client: RegistryClient

test.before(async () => {
  reg = await startRegistry()
  client = new RegistryClient(reg.url, `127.0.0.1:${reg.port}`)
})
test.after(() => reg?.stop())

/** A one-layer image at repo:tag whose config carries `labels`; its manifest digest. */
const pushImage = (repo: string, tag: string, labels: Record<string, string>, layer = 'layer') =>
  pushOneLayer(client, repo, tag, Buffer.from(layer), labels)

test('published: found by its key tag, with its branch and time; the wanted tag then names the same digest', async () => {
  const key = 'a'.repeat(64)
  const digest = await pushImage('esb-fn-hello', 'latest', keyLabels(key, 'main'))
  assert.is(await findByKey(client, 'esb-fn-hello', key), null, 'not published yet')
  await publishKey(client, 'esb-fn-hello', digest, key, new Date('2026-12-06T08:30:00.456Z'))
  // the key tag and its time tag name the image itself
  assert.is(await client.manifestDigest('esb-fn-hello', keyTag(key)), digest)
  assert.is(await client.manifestDigest('esb-fn-hello', `${keyTag(key)}-t${Date.parse('2026-12-06T08:30:00Z') / 1000}`), digest)
  assert.equal(await findByKey(client, 'esb-fn-hello', key), {
    digest,
    keyTag: keyTag(key),
    branch: 'main',
    created: '2026-12-05T10:00:00Z',
  })
  // another machine takes it: its tag now names that image, nothing else moved
  await tagImage(client, 'esb-fn-hello', digest, 'e2e-latest')
  assert.is(await client.manifestDigest('esb-fn-hello', 'e2e-latest'), digest)
  // an unknown repository or key: nothing
  assert.is(await findByKey(client, 'esb-nothing', key), null)
  assert.is(await findByKey(client, 'esb-fn-hello', 'b'.repeat(64)), null)
})

test('not trusted: a key tag whose image carries another key (16 hex alike); a base (no key label) is, while its image is there', async () => {
  const key = 'c'.repeat(64)
  const other = 'c'.repeat(16) + 'd'.repeat(48)
  await pushImage('esb-fn-echo', keyTag(key), keyLabels(other), 'x')
  assert.is(keyTag(other), keyTag(key))
  assert.is(await findByKey(client, 'esb-fn-echo', key), null)
  assert.ok(await findByKey(client, 'esb-fn-echo', other))
  const base = await pushImage('esb-lambda-base', keyTag(key), {}, 'y')
  assert.equal(await findByKey(client, 'esb-lambda-base', key), {
    digest: base,
    keyTag: keyTag(key),
    branch: undefined,
    created: '2026-12-05T10:00:00Z',
  })
})

test('not trusted: a key tag whose manifest was deleted', async () => {
  const key = 'e'.repeat(64)
  const digest = await pushImage('esb-os-base', keyTag(key), keyLabels(key), 'z')
  assert.ok(await findByKey(client, 'esb-os-base', key))
  const del = await fetch(`${reg.url}/v2/esb-os-base/manifests/${digest}`, { method: 'DELETE' })
  assert.is(del.status, 202)
  assert.is(await findByKey(client, 'esb-os-base', key), null)
})

test('a blob another repository holds is mounted, not sent again; an unknown one is not (the upload it opened is cancelled)', async () => {
  const b = Buffer.from('shared base layer')
  await client.pushBlob('esb-os-base', sha(b), b.length, Readable.from([b]))
  assert.not.ok(await client.hasBlob('esb-fn-new', sha(b)))
  assert.ok(await client.mountBlob('esb-fn-new', sha(b), 'esb-os-base'))
  assert.ok(await client.hasBlob('esb-fn-new', sha(b)))
  assert.not.ok(await client.mountBlob('esb-fn-other', sha(Buffer.from('nowhere')), 'esb-os-base'))
})

test('a registry that does not answer: not found (the target builds)', async () => {
  const gone = new RegistryClient('http://127.0.0.1:1', '127.0.0.1:1')
  assert.is(await findByKey(gone, 'esb-fn-hello', 'a'.repeat(64)), null)
})

test.run()
