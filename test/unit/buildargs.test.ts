// [bake.args] and [bake.arg_hashes] (issue 21, item 6): the schema's one-line
// errors, the resolver, the values a run gives (${VAR} from the environment
// docker gets, md5 of a file, a missing file as one note), and the args in
// the bake override (every target, functions too), in the compose override
// (every buildable service) and in what the skip keys see.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../../scripts/errors.ts'
import { buildArgs, md5File } from '../../scripts/bake/args.ts'
import { bakeOverride, effectiveTargets } from '../../scripts/bake/override.ts'
import { composeOverride } from '../../scripts/compose/override.ts'
import { asBuilt, buildDefinition } from '../../scripts/compose/skip.ts'
import type { FunctionTarget } from '../../scripts/functions/targets.ts'
import { tempProject, tomlSettings } from '../lib/settings.ts'

const throws = (toml: string, re: RegExp) => {
  try {
    tomlSettings(toml)
  } catch (e) {
    assert.instance(e, UsageError)
    const m = (e as Error).message
    assert.not.match(m, /\n/, 'one line')
    assert.match(m, re)
    return
  }
  assert.unreachable(`no error for ${toml}`)
}

test('schema: a non-string value, a bad name, a table that is not one, a name in both tables, a bad ${', () => {
  throws('[bake.args]\nA = "1"\nB = 2\n', /^\/p\/esb\.toml:3: key 'bake\.args\.B' is 2; expected a string: write B = "2"$/)
  throws('[bake]\nargs = { A = true }\n', /^\/p\/esb\.toml:2: key 'bake\.args\.A' is true; expected a string: write A = "true"/)
  throws('[bake.args]\n"1X" = "a"\n', /esb\.toml:2: key 'bake\.args\.1X': "1X" is not a build arg name; .*\^\[A-Za-z_\]/)
  throws('[bake.arg_hashes]\n"A-B" = "f"\n', /esb\.toml:2: key 'bake\.arg_hashes\.A-B': "A-B" is not a build arg name/)
  throws('[bake]\nargs = "A=1"\n', /esb\.toml:2: key 'bake\.args' is "A=1"; expected a table of NAME = "value" strings/)
  throws(
    '[bake.args]\nF = "x"\n[bake.arg_hashes]\nF = "ca.crt"\n',
    /esb\.toml:4: key 'bake\.arg_hashes\.F': F is also in \[bake\.args\]/,
  )
  throws('[bake.arg_hashes]\nF = ""\n', /esb\.toml:2: key 'bake\.arg_hashes\.F' is empty/)
  throws('[bake.args]\nA = "${"\n', /esb\.toml:2: key 'bake\.args\.A': invalid "\$\{" in "\$\{"; write \$\{NAME\}/)
})

test('resolver: the tables as written, and the process env values they name', () => {
  const s = tomlSettings('[bake.args]\nA = "x-${FOO}"\nB = "${BAR:-b}"\n[bake.arg_hashes]\nH = "${CERT_DIR}/rootCA.crt"\n', {
    processEnv: { FOO: 'foo', OTHER: 'o' },
  })
  assert.equal(s.bake.args, { A: 'x-${FOO}', B: '${BAR:-b}' })
  assert.equal(s.bake.argHashes, { H: '${CERT_DIR}/rootCA.crt' })
  assert.equal(s.bake.argEnv, { FOO: 'foo' })
  assert.equal(s.bake.argWhere.H, "/p/esb.toml:5: key 'bake.arg_hashes.H'")
  assert.equal(tomlSettings('').bake.args, {})
})

test('values: ${VAR} from the stack env over the process env; md5 hex of a file; a missing file is empty with one note', () => {
  const p = tempProject(
    '[bake.args]\nA = "${FOO}-${ENV}"\nB = "${NOPE:-dflt}"\nD = "$${LIT}"\n[bake.arg_hashes]\nH = "${CERT_DIR}/rootCA.crt"\nM = "gone.crt"\n',
    { processEnv: { FOO: 'foo', ENV: 'ignored' }, flags: { env: 'dev' } },
  )
  const certs = path.join(p.dir, '.esb', 'certs')
  fs.mkdirSync(certs, { recursive: true })
  fs.writeFileSync(path.join(certs, 'rootCA.crt'), 'ca one\n')
  const a = buildArgs(p.settings)
  // md5sum's hex, as the real repo's e2e runner computes ROOT_CA_FINGERPRINT
  assert.is(a.args.H, crypto.createHash('md5').update('ca one\n').digest('hex'))
  assert.is(md5File(path.join(certs, 'nope')), null)
  assert.equal({ ...a.args, H: '' }, { A: 'foo-dev', B: 'dflt', D: '${LIT}', H: '', M: '' })
  assert.equal(a.notes.length, 1)
  assert.match(a.notes[0], /^build arg M is empty: .*gone\.crt \(.*esb\.toml:7: key 'bake\.arg_hashes\.M'\) cannot be read$/)
  // read once per run: every caller of one Settings sees the same values
  fs.writeFileSync(path.join(certs, 'rootCA.crt'), 'ca two\n')
  assert.is(buildArgs(p.settings), a)
  p.remove()
})

