// The built bundle through the REAL docker CLI: discovery, metadata, help.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { BUNDLE, dockerConfig, run, tmpdir } from '../lib/helpers.ts'

const cfg = dockerConfig()
const docker = (...args: string[]) => run('docker', ['--config', cfg, ...args])

test('the bundle is one executable file that runs with no node_modules beside it', () => {
  const st = fs.statSync(BUNDLE)
  assert.ok(st.mode & 0o100, 'executable')
  const dir = tmpdir('esb-alone-')
  fs.copyFileSync(BUNDLE, path.join(dir, 'docker-esb'))
  fs.chmodSync(path.join(dir, 'docker-esb'), 0o755)
  const r = run(path.join(dir, 'docker-esb'), ['version'], { cwd: dir })
  fs.rmSync(dir, { recursive: true })
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^docker esb \d+\.\d+\.\d+/)
})

test('the bundle also runs where Node loads it as an ES module (a "type": "module" package.json above it)', () => {
  const dir = tmpdir('esb-esm-')
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}')
  fs.copyFileSync(BUNDLE, path.join(dir, 'docker-esb'))
  fs.chmodSync(path.join(dir, 'docker-esb'), 0o755)
  const v = run(path.join(dir, 'docker-esb'), ['version'], { cwd: dir })
  const m = run(path.join(dir, 'docker-esb'), ['docker-cli-plugin-metadata'], { cwd: dir })
  fs.rmSync(dir, { recursive: true })
  assert.is(v.code, 0, v.stderr)
  assert.is(JSON.parse(m.stdout).SchemaVersion, '0.1.0')
})

test("V8's compiled code is kept in the user's cache folder: made once, a corrupt one replaced, never an error", () => {
  const cache = tmpdir('esb-xdg-')
  const env = { XDG_CACHE_HOME: cache }
  const files = () => (fs.existsSync(path.join(cache, 'docker-esb')) ? fs.readdirSync(path.join(cache, 'docker-esb')) : [])
  assert.is(run(BUNDLE, ['version'], { env }).code, 0)
  const [f] = files()
  assert.match(f, /^code-[0-9a-f]{16}\.bin$/)
  const kept = path.join(cache, 'docker-esb', f)
  const size = fs.statSync(kept).size
  assert.ok(size > 100_000, `${size} bytes`)
  // a second run uses it and leaves it as it is
  const mtime = fs.statSync(kept).mtimeMs
  assert.is(run(BUNDLE, ['version'], { env }).code, 0)
  assert.is(fs.statSync(kept).mtimeMs, mtime)
  // a corrupt one is rejected by V8 and written anew
  fs.writeFileSync(kept, 'not V8 code')
  const r = run(BUNDLE, ['version'], { env })
  assert.is(r.code, 0, r.stderr)
  assert.ok(fs.statSync(kept).size > 100_000, 'rewritten')
  assert.equal(files(), [f], 'no temp file left')
  // off: nothing kept; an unwritable folder: no error
  const off = tmpdir('esb-xdg-off-')
  assert.is(run(BUNDLE, ['version'], { env: { XDG_CACHE_HOME: off, DOCKER_ESB_CODE_CACHE: 'off' } }).code, 0)
  assert.equal(fs.readdirSync(off), [])
  fs.writeFileSync(path.join(off, 'docker-esb'), 'a file where the folder would be')
  const ro = run(BUNDLE, ['version'], { env: { XDG_CACHE_HOME: off } })
  assert.is(ro.code, 0, ro.stderr)
  assert.is(ro.stderr, '')
  fs.rmSync(cache, { recursive: true })
  fs.rmSync(off, { recursive: true })
})

test('metadata: only a JSON object, SchemaVersion 0.1.0, Vendor, Version, ShortDescription', () => {
  const r = run(BUNDLE, ['docker-cli-plugin-metadata'])
  assert.is(r.code, 0)
  assert.is(r.stderr, '')
  const m = JSON.parse(r.stdout)
  assert.is(m.SchemaVersion, '0.1.0')
  assert.ok(m.Vendor)
  assert.ok(m.Version)
  assert.ok(m.ShortDescription)
})

