// Hostile env files (issue 22, items 1 and 8): a repo's .env (or an env file
// it names) feeds the stack's files, never how programs run on this machine;
// the user's own environment wins over it; secrets it holds stay out of logs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { canaryScript, esbLines, sandbox, type Sandbox } from './lib.ts'
import type { Ran } from '../lib/helpers.ts'

// the fake docker answers bake --print with one target and compose config with no service (enough to plan)
const RULES = [
  { match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) },
  { match: ['compose', 'config'], stdout: JSON.stringify({ services: {} }) },
]

/** Runs `fn` in a fresh sandbox holding `files`, and closes it. */
async function inSandbox(files: Record<string, string | null>, fn: (sb: Sandbox) => Promise<void> | void): Promise<void> {
  // without the example's own state folder (left by a demo run in the working tree)
  const sb = await sandbox({ files: { '.mini': null, ...files }, rules: RULES })
  try {
    await fn(sb)
  } finally {
    await sb.close()
  }
}

/** Exit 2, one line (`docker esb: <file>:<line>: NAME may not be set ...`), nothing run, nothing outside touched. */
function refused(sb: Sandbox, r: Ran, where: RegExp, name: string): void {
  const lines = r.stderr.trim().split('\n')
  assert.is(r.code, 2, `exit 2 (got ${r.code}): ${r.stderr}${r.stdout.slice(0, 400)}`)
  assert.is(lines.length, 1, `one line: ${r.stderr}`)
  assert.is(esbLines(r).length, 1)
  assert.match(lines[0], where)
  assert.ok(lines[0].includes(`${name} may not be set by an env file`), lines[0])
  assert.match(lines[0], /set it in your shell instead/)
  assert.is(r.stdout, '', 'no plan printed')
  assert.not.ok(sb.canaryRan(), 'the canary ran')
  assert.equal(sb.calls(), [], 'docker was never called')
  assert.equal(sb.outsideChanges(), [])
}

const CANARY = canaryScript('{ROOT}/canary.ran')

for (const args of [['build', '--dry-run'], ['build']]) {
  test(`.env PATH with the repo's own tools/docker first: ${args.join(' ')} refuses it, the canary never runs`, () =>
    inSandbox({ '.env': 'ENV=dev\nPATH={ROOT}/project/tools:${PATH}\n', 'tools/docker': CANARY, 'tools/bash': CANARY }, (sb) =>
      refused(sb, sb.esb(args), /\/project\/\.env:2: /, 'PATH'),
    ))
}

