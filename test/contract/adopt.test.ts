// An existing ESB-shaped repo (examples/adopt: generated files committed with
// the branding tool's header, no brand setting, REGISTRY in the bake file,
// ENV=dev in .env, a foreign buildkitd.toml, deploy artifact manifests) is
// planned without touching a file of it: dry runs through the real docker CLI.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { FAKE_DOCKER, ROOT, dockerConfig, run, startRegistry, tmpdir } from '../lib/helpers.ts'
import { BUNDLE } from '../lib/helpers.ts'

const cfg = dockerConfig()

function copy(toml = '[functions]\nartifact = "artifacts/e2e-*/artifact.yml"\n'): string {
  const dir = tmpdir('esb-adopt-')
  fs.cpSync(path.join(ROOT, 'examples', 'adopt'), dir, { recursive: true })
  run('bash', ['tools/setup-certs.sh'], { cwd: dir })
  if (toml) fs.writeFileSync(path.join(dir, 'esb.toml'), toml)
  return dir
}
const snapshot = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .sort()
      .map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), 'utf8') : '']),
  )
const env = { PORT_REGISTRY: undefined, ENV: undefined, BUILDX_BUILDER: undefined, ACME_TAG: undefined, ACME_ENV: undefined }
const plan = (dir: string, ...args: string[]) => {
  const r = run('docker', ['--config', cfg, 'esb', ...args, '--dry-run', '--json'], { cwd: dir, env })
  assert.is(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

test('build --dry-run on the adopted repo: brand from its files, no write of its files, everything tagged for the local registry', () => {
  const dir = copy()
  const before = snapshot(dir)
  const p = plan(dir, 'build')
  assert.equal(snapshot(dir), before, 'a dry run writes nothing')
  const writes = p.steps.filter((s: any) => s.kind === 'write').map((s: any) => path.relative(dir, s.path))
  // run files, and docker esb's own kept answers of buildx (the plan's last write; a dry run writes nothing)
  for (const w of writes) assert.match(w, /^\.acme\/(runs\/|inputs\/queries\.json$)/, `only run files are written: ${w}`)
  const bake = p.steps.find((s: any) => s.kind === 'docker')
  assert.is(bake.env.REGISTRY, '127.0.0.1:5010/', 'the bake file declares REGISTRY')
  assert.is(bake.env.ENV, 'dev', '.env is honoured')
  assert.is(bake.env.PROJECT_NAME, 'acme-dev')
  assert.is(bake.env.BUILDX_BUILDER, 'acme-buildx', 'brand acme read from the generated files')
  assert.is(p.envSources.ENV, `${dir}/.env: ENV`)
  const gen = JSON.parse(p.steps.find((s: any) => s.kind === 'write' && s.path.endsWith('bake.generated.1.json')).content)
  const tags = Object.values<any>(gen.target).flatMap((t) => t.tags)
  for (const t of tags) assert.match(t, /^127\.0\.0\.1:5010\//)
  assert.ok(tags.includes('127.0.0.1:5010/acme-os-base:latest'))
  // both artifact entries' functions, context = the entry root, named by functions.yml, FROM the lambda base of this run
  const echo = gen.target['fn-lambda-echo-containerd']
  assert.ok(echo, Object.keys(gen.target).join(' '))
  assert.equal(echo.tags, ['127.0.0.1:5010/acme-lambda-echo:e2e-containerd-latest'])
  assert.match(echo.context, /artifacts\/e2e-containerd\/entries\/[^/]+$/)
  assert.is(echo.dockerfile, 'functions/lambda-echo/Dockerfile')
  assert.equal(Object.values(echo.contexts), ['target:lambda-base'])
  assert.equal(gen.target['fn-lambda-hello-docker'].tags, ['127.0.0.1:5010/acme-lambda-hello:e2e-docker-latest'])
  // a function FROM an outside image (public.ecr.aws/lambda/java:21) shares the entry root and gets no lambda-base context
  const java = gen.target['fn-lambda-java-docker']
  assert.ok(java, Object.keys(gen.target).join(' '))
  assert.equal(java.tags, ['127.0.0.1:5010/acme-lambda-java:e2e-docker-latest'])
  assert.is(java.context, gen.target['fn-lambda-hello-docker'].context, 'one build context per artifact entry')
  assert.is(java.dockerfile, 'functions/lambda-java/Dockerfile')
  assert.not.ok(Object.values(java.contexts ?? {}).includes('target:lambda-base'))
  // the repo's own buildkitd.toml is used as it is, never written
  const ensure = p.steps.find((s: any) => s.kind === 'ensure-builder')
  assert.ok(ensure.create.includes(path.join(dir, '.acme/buildkitd.toml')))
})

test('--tag and ACME_TAG reach every target, whatever the bake file hard-codes', () => {
  const dir = copy()
  const p = plan(dir, 'build', '--tag', 'v2')
  const gen = JSON.parse(p.steps.find((s: any) => s.kind === 'write' && s.path.endsWith('bake.generated.1.json')).content)
  assert.equal(gen.target['os-base'].tags, ['127.0.0.1:5010/acme-os-base:v2'])
})

test('render on the adopted repo refuses to overwrite what docker esb did not write', () => {
  const dir = copy('brand = "acme"\n[templates]\nrender = true\n')
  fs.writeFileSync(path.join(dir, 'docker-compose.docker.yml'), '# the team edited this file by hand\nservices: {}\n')
  const before = snapshot(dir)
  const r = run('docker', ['--config', cfg, 'esb', 'build', '--dry-run'], { cwd: dir, env })
  assert.is(r.code, 2, r.stderr)
  assert.match(r.stderr, /^docker esb: refusing to overwrite docker-compose\.docker\.yml: not written by docker esb/m)
  assert.equal(snapshot(dir), before)
})

test('a function image that is not on the project registry stops the build before anything runs', () => {
  const dir = copy()
  const f = path.join(
    dir,
    'artifacts/e2e-docker/entries',
    fs.readdirSync(path.join(dir, 'artifacts/e2e-docker/entries'))[0],
    'config/functions.yml',
  )
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('127.0.0.1:5010/acme-lambda-echo', 'docker.io/acme/lambda-echo'))
  const r = run('docker', ['--config', cfg, 'esb', 'build', '--dry-run'], { cwd: dir, env })
  assert.is(r.code, 2)
  assert.match(r.stderr, /functions\.lambda-echo\.image docker\.io\/acme\/lambda-echo:\S+ is not on the project's registry/)
})

test("the adopted repo's registry is published on 127.0.0.1 only, whatever its infra file says: build, down --registry, and compose reading the override", () => {
  const dir = copy()
  const infra = path.join(dir, 'docker-compose.infra.yml')
  fs.writeFileSync(infra, fs.readFileSync(infra, 'utf8').replace('"127.0.0.1:${PORT_REGISTRY', '"${PORT_REGISTRY'))
  const ensure = plan(dir, 'build').steps.find((s: any) => s.kind === 'ensure-registry')
  const down = plan(dir, 'down', '--registry').steps
  const w = down.find((s: any) => s.kind === 'write')
  assert.equal(ensure.override, { path: path.join(dir, '.acme', 'registry-ports.5010.yml'), content: w.content })
  assert.is(w.path, ensure.override.path)
  const args = ['compose', '-p', 'acme-infra', '-f', infra, '-f', w.path]
  assert.equal(ensure.up.slice(-(args.length + 3)), [...args, 'up', '-d', 'registry'])
  assert.equal(down.at(-1).argv.slice(-(args.length + 1)), [...args, 'down'])
  assert.ok(down.indexOf(w) < down.length - 1, 'written before down runs')
  // the compose the tests use reads it as the bind alone (no port of the infra file is left)
  fs.mkdirSync(path.dirname(w.path), { recursive: true })
  fs.writeFileSync(w.path, w.content)
  const r = run('docker', ['--config', cfg, ...args, 'config', '--format', 'json'], { cwd: dir, env })
  assert.is(r.code, 0, r.stderr)
  assert.equal(JSON.parse(r.stdout).services.registry.ports, [
    { mode: 'ingress', host_ip: '127.0.0.1', target: 5010, published: '5010', protocol: 'tcp' },
  ])
})

test('no brand configured and generated files that disagree: one line asking for brand', () => {
  const dir = copy('')
  fs.writeFileSync(
    path.join(dir, 'config/defaults.env'),
    fs.readFileSync(path.join(dir, 'config/defaults.env'), 'utf8').replace('CLI_CMD=acme', 'CLI_CMD=other'),
  )
  const r = run('docker', ['--config', cfg, 'esb', 'build', '--dry-run'], { cwd: dir, env })
  assert.is(r.code, 2)
  assert.match(r.stderr, /no brand is configured and the generated files disagree .*set brand = /)
})

test('init writes esb.toml and the bundled set, and refuses to overwrite', () => {
  const dir = tmpdir()
  const r = run('docker', ['--config', cfg, 'esb', 'init', '--brand', 'acme'], { cwd: dir, env })
  assert.is(r.code, 0, r.stderr)
  assert.match(fs.readFileSync(path.join(dir, 'esb.toml'), 'utf8'), /brand = "acme"/)
  assert.ok(fs.existsSync(path.join(dir, 'docker-bake.hcl')))
  const again = run('docker', ['--config', cfg, 'esb', 'init', '--brand', 'acme'], { cwd: dir, env })
  assert.is(again.code, 2)
  assert.match(again.stderr, /init writes only new files/)
})

test('[compose] files: added after the mode file (with {mode}) to up and down', () => {
  const dir = copy('[compose]\nfiles = ["extra.{mode}.yml"]\n')
  fs.writeFileSync(path.join(dir, 'extra.docker.yml'), 'services:\n  gateway:\n    labels:\n      team: platform\n')
  for (const cmd of ['up', 'down']) {
    const p = plan(dir, cmd)
    const st = p.steps.filter((s: any) => s.kind === 'docker' && s.argv.includes('compose')).pop()
    const files = st.argv.flatMap((a: string, i: number) => (st.argv[i - 1] === '-f' ? [path.basename(a)] : []))
    assert.equal(files.slice(0, 2), ['docker-compose.docker.yml', 'extra.docker.yml'], cmd)
  }
})

test("a fitting builder made by another tool (the repo's setup_buildx.py) is adopted, not recreated", async () => {
  const reg = await startRegistry()
  try {
    const dir = copy()
    const rules = path.join(dir, 'rules.json')
    const log = path.join(dir, 'docker.log')
    fs.writeFileSync(
      rules,
      JSON.stringify([
        { match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) },
        {
          match: ['buildx', 'inspect'],
          stdout:
            'Name:          acme-buildx\nDriver:        docker-container\nNodes:\nName:          acme-buildx0\nDriver Options: network="host"\n',
        },
      ]),
    )
    const r = run(BUNDLE, ['build'], {
      cwd: dir,
      env: {
        ...env,
        PORT_REGISTRY: String(reg.port),
        DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER,
        FAKE_DOCKER_RULES: rules,
        FAKE_DOCKER_LOG: log,
      },
    })
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, /builder acme-buildx: adopted as it is/)
    const calls = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).argv.join(' '))
    assert.not.ok(
      calls.some((c) => / buildx (create|rm)\b/.test(` ${c}`)),
      calls.join('\n'),
    )
    assert.is(
      fs.readFileSync(path.join(dir, '.acme/buildkitd.toml'), 'utf8'),
      fs.readFileSync(path.join(ROOT, 'examples/adopt/.acme/buildkitd.toml'), 'utf8'),
      "the repo's buildkitd.toml is untouched",
    )
  } finally {
    await reg.stop()
  }
})

test.run()