test('arg_hashes: a file outside the project, or a link out of it, is refused in one line naming esb.toml and the key', () => {
  const out = tempProject(null)
  fs.writeFileSync(path.join(out.dir, 'secret'), 'host file\n')
  for (const [v, link] of [
    [path.join(out.dir, 'secret'), false],
    ['../x/nope', false],
    ['ca.crt', true],
  ] as const) {
    const p = tempProject(`[bake.arg_hashes]\nH = "${v}"\n`)
    if (link) fs.symlinkSync(path.join(out.dir, 'secret'), path.join(p.dir, 'ca.crt'))
    assert.throws(
      () => buildArgs(p.settings),
      (e: unknown) =>
        e instanceof UsageError && /esb\.toml:2: key 'bake\.arg_hashes\.H'.*outside the project/.test((e as Error).message),
      v,
    )
    p.remove()
  }
  out.remove()
})

const fn: FunctionTarget = {
  target: 'fn-a',
  context: 'functions/a',
  dockerfile: 'Dockerfile',
  tag: 't',
  contexts: {},
  source: 'x',
}

test('bake override: the args on every target, functions too, escaped for bake; the skip sees them over the project own', () => {
  const s = tomlSettings('[bake.args]\nROOT_CA_CERT_FILENAME = "rootCA.crt"\nT = "a${x}%{y}"\n', { processEnv: { x: '${z}' } })
  const { json } = bakeOverride(s, ['os-base', 'gateway'], [fn], 'r')
  for (const t of ['os-base', 'gateway', 'fn-a'])
    assert.equal(json.target[t].args, { ROOT_CA_CERT_FILENAME: 'rootCA.crt', T: 'a$${z}%%{y}' }, t)
  const print = {
    target: { 'os-base': { context: 'c', args: { ROOT_CA_MOUNT_ID: 'root_ca', ROOT_CA_CERT_FILENAME: 'other' } }, gateway: {} },
  }
  const { defs } = effectiveTargets(s, print, [fn])
  assert.equal(defs['os-base'].args, { ROOT_CA_MOUNT_ID: 'root_ca', ROOT_CA_CERT_FILENAME: 'rootCA.crt', T: 'a${z}%{y}' })
  assert.equal(defs['fn-a'].args, { ROOT_CA_CERT_FILENAME: 'rootCA.crt', T: 'a${z}%{y}' })
  // no [bake.args]: no args key at all (the bake file is as before)
  const plain = tomlSettings('')
  assert.is(bakeOverride(plain, ['os-base'], [], 'r').json.target['os-base'].args, undefined)
  assert.equal(effectiveTargets(plain, print, []).defs['os-base'].args, print.target['os-base'].args)
})

test('compose override and service keys: the args on every buildable service ($ doubled for compose); secrets with their files', () => {
  const s = tomlSettings('[bake.args]\nROOT_CA_CERT_FILENAME = "rootCA.crt"\nP = "a$$b"\n')
  const svc = {
    image: 'x',
    build: { context: '/p/c', args: { ROOT_CA_CERT_FILENAME: 'no', OWN: '1' }, secrets: [{ source: 'root_ca' }] },
  }
  const config = {
    services: { base: svc, plain: { image: 'nginx' } },
    secrets: { root_ca: { file: '/p/.esb/certs/rootCA.crt' } },
  }
  const { yaml } = composeOverride(s, config, 'r')
  assert.equal(yaml.services.base.build.args, { ROOT_CA_CERT_FILENAME: 'rootCA.crt', P: 'a$$b' })
  assert.equal(Object.keys(yaml.services), ['base'])
  const def = asBuilt(s, buildDefinition(svc, 'x', null), svc, config.secrets)
  assert.equal(def.args, { ROOT_CA_CERT_FILENAME: 'rootCA.crt', OWN: '1', P: 'a$b' })
  assert.equal(def.secret, [{ id: 'root_ca', src: '/p/.esb/certs/rootCA.crt' }])
  assert.is(composeOverride(tomlSettings(''), config, 'r').yaml.services.base.build.args, undefined)
})

test('compose builds with the pins bake gets: outside images by tag as named contexts, the frontend as BUILDKIT_SYNTAX', () => {
  const D = 'sha256:' + 'a'.repeat(64)
  const config = {
    services: { gw: { image: 'gw', build: { context: '/p/gw' } }, other: { image: 'o', build: { context: '/p/o' } } },
  }
  const pins = {
    gw: {
      contexts: { 'public.ecr.aws/lambda/java:21': `docker-image://public.ecr.aws/lambda/java:21@${D}` },
      syntax: `docker/dockerfile:1.7@${D}`,
    },
  }
  const { yaml } = composeOverride(
    tomlSettings('[bake.args]\nA = "1"\n'),
    config,
    'r',
    () => true,
    undefined,
    {},
    new Set(),
    pins,
  )
  assert.equal(yaml.services.gw.build.additional_contexts, pins.gw.contexts)
  assert.equal(yaml.services.gw.build.args, { A: '1', BUILDKIT_SYNTAX: `docker/dockerfile:1.7@${D}` })
  assert.is(yaml.services.other.build.additional_contexts, undefined)
  assert.equal(yaml.services.other.build.args, { A: '1' })
})

test.run()
