// `docker esb render` on temp projects through the real docker CLI, and the
// rendered files checked by their real tools (compose, buildx, gofmt, go vet).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT, dockerConfig, run, tmpdir, which } from '../lib/helpers.ts'

const cfg = dockerConfig()
const esb = (cwd: string, ...args: string[]) => run('docker', ['--config', cfg, 'esb', ...args], { cwd })
const EXPECTED = [
  'acme-prod.mk',
  'config/defaults.env',
  'docker-bake.hcl',
  'docker-compose.containerd.yml',
  'docker-compose.docker.yml',
  'docker-compose.infra.yml',
  'meta/meta.go',
]
// the record of what docker esb wrote (.<slug>/written.json) is not a rendered file
const list = (dir: string): string[] =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('written.json'))
    .map((e) => path.relative(dir, path.join(e.parentPath ?? (e as any).path, e.name)))
    .sort()

test('render --brand "Acme Prod" writes the bundled set; re-running writes nothing; --check finds an edit', () => {
  const dir = tmpdir()
  const r = esb(dir, 'render', '--brand', 'Acme Prod')
  assert.is(r.code, 0, r.stderr)
  assert.equal(list(dir), EXPECTED)
  assert.match(fs.readFileSync(path.join(dir, 'docker-compose.infra.yml'), 'utf8'), /acme-prod-infra-registry/)
  assert.match(fs.readFileSync(path.join(dir, 'config/defaults.env'), 'utf8'), /ENV_PREFIX=ACME_PROD/)
  assert.match(fs.readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8'), /variable "ACME_PROD_TAG"/)
  assert.is(fs.statSync(path.join(dir, 'meta/meta.go')).mode & 0o777, 0o644)

  const mtimes = EXPECTED.map((f) => fs.statSync(path.join(dir, f)).mtimeMs)
  const again = esb(dir, 'render', '--brand', 'Acme Prod')
  assert.is(again.code, 0)
  assert.match(again.stderr, /0 written, 7 unchanged/)
  assert.equal(
    EXPECTED.map((f) => fs.statSync(path.join(dir, f)).mtimeMs),
    mtimes,
  )

  assert.is(esb(dir, 'render', '--brand', 'Acme Prod', '--check').code, 0)
  fs.appendFileSync(path.join(dir, 'docker-bake.hcl'), '# local edit\n')
  fs.chmodSync(path.join(dir, 'meta/meta.go'), 0o600)
  const before = fs.readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8')
  const chk = esb(dir, 'render', '--brand', 'Acme Prod', '--check')
  assert.is(chk.code, 1)
  assert.match(chk.stdout, /Diff for docker-bake\.hcl:\n--- current\/docker-bake\.hcl\n\+\+\+ generated\/docker-bake\.hcl\n@@/)
  assert.match(chk.stdout, /^-# local edit$/m)
  assert.is(fs.readFileSync(path.join(dir, 'docker-bake.hcl'), 'utf8'), before, '--check writes nothing')
  // rendering again repairs the file and keeps the changed mode of the other
  assert.is(esb(dir, 'render', '--brand', 'Acme Prod').code, 0)
  assert.is(fs.statSync(path.join(dir, 'meta/meta.go')).mode & 0o777, 0o600)
  fs.rmSync(dir, { recursive: true })
})

test('brand from config/branding.yaml and esb.toml; project found from a subfolder', () => {
  const dir = tmpdir()
  fs.mkdirSync(path.join(dir, 'config'))
  fs.writeFileSync(path.join(dir, 'config/branding.yaml'), 'brand: "Yaml Co" # the brand\n')
  fs.mkdirSync(path.join(dir, 'sub/deeper'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'esb.toml'), '# project\n')
  assert.is(esb(path.join(dir, 'sub/deeper'), 'render').code, 0)
  assert.ok(fs.existsSync(path.join(dir, 'yaml-co.mk')))
  fs.writeFileSync(path.join(dir, 'esb.toml'), 'brand = "Toml Co"\n')
  assert.is(esb(dir, 'render').code, 0)
  assert.ok(fs.existsSync(path.join(dir, 'toml-co.mk')))
  fs.rmSync(dir, { recursive: true })
})

test('a project template folder; an unknown key fails with file and key and writes nothing', () => {
  const dir = tmpdir()
  fs.mkdirSync(path.join(dir, 'tmpl/sub'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'tmpl/a.txt.tmpl'), 'slug={{SLUG}}\n')
  fs.writeFileSync(path.join(dir, 'tmpl/sub/run.sh.tmpl'), '#!/bin/sh\necho {{ CLI_NAME }}\n')
  fs.writeFileSync(path.join(dir, 'esb.toml'), 'brand = "t"\n[templates]\ndir = "tmpl"\nout = "out"\n')
  const r = esb(dir, 'render')
  assert.is(r.code, 0, r.stderr)
  assert.is(fs.readFileSync(path.join(dir, 'out/a.txt'), 'utf8'), 'slug=t\n')
  assert.is(fs.statSync(path.join(dir, 'out/sub/run.sh')).mode & 0o777, 0o755)
  fs.writeFileSync(path.join(dir, 'tmpl/b.txt.tmpl'), 'ok\n')
  fs.writeFileSync(path.join(dir, 'tmpl/c.txt.tmpl'), '{{ NOT_A_KEY }}\n')
  const bad = esb(dir, 'render')
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /tmpl\/c\.txt\.tmpl: unknown template key \{\{NOT_A_KEY\}\}/)
  assert.not.ok(fs.existsSync(path.join(dir, 'out/b.txt')), 'nothing written')
  fs.rmSync(dir, { recursive: true })
})

test('bad config: one line, exit 2, nothing written', () => {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'esb.toml'), 'brand = "x"\n[registry]\nport = 99999\n')
  const r = esb(dir, 'render')
  assert.is(r.code, 2)
  assert.match(
    r.stderr,
    /^docker esb: .*esb\.toml:3: key 'registry\.port' is 99999; expected an integer port 1-65535 \(unquoted, e.g. port = 5010\)\n$/,
  )
  assert.equal(fs.readdirSync(dir), ['esb.toml'])
  fs.writeFileSync(path.join(dir, 'esb.toml'), 'brand = \n')
  const m = esb(dir, 'render')
  assert.is(m.code, 2)
  assert.match(m.stderr, /esb\.toml:1: malformed TOML/)
  fs.writeFileSync(path.join(dir, 'esb.toml'), 'brand = "x"\n')
  const ef = esb(dir, 'render', '--env-file', 'missing.env')
  assert.is(ef.code, 2)
  assert.match(ef.stderr, /missing\.env: cannot read env file \(ENOENT\)/)
  assert.equal(fs.readdirSync(dir), ['esb.toml'])
  fs.rmSync(dir, { recursive: true })
})

