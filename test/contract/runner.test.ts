// The runner executes plans faithfully: a recording fake docker answers, a
// REAL registry (Debian's docker-registry binary) answers /v2/. Exit codes,
// signals and global-flag passthrough are checked on the built bundle.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { BUNDLE, FAKE_DOCKER, freePort, run, startRegistry, tmpdir } from '../lib/helpers.ts'

const PRINT = JSON.stringify({
  target: { 'os-base': {}, 'lambda-base': {}, 'python-base': {}, 'gateway-docker': {}, 'agent-docker': {}, provisioner: {} },
})

function setup(rules: any[], port: number, print = PRINT) {
  const dir = tmpdir()
  fs.writeFileSync(path.join(dir, 'esb.toml'), `brand = "acme"\n[registry]\nport = ${port}\n[templates]\nrender = true\n`)
  fs.mkdirSync(path.join(dir, 'functions/hello'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'functions/hello/Dockerfile'), 'FROM lambda-base\n')
  const log = path.join(dir, 'docker.log')
  const rulesFile = path.join(dir, 'rules.json')
  fs.writeFileSync(rulesFile, JSON.stringify([{ match: ['bake', '--print'], stdout: print }, ...rules]))
  const env = {
    DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: FAKE_DOCKER,
    FAKE_DOCKER_LOG: log,
    FAKE_DOCKER_RULES: rulesFile,
    BUILDX_BUILDER: undefined,
    PORT_REGISTRY: undefined,
    // a docker config of its own: buildx's store of this machine's user must not answer for the fake engine
    DOCKER_CONFIG: path.join(dir, 'docker-config'),
    // the fake's buildx create leaves its entry there, as buildx does
    FAKE_DOCKER_BUILDX_STORE: '1',
  }
  const calls = () =>
    fs.existsSync(log)
      ? fs
          .readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
      : []
  return {
    dir,
    env,
    calls,
    setRules: (r: any[]) => fs.writeFileSync(rulesFile, JSON.stringify([{ match: ['bake', '--print'], stdout: PRINT }, ...r])),
  }
}

// Exactly what the docker CLI hands a plugin for `docker --context ctx -D esb build`.
const esbArgs = (...a: string[]) => ['--context', 'ctx', '-D', 'esb', ...a]

/** Calls from..to-1 are read-only questions asked at once (bake --print, buildx version, the registry's holder, the builder): any order. */
const atOnce = (sub: string[], from: number, to: number) => [
  ...sub.slice(0, from),
  ...sub.slice(from, to).sort(),
  ...sub.slice(to),
]

