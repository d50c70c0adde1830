// No secrets in logs (issue 22, item 8): scripts/plan/mask.ts and the plan
// printers (plan/show.ts) mask the values of secret-looking names and URL
// passwords; the JSON plan keeps them only with --show-secrets.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isSecretName, maskEnv, maskUrls, maskValue } from '../../scripts/plan/mask.ts'
import { planToJson, planToText } from '../../scripts/plan/show.ts'
import type { Plan } from '../../scripts/plan/types.ts'

test('isSecretName: PASS, SECRET, TOKEN, KEY (and *_KEY_ID), CREDENTIAL, AUTH...; not the stack names', () => {
  for (const n of [
    'AUTH_PASS',
    'DB_PASSWORD',
    'JWT_SECRET_KEY',
    'RUSTFS_SECRET_KEY',
    'X_API_KEY',
    'AWS_ACCESS_KEY_ID',
    'GITHUB_TOKEN',
    'REGISTRY_CREDENTIALS',
    'AUTH_USER',
    'ssh_private',
    'DB_PWD',
    'password',
  ])
    assert.ok(isSecretName(n), n)
  for (const n of ['PORT_S3', 'CERT_DIR', 'ENV', 'PWD', 'BUILDX_BUILDER', 'CONTAINER_REGISTRY', 'ESB_TAG', 'SOURCE_DATE_EPOCH'])
    assert.not.ok(isSecretName(n), n)
})

test('maskValue / maskUrls: (masked) for a secret name, URL passwords in any value', () => {
  assert.is(maskValue('AUTH_PASS', 'hunter2'), '(masked)')
  assert.is(maskValue('AUTH_PASS', ''), '', 'an empty value says nothing')
  assert.is(maskValue('PORT_S3', '9000'), '9000')
  assert.is(maskValue('DATABASE_URL', 'postgres://app:s3cret@db:5432/x'), 'postgres://app:(masked)@db:5432/x')
  assert.is(
    maskUrls('env.http_proxy=http://u:p@proxy:3128 and https://host/path'),
    'env.http_proxy=http://u:(masked)@proxy:3128 and https://host/path',
  )
  assert.equal(maskEnv({ X_API_KEY: 'k', A: 'a' }), { X_API_KEY: '(masked)', A: 'a' })
})

const plan: Plan = {
  command: 'build',
  project: 'p',
  mode: 'docker',
  env: { AUTH_PASS: 'hunter2', PORT_S3: '9000' },
  envSources: { AUTH_PASS: '/p/.env' },
  caches: {},
  steps: [
    {
      kind: 'docker',
      why: 'bake',
      argv: ['buildx', 'bake', '--set', 'x.args.U=https://me:pw@h/'],
      env: { JWT_SECRET_KEY: 'jwt' },
      cwd: '/p',
    },
  ],
}

test('planToText masks secrets and URL passwords; --show-secrets prints them', () => {
  const text = planToText(plan, 'docker', [])
  assert.match(text, /^ {2}AUTH_PASS=\(masked\) {4}\(from \/p\/\.env\)$/m)
  assert.match(text, /^ {2}PORT_S3=9000$/m)
  assert.not.match(text, /hunter2|me:pw/)
  assert.match(planToText(plan, 'docker', [], true), /AUTH_PASS=hunter2/)
})

test('planToJson masks every env (the plan and each step) unless --show-secrets', () => {
  const out = planToJson(plan, 'docker', [])
  assert.not.match(out, /hunter2|"jwt"|me:pw/)
  const j = JSON.parse(out)
  assert.is(j.env.AUTH_PASS, '(masked)')
  assert.is(j.steps[0].env.JWT_SECRET_KEY, '(masked)')
  const shown = JSON.parse(planToJson(plan, 'docker', [], true))
  assert.is(shown.env.AUTH_PASS, 'hunter2')
  assert.is(shown.steps[0].env.JWT_SECRET_KEY, 'jwt')
  assert.is(shown.steps[0].argv.at(-1), 'x.args.U=https://me:pw@h/')
})

test.run()