test('docker --help lists esb with its short description', () => {
  const r = docker('--help')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /esb\*?\s+Build and run ESB stacks/)
})

test('docker esb --help, docker help esb, docker esb build --help', () => {
  for (const args of [
    ['esb', '--help'],
    ['help', 'esb'],
  ]) {
    const r = docker(...args)
    assert.is(r.code, 0, `${args}: ${r.stderr}`)
    assert.match(r.stdout, /Usage:\s+docker esb \[OPTIONS\] COMMAND/)
    for (const c of ['build', 'up', 'down', 'render', 'images', 'import', 'export', 'prune', 'version'])
      assert.match(r.stdout, new RegExp(`\\n  ${c}\\s`))
  }
  const b = docker('esb', 'build', '--help')
  assert.is(b.code, 0)
  assert.match(b.stdout, /Usage:\s+docker esb build/)
  assert.match(b.stdout, /--dry-run/)
  assert.match(b.stdout, /--project-dir/)
})

test('docker esb version, --short, --format json (machine output alone on stdout)', () => {
  const r = docker('esb', 'version')
  assert.is(r.code, 0)
  assert.match(r.stdout, /docker esb \d/)
  const short = docker('esb', 'version', '--short')
  assert.match(short.stdout, /^\d+\.\d+\.\d+\S*\n$/)
  const j = JSON.parse(docker('esb', 'version', '--format', 'json').stdout)
  assert.equal(Object.keys(j), ['version', 'node', 'platform'])
  assert.is(j.version, short.stdout.trim())
  assert.equal(JSON.parse(docker('esb', 'version', '--json').stdout), j, '--json is --format json')
  const bad = docker('esb', 'version', '--format', 'yaml')
  assert.is(bad.code, 2)
  assert.is(bad.stderr, 'docker esb: flag --format takes json or table (got "yaml"); give it as --format json\n')
})

test('completion through the Docker CLI: docker __complete esb sta gives status', () => {
  const r = docker('__complete', 'esb', 'sta')
  assert.is(r.code, 0, r.stderr)
  assert.match(r.stdout, /^status\tShow the builder .*\n:4\n$/)
})

test('make install / link / uninstall put the plugin where the docker CLI finds it', () => {
  const cfgDir = tmpdir('esb-install-')
  try {
    const env = { DOCKER_CONFIG: cfgDir }
    const inst = run('make', ['-s', 'install'], { cwd: path.join(path.dirname(BUNDLE), '..'), env })
    assert.is(inst.code, 0, inst.stderr)
    assert.ok(fs.statSync(path.join(cfgDir, 'cli-plugins', 'docker-esb')).isFile())
    const h = run('docker', ['esb', '--help'], { env })
    assert.is(h.code, 0, h.stderr)
    assert.match(h.stdout, /Usage:\s+docker esb/)
    assert.is(run('make', ['-s', 'uninstall'], { cwd: path.join(path.dirname(BUNDLE), '..'), env }).code, 0)
    assert.not.ok(fs.existsSync(path.join(cfgDir, 'cli-plugins', 'docker-esb')))
    assert.is(run('make', ['-s', 'link'], { cwd: path.join(path.dirname(BUNDLE), '..'), env }).code, 0)
    assert.is(fs.readlinkSync(path.join(cfgDir, 'cli-plugins', 'docker-esb')), BUNDLE)
    assert.is(run('docker', ['esb', 'version'], { env }).code, 0)
  } finally {
    fs.rmSync(cfgDir, { recursive: true, force: true })
  }
})

test('usage errors exit 2 with one line naming the problem', () => {
  const r = docker('esb', 'nope')
  assert.is(r.code, 2)
  assert.match(
    r.stderr,
    /^docker esb: unknown command "nope"; commands: init, build, up, down, render, images, import, export, prune, status, doctor, version/,
  )
  const f = docker('esb', 'render', '--bogus')
  assert.is(f.code, 2)
  assert.match(f.stderr, /unknown flag --bogus for 'docker esb render'/)
  assert.is(f.stderr.trim().split('\n').length, 1)
  assert.is(docker('esb').code, 2)
})

test.run()