test('build runs: print, builder inspect/create (--bootstrap), bake; global flags and env on every call', async () => {
  const reg = await startRegistry()
  const t = setup(
    [
      { match: ['buildx', 'inspect', '--bootstrap'], exit: 0 },
      { match: ['buildx', 'inspect'], exit: 1, stderr: 'ERROR: no builder "acme-buildx" found\n' },
    ],
    reg.port,
  )
  try {
    const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
    assert.is(r.code, 0, r.stderr)
    const calls = t.calls()
    for (const c of calls) assert.equal(c.argv.slice(0, 3), ['--context', 'ctx', '-D'])
    const sub = calls.map((c: any) => c.argv.slice(3, 5).join(' '))
    // asked at once: bake --print, buildx version, the registry's holder (it answers) and the builder (a bake will run)
    assert.equal(atOnce(sub, 0, 4), [
      'buildx bake',
      'buildx inspect',
      'buildx version',
      'ps --filter',
      // the early "missing" stands (buildx's store lists no builder): created at once, booted by create --bootstrap
      'buildx create',
      'buildx bake',
      'buildx bake',
    ])
    const create = calls[4].argv
    assert.ok(create.includes('docker-container') && create.includes('network=host') && !create.includes('--use'))
    assert.ok(create.includes('--bootstrap'))
    assert.equal(calls[5].argv.slice(-1), ['base-images'])
    const bake = calls[6]
    assert.is(bake.env.BUILDX_BUILDER, 'acme-buildx')
    assert.is(bake.env.HOST_REGISTRY_ADDR, `127.0.0.1:${reg.port}`)
    assert.is(bake.cwd, fs.realpathSync(t.dir))
    assert.ok(bake.argv.includes('fn-hello') === false && bake.argv.includes('functions'))
    // the generated bake file is per run (read it from the recorded argv), removed afterwards
    const genFile = bake.argv[bake.argv.indexOf('-f', bake.argv.indexOf('-f') + 2) + 1]
    assert.match(genFile, /\.acme\/runs\/[^/]+\/bake\.generated\.2\.json$/)
    assert.not.ok(fs.existsSync(genFile), 'run files cleaned up')
    assert.ok(bake.argv.includes('functions'))
    assert.ok(fs.existsSync(path.join(t.dir, 'docker-bake.hcl')), 'templates rendered')
    assert.match(r.stderr, /registry answers .*: reused/)
    // second run: the builder exists with the same options -> reused, not recreated
    t.setRules([{ match: ['buildx', 'inspect'], exit: 0, stdout: 'Name: acme-buildx\nDriver: docker-container\n' }])
    fs.rmSync(path.join(t.dir, 'docker.log'))
    const r2 = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
    assert.is(r2.code, 0, r2.stderr)
    // buildx's version and the bake definition are kept from the first run (same files, same buildx): not asked
    // again; nor the builder: buildx's store lists it as docker esb made it
    assert.equal(
      atOnce(
        t.calls().map((c: any) => c.argv.slice(3, 5).join(' ')),
        0,
        2,
      ),
      ['buildx bake', 'ps --filter', 'buildx bake'],
    )
    // options change (a proxy appears): rm --keep-state, then create
    fs.rmSync(path.join(t.dir, 'docker.log'))
    const r3 = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: { ...t.env, HTTPS_PROXY: 'http://proxy:3128' } })
    assert.is(r3.code, 0, r3.stderr)
    const c3 = t.calls().map((c: any) => c.argv.slice(3).join(' '))
    assert.ok(
      c3.some((c: string) => c === 'buildx rm --keep-state acme-buildx'),
      c3.join('\n'),
    )
    assert.ok(c3.some((c: string) => c.startsWith('buildx create') && c.includes('env.HTTPS_PROXY=http://proxy:3128')))
  } finally {
    await reg.stop()
    fs.rmSync(t.dir, { recursive: true })
  }
})

test("docker is run with its argv, never through a shell that reads the user's ~/.bashrc", async () => {
  const reg = await startRegistry()
  const t = setup([{ match: ['buildx', 'inspect'], exit: 0, stdout: 'Name: acme-buildx\nDriver: docker-container\n' }], reg.port)
  // bash -c reads ~/.bashrc when its stdin is a socket (these pipes are) and SHLVL < 1
  const home = path.join(t.dir, 'home')
  fs.mkdirSync(home)
  fs.writeFileSync(path.join(home, '.bashrc'), `touch ${path.join(home, 'sourced')}\n`)
  try {
    const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: { ...t.env, HOME: home, SHLVL: '0' } })
    assert.is(r.code, 0, r.stderr)
    assert.ok(
      t.calls().some((c: any) => c.argv.includes('bake') && !c.argv.includes('--print')),
      'bake ran',
    )
    assert.not.ok(fs.existsSync(path.join(home, 'sourced')), '.bashrc was read')
  } finally {
    await reg.stop()
    fs.rmSync(t.dir, { recursive: true })
  }
})

test('a builder of that name with another driver is not touched', async () => {
  const reg = await startRegistry()
  const t = setup([{ match: ['buildx', 'inspect'], exit: 0, stdout: 'Name: acme-buildx\nDriver: docker\n' }], reg.port)
  try {
    const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
    assert.is(r.code, 1)
    assert.match(r.stderr, /builder acme-buildx exists with driver docker, not docker-container; remove it/)
    assert.not.ok(t.calls().some((c: any) => c.argv.includes('rm') || c.argv.includes('create')))
  } finally {
    await reg.stop()
    fs.rmSync(t.dir, { recursive: true })
  }
})

