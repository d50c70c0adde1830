// Hostile outputs, reads and pushes (issue 22, items 2-4): a repo's bake
// file, artifact manifest, compose file, esb.toml or a Makefile's flags after
// `--` may not make a build write outside the project, read outside it
// without the user's grant, or push anywhere but the project's registry.
// Each case: one `docker esb:` line, exit 2, nothing outside changed, the
// canary registry empty, and no bake or compose call that would write.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { esbLines, sandbox, type Sandbox } from './lib.ts'
import { startRegistry, type Ran } from '../lib/helpers.ts'

/** What `bake --print` gives for examples/mini (the targets build asks about), each target amended by `extra`. */
function print(extra: Record<string, Record<string, unknown>> = {}) {
  const t = (context: string, more: Record<string, unknown> = {}) => ({
    context,
    dockerfile: 'Dockerfile',
    output: [{ type: 'image', push: 'true' }],
    ...more,
  })
  const target: Record<string, Record<string, unknown>> = {
    'os-base': t('services/os-base'),
    'lambda-base': t('services/lambda-base', { contexts: { 'os-base': 'target:os-base' } }),
    'python-base': t('services/python-base', { contexts: { 'os-base': 'target:os-base' } }),
    'gateway-docker': t('services/gateway', { contexts: { 'python-base': 'target:python-base' } }),
    'agent-docker': t('services/agent', { contexts: { 'os-base': 'target:os-base' } }),
    provisioner: t('services/provisioner', { contexts: { 'python-base': 'target:python-base' } }),
  }
  for (const [k, v] of Object.entries(extra)) target[k] = { ...target[k], ...v }
  return JSON.stringify({
    group: {
      'base-images': { targets: ['lambda-base', 'os-base', 'python-base'] },
      'control-images-docker': { targets: ['gateway-docker', 'agent-docker', 'provisioner'] },
    },
    target,
  })
}

type Rule = { match: string[]; stdout?: string; exit?: number }

/** A sandbox from examples/mini with `files`, the fake docker's rules made from it, and the project's own registry. */
async function inCase(
  files: Record<string, string | null>,
  rules: (sb: Sandbox) => Rule[],
  fn: (sb: Sandbox, esb: (args: string[], env?: Record<string, string>) => Ran) => Promise<void> | void,
): Promise<void> {
  const reg = await startRegistry()
  const sb = await sandbox({ files: { '.mini': null, ...files } })
  try {
    fs.writeFileSync(
      path.join(sb.root, 'rules.json'),
      JSON.stringify([
        ...rules(sb),
        { match: ['bake', '--print'], stdout: print() },
        { match: ['compose', 'config'], stdout: JSON.stringify({ services: {} }) },
        { match: ['buildx', 'inspect'], stdout: 'Driver: docker-container\nDriver Options: network="host"\n' },
      ]),
    )
    await fn(sb, (args, env = {}) => sb.esb(args, { PORT_REGISTRY: String(reg.port), ...env }))
  } finally {
    await sb.close()
    await reg.stop()
  }
}

/** Exit 2, one `docker esb:` line matching `line`, no bake or compose call that writes, nothing outside, the canary empty. */
async function refused(sb: Sandbox, r: Ran, line: RegExp): Promise<string> {
  const lines = r.stderr.trim().split('\n')
  assert.is(r.code, 2, `exit 2 (got ${r.code}): ${r.stderr.slice(-1500)}`)
  assert.is(lines.length, 1, `one line: ${r.stderr.slice(0, 1500)}`)
  assert.is(esbLines(r).length, 1, lines[0])
  assert.match(lines[0], line)
  const writing = sb
    .calls()
    .filter(
      (c) =>
        (c.argv.includes('bake') && !c.argv.includes('--print')) || (c.argv.includes('compose') && !c.argv.includes('config')),
    )
  assert.equal(
    writing.map((c) => c.argv.join(' ')),
    [],
    'no bake or compose call that would write',
  )
  // (the fake docker's rules, written after the sandbox was made, are the test's own)
  assert.equal(
    sb.outsideChanges().filter((c) => !c.endsWith(`${path.sep}rules.json`)),
    [],
    'nothing changed outside the project',
  )
  assert.equal(await sb.canaryCatalog(), [], 'the canary registry stays empty')
  return lines[0]
}

