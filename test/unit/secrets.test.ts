// Secrets in the skip key (issue 21, item 5): a secret file's content keys
// its target through HMAC-SHA256(salt, content), the salt 32 random bytes in
// `.<slug>/inputs/secret-salt` (0600, made once); a dry run without the salt
// says the target is always built. The records never hold the content or a
// plain hash of it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { allowSalt, ensureSalt, readSalt, saltPath, secretInputs, secretRefs } from '../../scripts/skip/secrets.ts'
import { gatherTarget } from '../../scripts/skip/gather.ts'
import { computeKeys, type Gathered } from '../../scripts/skip/keys.ts'
import { writeRecord } from '../../scripts/skip/state.ts'
import { effectiveTargets } from '../../scripts/bake/override.ts'
import { removeTemp, tempDir, tomlSettings } from '../lib/settings.ts'

test('salt: 32 random bytes, mode 0600, made once (a second call, or another run, keeps it)', () => {
  const d = path.join(tempDir(), 'inputs')
  assert.is(readSalt(d), null)
  const a = ensureSalt(d)
  assert.is(a.length, 32)
  assert.is(fs.statSync(saltPath(d)).mode & 0o777, 0o600)
  assert.equal(ensureSalt(d), a)
  assert.equal(readSalt(d), a)
  assert.equal(fs.readdirSync(d), ['secret-salt'], 'no temp file left')
  // a cut-short file is not a salt: replaced
  fs.writeFileSync(saltPath(d), 'short')
  assert.is(ensureSalt(d).length, 32)
  assert.not.equal(ensureSalt(tempDir()), a, 'random per project')
  removeTemp(path.dirname(d))
})

test("secret refs: bake's string and object forms; env secrets have no file", () => {
  assert.equal(secretRefs({ secret: ['id=root_ca,src=./c/rootCA.crt', { id: 'tok', env: 'TOK' }, { id: 'k', src: '/k' }] }), [
    { id: 'root_ca', src: './c/rootCA.crt' },
    { id: 'tok', src: null },
    { id: 'k', src: '/k' },
  ])
  assert.equal(secretRefs({}), [])
})

/** A project whose target mounts secret root_ca from certs/rootCA.crt and COPYs a. */
function project() {
  const d = tempDir()
  fs.mkdirSync(path.join(d, 'certs'))
  fs.writeFileSync(path.join(d, 'certs', 'rootCA.crt'), 'CA ONE')
  fs.writeFileSync(path.join(d, 'Dockerfile'), 'FROM scratch\nCOPY a /a\n')
  fs.writeFileSync(path.join(d, 'a'), '1')
  fs.writeFileSync(path.join(d, 'unused'), 'x')
  fs.writeFileSync(path.join(d, '.dockerignore'), 'unused\ncerts\n.esb\n')
  const salt = path.join(d, '.esb', 'inputs')
  const key = (def: Record<string, unknown> = {}) => {
    const g: Record<string, Gathered> = {
      t: gatherTarget(d, { context: '.', secret: [{ id: 'root_ca', src: 'certs/rootCA.crt' }], ...def }, {}, salt),
    }
    return computeKeys(g, {}).t
  }
  return { d, salt, key }
}

test('key: without a salt, always built (a dry run says why); with one, keyed by the HMAC of the content', () => {
  const p = project()
  const none = p.key()
  assert.is(none.key, null)
  assert.match(
    none.never!,
    /^its secret root_ca is keyed with a salt the first real build or up makes \(.*secret-salt\), none yet$/,
  )
  const salt = ensureSalt(p.salt)
  const k1 = p.key()
  assert.ok(k1.key)
  assert.is(k1.inputs.files['secret root_ca'], `hmac-sha256:${crypto.createHmac('sha256', salt).update('CA ONE').digest('hex')}`)
  // the same again, and not moved by a file outside the build, nor by the same content rewritten
  fs.writeFileSync(path.join(p.d, 'unused'), 'y')
  fs.writeFileSync(path.join(p.d, 'certs', 'rootCA.crt'), 'CA ONE')
  assert.is(p.key().key, k1.key)
  // a new CA: a new key, explained by the secret's name
  fs.writeFileSync(path.join(p.d, 'certs', 'rootCA.crt'), 'CA TWO')
  const k2 = p.key()
  assert.ok(k2.key && k2.key !== k1.key)
  assert.equal(
    Object.keys(k2.inputs.files).filter((f) => k2.inputs.files[f] !== k1.inputs.files[f]),
    ['secret root_ca'],
  )
  // a missing file, and an env secret (its value is not known here: not keyed)
  fs.rmSync(path.join(p.d, 'certs', 'rootCA.crt'))
  assert.is(p.key().inputs.files['secret root_ca'], 'missing')
  assert.equal(secretInputs(p.d, { secret: [{ id: 'tok', env: 'TOK' }] }, undefined), { files: {}, shared: {}, never: null })
  removeTemp(p.d)
})