test("a failed docker child's exit code passes through", async () => {
  const reg = await startRegistry()
  const t = setup(
    [
      { match: ['buildx', 'inspect'], exit: 0, stdout: 'Driver: docker-container\n' },
      { match: ['buildx', 'bake'], exit: 17, stderr: 'boom\n' },
    ],
    reg.port,
  )
  try {
    const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
    assert.is(r.code, 17)
    assert.match(r.stderr, /'docker buildx bake .*' failed with exit code 17/)
  } finally {
    await reg.stop()
    fs.rmSync(t.dir, { recursive: true })
  }
})

for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  test(`${sig}: children are stopped, exit ${code}`, async () => {
    const reg = await startRegistry()
    const t = setup(
      [
        { match: ['buildx', 'inspect'], exit: 0, stdout: 'Driver: docker-container\n' },
        { match: ['buildx', 'bake'], sleep: 30 },
      ],
      reg.port,
    )
    try {
      const child = spawn(BUNDLE, esbArgs('build'), {
        cwd: t.dir,
        env: { ...process.env, ...t.env, BUILDX_BUILDER: '' },
        stdio: 'ignore',
      })
      // wait until the long bake is running
      for (let i = 0; i < 100 && !t.calls().some((c: any) => c.argv.includes('--progress=rawjson')); i++)
        await new Promise((r) => setTimeout(r, 100))
      await new Promise((r) => setTimeout(r, 300))
      const t0 = Date.now()
      child.kill(sig)
      const exit: number | null =
        child.exitCode !== null ? child.exitCode : await new Promise((r) => child.once('exit', (c) => r(c)))
      assert.is(exit, code)
      assert.ok(Date.now() - t0 < 10_000, 'stopped promptly')
      assert.ok(
        t.calls().some((c: any) => c.signal === sig),
        'the docker child got the signal',
      )
    } finally {
      await reg.stop()
      fs.rmSync(t.dir, { recursive: true })
    }
  })
}