// one name per class docker, buildx, compose, Node or the loader read for themselves
const CLASSES: [string, string][] = [
  ['LD_PRELOAD', '{ROOT}/project/tools/evil.so'],
  ['BUILDX_BAKE_ENTITLEMENTS_FS', '0'],
  ['DOCKER_HOST', 'tcp://127.0.0.1:1'],
  ['NODE_OPTIONS', '--require {ROOT}/project/tools/evil.js'],
  ['COMPOSE_FILE', '{OUTSIDE}/compose.yml'],
  ['https_proxy', 'http://127.0.0.1:1'],
  ['HOME', '{OUTSIDE}'],
  ['GIT_SSH_COMMAND', '{ROOT}/project/tools/docker'],
  ['AWS_CONFIG_FILE', '{ROOT}/project/tools/aws-config'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1'],
]
for (const [name, value] of CLASSES)
  test(`.env ${name}: build --dry-run and build refuse it in one line naming .env:3`, () =>
    inSandbox({ '.env': `# a hostile repo\nENV=dev\nexport ${name}=${value}\n`, 'tools/docker': CANARY }, (sb) => {
      refused(sb, sb.esb(['build', '--dry-run']), /\/project\/\.env:3: /, name)
      refused(sb, sb.esb(['build']), /\/project\/\.env:3: /, name)
    }))

test('esb.toml env_files: the same refusal, naming that file and line', () =>
  inSandbox(
    {
      'more.env': 'A=1\nBUILDKIT_PROGRESS=plain\n',
      'esb.toml': 'brand = "mini"\nenv_files = ["more.env"]\n[templates]\nrender = true\n',
    },
    (sb) => refused(sb, sb.esb(['build', '--dry-run']), /\/project\/more\.env:2: /, 'BUILDKIT_PROGRESS'),
  ))

test('--env-file naming DOCKER_CONFIG: refused with its line', () =>
  inSandbox({ 'ci.env': 'A=1\nDOCKER_CONFIG={OUTSIDE}\n' }, (sb) =>
    refused(sb, sb.esb(['down', '--dry-run', '--env-file', 'ci.env']), /\/project\/ci\.env:2: /, 'DOCKER_CONFIG'),
  ))

test('the user environment wins over .env (PORT_S3, CERT_DIR), and the plan says where each value came from', () =>
  inSandbox({ '.env': 'PORT_S3=9000\nCERT_DIR=./certs\nLOG_LEVEL=DEBUG\nCOMPOSE_PROFILES=dev\n' }, (sb) => {
    const r = sb.esb(['build', '--dry-run', '--json'], { PORT_S3: '127.0.0.1:19000', CERT_DIR: '/my/certs' })
    assert.is(r.code, 0, r.stderr)
    const plan = JSON.parse(r.stdout) as { env: Record<string, string>; envSources: Record<string, string> }
    assert.is(plan.env.PORT_S3, '127.0.0.1:19000')
    assert.is(plan.env.CERT_DIR, '/my/certs')
    assert.is(plan.env.LOG_LEVEL, 'DEBUG', 'a name the user did not set comes from .env')
    assert.is(plan.env.COMPOSE_PROFILES, 'dev', 'compose reads COMPOSE_PROFILES from .env itself: allowed')
    assert.match(plan.envSources.PORT_S3, /environment variable PORT_S3/)
    assert.match(plan.envSources.CERT_DIR, /environment variable CERT_DIR/)
    assert.match(plan.envSources.LOG_LEVEL, /\/project\/\.env/)
    for (const st of (plan as unknown as { steps: { env?: Record<string, string> }[] }).steps)
      if (st.env?.PORT_S3) assert.is(st.env.PORT_S3, '127.0.0.1:19000', 'every docker call gets the user value')
    // without the user's values, .env's apply
    const own = JSON.parse(sb.esb(['build', '--dry-run', '--json'], { PORT_S3: undefined, CERT_DIR: undefined }).stdout)
    assert.is(own.env.PORT_S3, '9000')
    assert.is(own.env.CERT_DIR, './certs')
  }))

const SECRETS = {
  AUTH_PASS: 'hunter2-pass-value',
  JWT_SECRET_KEY: 'jwt-secret-value-32-chars-long-xx',
  RUSTFS_SECRET_KEY: 'rustfs-secret-value',
  X_API_KEY: 'x-api-key-value',
  GITHUB_TOKEN: 'ghp-token-value',
}
const secretEnv = Object.entries(SECRETS)
  .map(([k, v]) => `${k}=${v}\n`)
  .join('')

test('secrets from .env are masked in the human dry run and in run logs; JSON keeps them only with --show-secrets', () =>
  inSandbox({ '.env': `AUTH_USER=admin\n${secretEnv}` }, (sb) => {
    const leaks = (out: string) => Object.values(SECRETS).filter((v) => out.includes(v))
    const text = sb.esb(['build', '--dry-run'])
    assert.is(text.code, 0, text.stderr)
    assert.equal(leaks(text.stdout + text.stderr), [], 'the human plan prints no secret')
    for (const k of Object.keys(SECRETS)) assert.match(text.stdout, new RegExp(`^  ${k}=\\(masked\\)`, 'm'))
    const json = sb.esb(['build', '--dry-run', '--json'])
    assert.is(json.code, 0, json.stderr)
    assert.equal(leaks(json.stdout), [], 'the JSON plan masks them by default')
    assert.is(JSON.parse(json.stdout).env.AUTH_PASS, '(masked)')
    const shown = sb.esb(['build', '--dry-run', '--json', '--show-secrets'])
    assert.is(shown.code, 0, shown.stderr)
    assert.is(JSON.parse(shown.stdout).env.AUTH_PASS, SECRETS.AUTH_PASS, 'kept with --show-secrets')
    const ran = sb.esb(['build'])
    assert.equal(leaks(ran.stdout + ran.stderr), [], 'a run logs no secret')
    for (const cmd of ['up', 'down', 'prune']) {
      const r = sb.esb([cmd, '--dry-run', '--json', '--show-secrets'])
      assert.is(r.code, 0, `${cmd}: ${r.stderr}`)
    }
  }))

test.run()
