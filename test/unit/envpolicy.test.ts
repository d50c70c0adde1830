// Env files and the environment docker gets (issue 22, item 1): a name that
// changes how programs run here is refused in one line naming file:line
// (scripts/project/envpolicy.ts, read through loadInputs), and the user's own
// environment wins over every file (project/lookup.ts, plan/env.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../../scripts/errors.ts'
import { parseEnvFile } from '../../scripts/project/envfile.ts'
import { checkEnvFile, refusedReason } from '../../scripts/project/envpolicy.ts'
import { loadInputs } from '../../scripts/project/read.ts'
import { envSources, stackEnv } from '../../scripts/plan/env.ts'
import { removeTemp, settings, tempDir } from '../lib/settings.ts'

const REFUSED = [
  'PATH',
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'DYLD_INSERT_LIBRARIES',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'BUILDX_BAKE_ENTITLEMENTS_FS',
  'BUILDX_BUILDER',
  'BUILDX_CONFIG',
  'BUILDKIT_PROGRESS',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CONTEXT',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'DOCKER_BUILDKIT',
  'DOCKER_ESB_LOCK_DIR',
  'COMPOSE_FILE',
  'COMPOSE_ENV_FILES',
  'COMPOSE_PATH_SEPARATOR',
  'COMPOSE_REMOVE_ORPHANS',
  'COMPOSE_BAKE',
  'http_proxy',
  'HTTPS_PROXY',
  'no_proxy',
  'ALL_PROXY',
  'HOME',
  'SHELL',
  'TMPDIR',
  'XDG_CONFIG_HOME',
  'BASH_ENV',
  'SHELLOPTS',
  'IFS',
  'GIT_SSH_COMMAND',
  'GIT_CONFIG_GLOBAL',
  'SSL_CERT_FILE',
  'GODEBUG',
  'KUBECONFIG',
  'SSH_AUTH_SOCK',
  'PYTHONPATH',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CA_BUNDLE',
  'CLOUDSDK_PYTHON',
  'CLOUDSDK_CONFIG',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'AZURE_CONFIG_DIR',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_RESOURCE_ATTRIBUTES',
  'EXPERIMENTAL_BUILDKIT_SOURCE_POLICY',
]
// the stack's own names and what its files interpolate
const ALLOWED = [
  'ENV',
  'MODE',
  'PORT_S3',
  'CERT_DIR',
  'LOG_LEVEL',
  'AUTH_PASS',
  'PROJECT_NAME',
  'PORT_REGISTRY',
  'BUILDKITD_CONFIG',
  'SOURCE_DATE_EPOCH',
  'COMPOSE_PROFILES',
  'COMPOSE_PROJECT_NAME',
  'NODE_ENV',
  'ESB_TAG',
  'PATHS',
  'MY_PATH',
  'HOMEPAGE',
  // handed to the stack's containers, not read for how docker's children run
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL',
  'AZURE_STORAGE_ACCOUNT',
]

test('refusedReason: every class docker, buildx, compose, Node, git or the loader read for themselves', () => {
  for (const n of REFUSED) assert.ok(refusedReason(n), `${n} must be refused`)
  for (const n of ALLOWED) assert.is(refusedReason(n), null, `${n} must be allowed`)
})

const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test((e as Error).message)

test('checkEnvFile: one line naming file:line of the first refused assignment; a bare NAME (the user value) passes', () => {
  const lines: Record<string, number> = {}
  const vars = parseEnvFile('/p/.env', 'A=1\n\nLD_PRELOAD=/x.so\nPATH=/evil:$PATH\n', () => undefined, lines)
  assert.equal(lines, { A: 1, LD_PRELOAD: 3, PATH: 4 })
  assert.throws(
    () => checkEnvFile('/p/.env', vars, lines),
    usage(/^\/p\/\.env:3: LD_PRELOAD may not be set by an env file \(.+\); set it in your shell instead/),
  )
  const bare: Record<string, number> = {}
  const own = parseEnvFile('/p/.env', 'PATH\nA=1\n', (n) => (n === 'PATH' ? '/usr/bin' : undefined), bare)
  assert.equal(own, { PATH: '/usr/bin', A: '1' })
  checkEnvFile('/p/.env', own, bare)
})

test('loadInputs refuses a refused name in .env, esb.toml env_files and --env-file alike', () => {
  const d = tempDir()
  try {
    fs.writeFileSync(path.join(d, '.env'), 'PORT_S3=9000\n')
    fs.writeFileSync(path.join(d, 'esb.toml'), 'env_files = ["ci.env"]\n')
    fs.writeFileSync(path.join(d, 'ci.env'), 'X=1\nexport DOCKER_HOST=tcp://evil:2375\n')
    assert.throws(() => loadInputs(d, {}, {}), usage(/ci\.env:2: DOCKER_HOST may not be set/))
    fs.writeFileSync(path.join(d, 'ci.env'), 'X=1\n')
    fs.writeFileSync(path.join(d, 'flag.env'), '\n\nCOMPOSE_FILE=/outside/compose.yml\n')
    assert.throws(() => loadInputs(d, { envFiles: [path.join(d, 'flag.env')] }, {}), usage(/flag\.env:3: COMPOSE_FILE/))
    fs.writeFileSync(path.join(d, '.env'), 'BUILDX_BAKE_ENTITLEMENTS_FS=0\n')
    assert.throws(() => loadInputs(d, {}, {}), usage(/\.env:1: BUILDX_BAKE_ENTITLEMENTS_FS may not be set/))
    // the user's own environment is theirs: not checked
    fs.writeFileSync(path.join(d, '.env'), 'COMPOSE_PROFILES=dev\nNODE_ENV=production\n')
    assert.is(loadInputs(d, {}, { PATH: '/usr/bin', DOCKER_HOST: 'unix:///x' }).envFiles[0].vars.COMPOSE_PROFILES, 'dev')
  } finally {
    removeTemp(d)
  }
})

const files: { file: string; vars: Record<string, string> }[] = [
  { file: '/p/.env', vars: { PORT_S3: '9000', CERT_DIR: './certs', LOG_LEVEL: 'DEBUG' } },
  { file: '/p/ci.env', vars: { LOG_LEVEL: 'INFO' } },
]

test('the process environment wins over every env file: stackEnv and envSources', () => {
  const s = settings({ envFiles: files, processEnv: { PORT_S3: '127.0.0.1:19000', CERT_DIR: '/my/certs' } })
  const env = stackEnv(s)
  assert.is(env.PORT_S3, '127.0.0.1:19000')
  assert.is(env.CERT_DIR, '/my/certs')
  assert.is(env.LOG_LEVEL, 'INFO', 'later files win over earlier ones')
  const src = envSources(s, env)
  assert.is(src.PORT_S3, 'environment variable PORT_S3 (over /p/.env)')
  assert.is(src.CERT_DIR, 'environment variable CERT_DIR')
  assert.is(src.LOG_LEVEL, '/p/ci.env')
  // no user value: the files'; CERT_DIR exported with no file setting it: still the user's
  const own = stackEnv(settings({ envFiles: files }))
  assert.is(own.PORT_S3, '9000')
  assert.is(own.CERT_DIR, './certs')
  assert.is(stackEnv(settings({ processEnv: { CERT_DIR: '/my/certs' } })).CERT_DIR, '/my/certs')
  assert.is(stackEnv(settings()).CERT_DIR, './.esb/certs')
})

test.run()
