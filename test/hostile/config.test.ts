// Hostile config (issue 22, item 9, and the small cases): a repo's esb.toml,
// artifact.yml and functions.yml of the wrong type, with empty or huge
// values, are refused in one line naming the file and key with a fix that
// works, exit 2, nothing written in the project or outside it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { esbLines, sandbox, type Sandbox, type SandboxOptions } from './lib.ts'
import { BUNDLE, run, startRegistry, type Ran } from '../lib/helpers.ts'

async function inSandbox(o: SandboxOptions, fn: (sb: Sandbox) => Promise<void> | void): Promise<void> {
  // without the example's own state folder (left by a demo run in the working tree)
  const sb = await sandbox({ ...o, files: { '.mini': null, ...o.files } })
  try {
    await fn(sb)
  } finally {
    await sb.close()
  }
}

/** Every file of the project with its content hash (and mode), to show nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isSymbolicLink()) out[p] = `link:${fs.readlinkSync(p)}`
      else if (e.isDirectory()) walk(p)
      else out[p] = `${fs.statSync(p).mode}:${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`
    }
  }
  walk(dir)
  return out
}

/** Runs `args` and checks: exit 2, exactly one line, `docker esb: <file>...<key>...<fix>`, nothing written anywhere. */
function refused(sb: Sandbox, args: string[], file: RegExp, key: string, fix: RegExp, ran?: () => Ran): string {
  const before = snapshot(sb.project)
  const r = ran ? ran() : sb.esb(args)
  const lines = r.stderr.trim().split('\n')
  assert.is(r.code, 2, `exit 2 (got ${r.code}): ${r.stderr.slice(0, 600)}${r.stdout.slice(0, 400)}`)
  assert.is(lines.length, 1, `one line: ${r.stderr.slice(0, 600)}`)
  assert.is(esbLines(r).length, 1, `a docker esb: line: ${lines[0].slice(0, 300)}`)
  assert.match(lines[0], file)
  assert.ok(lines[0].includes(key), `names ${key}: ${lines[0].slice(0, 300)}`)
  assert.match(lines[0], fix)
  assert.ok(lines[0].length < 600, `a short line (${lines[0].length} characters)`)
  assert.is(r.stdout, '', 'nothing on stdout')
  assert.equal(snapshot(sb.project), before, 'nothing written in the project')
  assert.equal(sb.outsideChanges(), [], 'nothing changed outside')
  assert.not.ok(sb.canaryRan(), 'the canary ran')
  return lines[0]
}

const TOML_HEAD = 'brand = "mini"\n'

test('esb.toml port = "24733" (a string): refused, naming registry.port and the unquoted form', () =>
  inSandbox({ files: { 'esb.toml': `${TOML_HEAD}[registry]\nport = "24733"\n` } }, (sb) => {
    refused(sb, ['build'], /project\/esb\.toml:3: /, "'registry.port'", /write it unquoted, 24733/)
    assert.equal(sb.calls(), [], 'docker was never called')
  }))

test('esb.toml push_allow = [""] (would turn the push guard off): refused, naming bake.push_allow', () =>
  inSandbox({ files: { 'esb.toml': `${TOML_HEAD}[bake]\npush_allow = ["registry.example.com/", ""]\n` } }, async (sb) => {
    refused(sb, ['build'], /project\/esb\.toml:3: /, "'bake.push_allow'", /remove the empty entry/)
    assert.equal(sb.calls(), [], 'docker was never called')
    assert.equal(await sb.canaryCatalog(), [])
  }))

test('esb.toml with an 8 KiB string: refused, naming the key and the limit', () =>
  inSandbox({ files: { 'esb.toml': `${TOML_HEAD}tag = "${'a'.repeat(8192)}"\n` } }, (sb) => {
    refused(sb, ['build', '--dry-run'], /project\/esb\.toml:2: /, "key 'tag'", /the limit is 4096: shorten it/)
  }))

test('esb.toml of 30 MB (one huge string): refused before it is parsed', () =>
  inSandbox({ files: { 'esb.toml': `${TOML_HEAD}tag = "${'a'.repeat(30 << 20)}"\n` } }, (sb) => {
    refused(
      sb,
      ['build'],
      /project\/esb\.toml: /,
      'the project config',
      /over the 4 MiB docker esb reads; point it at the right file/,
    )
  }))

test('a .env of 5 MiB: refused before it is parsed', () =>
  inSandbox({ files: { '.env': `A=${'b'.repeat(5 << 20)}\n` } }, (sb) => {
    refused(sb, ['build', '--dry-run'], /project\/\.env: /, 'env file', /over the 4 MiB docker esb reads/)
  }))

/** A project whose functions come from an artifact manifest, with this functions.yml (and artifact.yml). */
const artifact = (
  functionsYml: string,
  artifactYml = 'artifacts:\n  - artifact_root: app\n    runtime_config_dir: config\n',
) => ({
  functions: null,
  'esb.toml': `${TOML_HEAD}[functions]\nartifact = "artifact.yml"\n`,
  'artifact.yml': artifactYml,
  'app/config/functions.yml': functionsYml,
  'app/functions/hello/Dockerfile': 'FROM scratch\nCOPY . /\n',
})
const FN_YML = /project\/app\/config\/functions\.yml: /

test('functions.yml whose functions: is a list: refused (was: exit 0, nothing built, no warning)', () =>
  inSandbox({ files: artifact('functions:\n  - hello\n') }, (sb) => {
    refused(sb, ['build'], FN_YML, "key 'functions' is a list", /it must be a mapping: write 'functions:'/)
  }))