test('a bake output type=tar with dest= outside the project: refused before bake (and in the dry run)', () =>
  inCase(
    {},
    (sb) => [
      {
        match: ['bake', '--print'],
        stdout: print({ 'os-base': { output: [{ type: 'tar', dest: path.join(sb.outside, 'sentinel.txt') }] } }),
      },
    ],
    async (sb, esb) => {
      const want =
        /target os-base: output type=tar,dest=\S+outside\/sentinel\.txt writes \S+, outside the project .*dest= at a folder inside/
      await refused(sb, esb(['build', '--dry-run']), want)
      await refused(sb, esb(['build']), want)
      // a symlink inside the project that points outside is outside too
      fs.symlinkSync(sb.outside, path.join(sb.project, 'out'))
      fs.writeFileSync(
        path.join(sb.root, 'rules.json'),
        JSON.stringify([{ match: ['bake', '--print'], stdout: print({ provisioner: { output: ['type=local,dest=out/x'] } }) }]),
      )
      await refused(sb, esb(['build']), /target provisioner: output type=local,dest=out\/x writes \S+outside\/x, outside/)
    },
  ))

test('artifact.yml with an ancestor artifact_root needs the user grant; a function key ../x/evil is refused', () =>
  inCase(
    {
      'esb.toml': 'brand = "mini"\n[templates]\nrender = true\n[functions]\nartifact = "artifacts/*/artifact.yml"\n',
      // artifact_root: the sandbox root, the project's parent
      'artifacts/a/artifact.yml': 'artifacts:\n  - artifact_root: ../../..\n    runtime_config_dir: project/cfg\n',
      'cfg/functions.yml': 'functions:\n  ../project/x/evil:\n    image: 127.0.0.1:5010/mini-evil:latest\n',
      // <root>/functions/../project/x/evil/Dockerfile
      'x/evil/Dockerfile': 'FROM scratch\nCOPY outside/sentinel.txt /\n',
    },
    () => [],
    async (sb, esb) => {
      const line = await refused(
        sb,
        esb(['build']),
        /artifact\.yml: artifacts\[0\]\.artifact_root \S+ is outside the project; .*--allow-read \S+ \(or MINI_ALLOW_READ\)/,
      )
      assert.ok(line.includes(sb.root), line)
      // granted by the user: the root may be read, but the name is still no plain name
      await refused(
        sb,
        esb(['build', '--allow-read', sb.root]),
        /functions\.yml: function name "\.\.\/project\/x\/evil" is not a plain name/,
      )
      await refused(sb, esb(['build'], { MINI_ALLOW_READ: sb.root }), /is not a plain name/)
    },
  ))

test('a compose service cache_to on another registry: refused, never appended to docker esb own', () =>
  inCase(
    {},
    (sb) => [
      {
        match: ['compose', 'config'],
        stdout: JSON.stringify({
          services: {
            gateway: {
              build: { context: path.join(sb.project, 'services/gateway'), cache_to: [`type=registry,ref=${sb.canary}/x:cache`] },
              image: '127.0.0.1:5010/mini-gateway:latest',
            },
          },
        }),
      },
    ],
    async (sb, esb) => {
      await refused(sb, esb(['up']), /compose service gateway: cache_to type=registry,ref=\S+\/x:cache would push a cache to /)
    },
  ))

test('flags after -- for bake: --set target.tags=<other registry>/x is refused', () =>
  inCase(
    {},
    () => [],
    async (sb, esb) => {
      await refused(
        sb,
        esb(['build', '--', '--set', `os-base.tags=${sb.canary}/x`]),
        /flag --set os-base\.tags=\S+ after --: target os-base would push \S+\/x, which is not on the project's registry/,
      )
      await refused(
        sb,
        esb(['build', '--', `--output=type=tar,dest=${sb.outside}/t.tar`]),
        /flag --output after --: output .* outside/,
      )
      await refused(sb, esb(['build', '--', '--allow', 'fs=/']), /flag --allow after --: grant reads with .*--allow-read/)
    },
  ))

test('[cache] to on another registry: allowed only through [bake] push_allow', () =>
  inCase(
    {},
    (sb) => {
      fs.appendFileSync(path.join(sb.project, 'esb.toml'), `[cache]\nto = "${sb.canary}/c/{target}:{branch}"\n`)
      return []
    },
    async (sb, esb) => {
      await refused(sb, esb(['build']), /cache-to type=registry,ref=\S+\/c\/\S+ would push a cache to .*\[bake\] push_allow/)
      await refused(sb, esb(['up']), /would push a cache to .*push_allow/)
    },
  ))

test('${ in a function folder name or a functions.yml image is refused in the dry run', () =>
  inCase(
    { 'functions/a${X}/Dockerfile': 'FROM lambda-base\n' },
    () => [],
    async (sb, esb) => {
      await refused(
        sb,
        esb(['build', '--dry-run']),
        /functions\/a\$\{X\}\/Dockerfile: function name "a\$\{X\}" is not a plain name/,
      )
      await refused(sb, esb(['build']), /is not a plain name.*rename the folder/)
    },
  ))

test.run()