test('salt: made only in a real run (allowSalt) and only when a target mounts a secret file', () => {
  const p = project()
  assert.equal(secretInputs(p.d, { secret: [{ id: 'tok', env: 'TOK' }] }, p.salt), { files: {}, shared: {}, never: null })
  assert.ok(p.key().never, 'a dry run: not made')
  assert.not.ok(fs.existsSync(p.salt))
  allowSalt(p.salt)
  assert.equal(secretInputs(p.d, {}, p.salt), { files: {}, shared: {}, never: null })
  assert.not.ok(fs.existsSync(p.salt), 'no secret: not made')
  const k = p.key()
  assert.ok(k.key, 'a real run: made and keyed')
  assert.is(fs.statSync(saltPath(p.salt)).mode & 0o777, 0o600)
  assert.is(p.key().key, k.key, 'made once')
  removeTemp(p.d)
})

test('key: moves with a [bake.args] value (through the definition docker esb sends), not without one', () => {
  const p = project()
  ensureSalt(p.salt)
  const print = { target: { t: { context: '.', secret: [{ id: 'root_ca', src: 'certs/rootCA.crt' }], args: { OWN: '1' } } } }
  const keyWith = (toml: string) => {
    const { defs } = effectiveTargets(tomlSettings(toml, { projectDir: p.d }), print, [])
    return computeKeys({ t: gatherTarget(p.d, defs.t, {}, p.salt) }, {}).t
  }
  const a = keyWith('[bake.args]\nROOT_CA_CERT_FILENAME = "rootCA.crt"\n')
  const b = keyWith('[bake.args]\nROOT_CA_CERT_FILENAME = "other.crt"\n')
  const none = keyWith('')
  assert.equal(a.inputs.args, { OWN: '1', ROOT_CA_CERT_FILENAME: 'rootCA.crt' })
  assert.ok(a.key && b.key && none.key)
  assert.is.not(a.key, b.key)
  assert.is.not(a.key, none.key)
  assert.is(keyWith('[bake.args]\nROOT_CA_CERT_FILENAME = "rootCA.crt"\n').key, a.key)
  removeTemp(p.d)
})

test('records: neither the secret nor a plain hash of it is in .<slug>/', () => {
  const p = project()
  const secret = 'hunter2'
  fs.writeFileSync(path.join(p.d, 'certs', 'rootCA.crt'), secret)
  ensureSalt(p.salt)
  const k = p.key()
  writeRecord(p.salt, { target: 't', tag: 'r/t:1', key: k.key!, digest: 'sha256:' + '0'.repeat(64), inputs: k.inputs })
  const text = fs
    .readdirSync(p.salt)
    .filter((f) => f !== 'secret-salt')
    .map((f) => fs.readFileSync(path.join(p.salt, f), 'utf8'))
    .join('\n')
  assert.match(text, /"secret root_ca":"hmac-sha256:[0-9a-f]{64}"/)
  assert.not.ok(text.includes(secret), 'no content')
  for (const alg of ['md5', 'sha1', 'sha256', 'sha512'])
    for (const enc of ['hex', 'base64'] as const)
      assert.not.ok(text.includes(crypto.createHash(alg).update(secret).digest(enc)), `no plain ${alg} (${enc})`)
  assert.not.ok(text.includes(Buffer.from(secret).toString('base64')), 'no base64 of it')
  removeTemp(p.d)
})

test.run()