test('functions.yml whose functions.hello is a string: refused, naming functions.hello', () =>
  inSandbox({ files: artifact('functions:\n  hello: 127.0.0.1:5010/hello\n') }, (sb) => {
    refused(sb, ['build', '--dry-run'], FN_YML, "key 'functions.hello' is a string", /write ' {4}image: /)
  }))

test('functions.yml whose image is a list (no Dockerfile here either): refused, naming functions.other.image', () =>
  inSandbox({ files: artifact('functions:\n  other:\n    image: [a, b]\n') }, (sb) => {
    refused(sb, ['build', '--dry-run'], FN_YML, "key 'functions.other.image'", /it must be a string: image: /)
  }))

test('artifact.yml whose mode is a list: refused, naming mode', () =>
  inSandbox(
    {
      files: artifact(
        'functions:\n  hello:\n    image: 127.0.0.1:5010/hello:latest\n',
        'mode: [docker]\nartifacts:\n  - artifact_root: app\n    runtime_config_dir: config\n',
      ),
    },
    (sb) => {
      refused(sb, ['build', '--dry-run'], /project\/artifact\.yml: /, "key 'mode'", /it must be a string, e.g. mode: docker/)
    },
  ))

test('functions.yml image on another registry: the fix names the project registry, not [bake] push_allow (never read there)', () =>
  inSandbox({ files: artifact('functions:\n  hello:\n    image: evil.example.com/team/hello:1\n') }, async (sb) => {
    const line = refused(sb, ['build'], FN_YML, 'functions.hello.image', /name it 127\.0\.0\.1:5010\/hello:1$/)
    assert.not.match(line, /push_allow/)
    assert.equal(await sb.canaryCatalog(), [])
  }))

test('export ../app: refused in one line naming the image (was: exported as mini-app)', () =>
  inSandbox({}, (sb) => {
    refused(sb, ['export', '../app', '-o', 'app.tar'], /'docker esb export': image "\.\.\/app"/, '../app', /lowercase letters/)
    assert.not.ok(fs.existsSync(path.join(sb.project, 'app.tar')))
    assert.equal(sb.calls(), [], 'docker was never called')
  }))

// root reads any folder: drop the capabilities that let it (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)
const AS_USER = process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search'] : []
function esbAsUser(sb: Sandbox, args: string[]): Ran {
  const [cmd, ...pre] = [...AS_USER, BUNDLE]
  return run(cmd, [...pre, ...args], {
    cwd: sb.project,
    env: {
      PATH: `${path.join(sb.root, 'bin')}:${process.env.PATH}`,
      DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: undefined,
      DOCKER_CONFIG: path.join(sb.root, 'docker-config'),
      FAKE_DOCKER_LOG: path.join(sb.root, 'docker.log'),
      FAKE_DOCKER_RULES: path.join(sb.root, 'rules.json'),
      ESB_REPO: undefined,
    },
  })
}

test('-C on a folder that cannot be read: one line saying so (was: "bake file not found", esb.toml unread)', () =>
  inSandbox({ files: { 'locked/esb.toml': `${TOML_HEAD}[registry]\nport = 5999\n`, 'locked/docker-bake.hcl': '' } }, (sb) => {
    const locked = path.join(sb.project, 'locked')
    fs.chmodSync(locked, 0)
    try {
      const [cmd, ...pre] = [...AS_USER, process.execPath]
      const probe = spawnSync(cmd, [...pre, '-e', `require('fs').readdirSync(${JSON.stringify(locked)})`])
      assert.is.not(probe.status, 0, 'the folder is unreadable to the command (else this machine cannot run the case)')
      refused(sb, [], /--project-dir: cannot read the folder .*\/project\/locked \(EACCES\)/, 'locked', /chmod u\+rx/, () =>
        esbAsUser(sb, ['build', '-C', 'locked']),
      )
    } finally {
      fs.chmodSync(locked, 0o755)
    }
  }))

test('the hit report of a one-target bake names that target (was: "default")', async () => {
  const reg = await startRegistry()
  const print = {
    group: { one: { targets: ['app'] } },
    target: { app: { context: 'svc', dockerfile: 'Dockerfile', tags: [`127.0.0.1:${reg.port}/mini-app:latest`] } },
  }
  try {
    await inSandbox(
      {
        files: {
          functions: null,
          'esb.toml': `${TOML_HEAD}[bake]\ngroups = ["one"]\n`,
          'svc/Dockerfile': 'FROM scratch\nCOPY a /a\n',
          'svc/a': 'x\n',
        },
        rules: [
          { match: ['bake', '--print'], stdout: JSON.stringify(print) },
          { match: ['buildx', 'inspect'], stdout: 'Driver: docker-container\nDriver Options: network="host"\n' },
          // bake names the steps of a one-target build by stage only: [2/2], no target
          {
            match: ['bake'],
            stderr: '#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n#5 [2/2] COPY a /a\n#5 DONE 0.1s\n',
          },
        ],
      },
      (sb) => {
        const r = sb.esb(['build', '--progress', 'plain'], { PORT_REGISTRY: String(reg.port) })
        assert.is(r.code, 0, r.stderr)
        const report = JSON.parse(fs.readFileSync(path.join(sb.project, '.mini/reports/last-build.json'), 'utf8'))
        assert.equal(Object.keys(report.targets), ['app'])
        assert.match(r.stderr, /^ {2}app +0\/1/m)
        assert.not.match(r.stderr, /default +\d/)
        assert.equal(sb.outsideChanges(), [])
      },
    )
  } finally {
    await reg.stop()
  }
})

test.run()