test('rendered files are valid for their real tools', () => {
  const dir = tmpdir()
  assert.is(esb(dir, 'render', '--brand', 'Acme Prod').code, 0)
  const env = { DOCKER_CONFIG: cfg }
  for (const f of ['docker-compose.infra.yml', 'docker-compose.docker.yml', 'docker-compose.containerd.yml']) {
    const r = run('docker', ['compose', '-f', f, 'config', '-q'], { cwd: dir, env })
    assert.is(r.code, 0, `${f}: ${r.stderr}`)
  }
  const bake = run('docker', ['buildx', 'bake', '--print'], { cwd: dir, env })
  assert.is(bake.code, 0, bake.stderr)
  const print = JSON.parse(bake.stdout)
  assert.equal(Object.keys(print.target).sort(), [
    'agent-containerd',
    'agent-docker',
    'gateway-containerd',
    'gateway-docker',
    'lambda-base',
    'os-base',
    'provisioner',
    'python-base',
    'runtime-node-containerd',
  ])
  assert.is(print.target['gateway-docker'].contexts['python-base'], 'target:python-base')
  assert.equal(print.target['os-base'].tags, ['127.0.0.1:5010/acme-prod-os-base:latest'])
  const go = which('go') ?? '/usr/local/go/bin/go'
  const gofmt = run(path.join(path.dirname(go), 'gofmt'), ['-l', 'meta'], { cwd: dir })
  assert.is(gofmt.code, 0, gofmt.stderr)
  assert.is(gofmt.stdout, '', 'gofmt -l lists nothing')
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/acme\n\ngo 1.21\n')
  const vet = run(go, ['vet', './meta'], { cwd: dir, env: { GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' } })
  assert.is(vet.code, 0, vet.stderr)
  fs.rmSync(dir, { recursive: true })
})

test('examples/mini: its committed generated files match the templates (render --check)', () => {
  const r = run('docker', ['--config', cfg, 'esb', 'render', '--check', '-C', path.join(ROOT, 'examples/mini')])
  assert.is(r.code, 0, r.stdout + r.stderr)
})

test.run()