test('registry port held by a foreign listener: one message naming it, nothing stopped', async () => {
  const port = await freePort()
  // a separate process, so the message can name it
  const holder = spawn(
    process.execPath,
    ['-e', `require('net').createServer((s) => s.end()).listen(${port}, '127.0.0.1', () => console.log('up'))`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  await new Promise((r) => holder.stdout!.once('data', r))
  const srv = { close: () => holder.kill() }
  const t = setup([], port)
  try {
    const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
    assert.is(r.code, 1)
    assert.match(
      r.stderr,
      new RegExp(
        `registry port ${port} is held by process node \\(pid ${holder.pid}\\) that is not a registry; pick another port with PORT_REGISTRY=<port> or \\[registry\\] port in esb.toml`,
      ),
    )
    const calls = t.calls().map((c: any) => c.argv.slice(3).join(' '))
    assert.not.ok(
      calls.some((c: string) => /\b(rm|stop|kill|down)\b/.test(c)),
      calls.join('\n'),
    )
  } finally {
    srv.close()
    fs.rmSync(t.dir, { recursive: true })
  }
})

test("a registry of another project's container on the port is not used", async () => {
  const reg = await startRegistry()
  const t = setup([{ match: ['ps', '--filter'], stdout: 'other-infra-registry\n' }], reg.port)
  try {
    const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
    assert.is(r.code, 1)
    assert.match(
      r.stderr,
      new RegExp(
        `registry port ${reg.port} is held by container other-infra-registry, not acme-infra-registry; pick another port`,
      ),
    )
    assert.not.ok(
      t.calls().some((c: any) => c.argv.includes('bake') && !c.argv.includes('--print')),
      'nothing built',
    )
  } finally {
    await reg.stop()
    fs.rmSync(t.dir, { recursive: true })
  }
})

test('registry not running: started as its own compose project; a failure passes its code', async () => {
  const port = await freePort()
  const t = setup([{ match: ['compose', 'up'], exit: 3, stderr: 'no engine\n' }], port)
  try {
    const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
    assert.is(r.code, 3)
    const up = t.calls().find((c: any) => c.argv.includes('compose'))
    assert.equal(up.argv.slice(3, 6), ['compose', '-p', 'acme-infra'])
    assert.ok(up.argv.includes(path.join(fs.realpathSync(t.dir), 'docker-compose.infra.yml')))
    assert.is(up.env.PORT_REGISTRY, String(port))
  } finally {
    fs.rmSync(t.dir, { recursive: true })
  }
})

test('a first build makes the builder while the registry starts; the plan then finds it made', async () => {
  const port = await freePort()
  // compose up takes 2 s; the registry answers from 1 s on (started here, as the engine would)
  const t = setup(
    [
      { match: ['compose', 'up'], sleep: 2 },
      { match: ['buildx', 'inspect', '--bootstrap'], exit: 0 },
      { match: ['buildx', 'inspect'], exit: 1, stderr: 'ERROR: no builder "acme-buildx" found\n' },
    ],
    port,
  )
  // a build before: docker esb's buildkitd.toml is on disk (the early builder is made only with it as planned);
  // then nothing recorded, no builder, no registry
  const before = await startRegistry(port)
  const env = { ...process.env, ...t.env }
  const esb = async () => {
    const child = spawn(BUNDLE, esbArgs('build'), { cwd: t.dir, env })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    const code = await new Promise((r) => child.on('exit', r))
    return { code, err }
  }
  assert.is((await esb()).code, 0)
  await before.stop()
  assert.ok(fs.existsSync(path.join(t.dir, '.acme', 'buildkitd.toml')))
  fs.rmSync(path.join(t.dir, '.acme', 'inputs'), { recursive: true })
  fs.rmSync(path.join(t.dir, 'docker-config', 'buildx'), { recursive: true })
  fs.rmSync(path.join(t.dir, 'docker.log'))
  const later = new Promise((r) => setTimeout(r, 1000)).then(() => startRegistry(port))
  try {
    const { code, err } = await esb()
    assert.is(code, 0, err)
    const calls = t.calls()
    const up = calls.find((c: any) => c.argv.includes('compose') && c.argv.includes('up'))
    const creates = calls.filter((c: any) => c.argv[3] === 'buildx' && c.argv[4] === 'create')
    assert.is(creates.length, 1, 'made once: the plan found it in buildx store')
    assert.ok(creates[0].t < up.t + 2000, `made while compose up ran (${creates[0].t - up.t} ms after it started)\n${err}`)
    assert.match(err, /builder acme-buildx: reused/)
    assert.ok(calls.some((c: any) => c.argv.includes('bake') && c.argv.includes('base-images')))
  } finally {
    await (await later).stop()
    fs.rmSync(t.dir, { recursive: true })
  }
})

test('--metadata-file: every target with what bake wrote for it; --json carries the same; a missing folder is one line', async () => {
  const reg = await startRegistry()
  const digest = (c: string) => `sha256:${c.repeat(64)}`
  const t = setup(
    [
      { match: ['buildx', 'inspect'], exit: 0, stdout: 'Name: acme-buildx\nDriver: docker-container\n' },
      {
        match: ['buildx', 'bake', 'base-images'],
        metadata: {
          'os-base': { 'containerimage.digest': digest('1'), 'image.name': 'r/acme-os-base:latest' },
          'lambda-base': { 'containerimage.digest': digest('3') },
        },
      },
      { match: ['buildx', 'bake'], metadata: { 'fn-hello': { 'containerimage.digest': digest('2'), 'buildx.build.ref': 'x' } } },
    ],
    reg.port,
    // with its groups, as bake prints it: docker esb knows every target of each phase
    JSON.stringify({
      group: { 'base-images': { targets: ['os-base', 'lambda-base'] }, 'control-images-docker': { targets: ['agent-docker'] } },
      target: { 'os-base': {}, 'lambda-base': {}, 'agent-docker': {} },
    }),
  )
  try {
    const r = run(BUNDLE, esbArgs('build', '--json', '--metadata-file', 'out/meta.json'), { cwd: t.dir, env: t.env })
    assert.is(r.code, 2)
    assert.match(r.stderr, /--metadata-file out\/meta\.json: folder \S+\/out does not exist; create it or give another path/)
    assert.not.ok(
      t.calls().some((c: any) => c.argv.includes('bake') && !c.argv.includes('--print')),
      'nothing built',
    )
    fs.mkdirSync(path.join(t.dir, 'out'))
    const ok = run(BUNDLE, esbArgs('build', '--json', '--metadata-file', 'out/meta.json'), { cwd: t.dir, env: t.env })
    assert.is(ok.code, 0, ok.stderr)
    const m = JSON.parse(fs.readFileSync(path.join(t.dir, 'out', 'meta.json'), 'utf8'))
    assert.equal(Object.keys(m).sort(), ['agent-docker', 'fn-hello', 'lambda-base', 'os-base'])
    // built, but bake wrote nothing for it (this fake engine): its name, no digest
    assert.equal(m['agent-docker'], {
      'image.name': `127.0.0.1:${reg.port}/acme-agent-docker:latest`,
      'docker-esb.status': 'built',
    })
    assert.equal(m['os-base'], {
      'image.name': 'r/acme-os-base:latest',
      'containerimage.digest': digest('1'),
      'docker-esb.status': 'built',
    })
    assert.equal(m['fn-hello'], {
      'image.name': `127.0.0.1:${reg.port}/acme-fn-hello:latest`,
      'containerimage.digest': digest('2'),
      'buildx.build.ref': 'x',
      'docker-esb.status': 'built',
    })
    assert.equal(JSON.parse(ok.stdout).metadata, m)
  } finally {
    await reg.stop()
    fs.rmSync(t.dir, { recursive: true })
  }
})

test('buildx missing or too old: one line naming it', () => {
  for (const [rule, re] of [
    [
      { match: ['buildx', 'version'], exit: 1, stderr: "docker: 'buildx' is not a docker command.\n" },
      /docker buildx is not available \(docker: 'buildx' is not a docker command\.\); install the buildx plugin >= 0\.17/,
    ],
    [
      { match: ['buildx', 'version'], stdout: 'github.com/docker/buildx v0.10.4 x\n' },
      /docker buildx 0\.10\.4 is too old; docker esb needs >= 0\.17/,
    ],
  ] as const) {
    const t = setup([rule], 5010)
    try {
      const r = run(BUNDLE, esbArgs('build'), { cwd: t.dir, env: t.env })
      assert.is(r.code, 1)
      assert.match(r.stderr, re)
    } finally {
      fs.rmSync(t.dir, { recursive: true })
    }
  }
})

test('down stops the stack, and the registry only with --registry', () => {
  const t = setup([], 5010)
  // the stack's file (without it, down says so and stops only the registry: test/hostile/state.test.ts)
  fs.writeFileSync(path.join(t.dir, 'docker-compose.docker.yml'), 'services: {}\n')
  try {
    assert.is(run(BUNDLE, esbArgs('down'), { cwd: t.dir, env: t.env }).code, 0)
    assert.equal(
      t.calls().map((c: any) => c.argv.slice(3, 6).join(' ')),
      ['compose -p acme-default'],
    )
    fs.rmSync(path.join(t.dir, 'docker.log'))
    assert.is(run(BUNDLE, esbArgs('down', '--registry'), { cwd: t.dir, env: t.env }).code, 0)
    assert.equal(
      t.calls().map((c: any) => c.argv.slice(3, 6).join(' ')),
      // whose registry container it is (none here: the fake docker answers nothing), then the stack and the registry
      ['container inspect --format', 'compose -p acme-default', 'compose -p acme-infra'],
    )
  } finally {
    fs.rmSync(t.dir, { recursive: true })
  }
})

test.run()
