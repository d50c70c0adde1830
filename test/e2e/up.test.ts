// `docker esb up` on the real engine, in both modes: the stack builds on the
// same builder with per-service caches, runs, and the runtime pulls a
// function image from its CONTAINER_REGISTRY; a second up recreates nothing;
// up neither takes images by their key nor publishes key tags.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { Project, must } from './project.ts'

let p: Project

test.before(async () => {
  p = await Project.create()
  p.seed()
  // [compose] files: an ops file per mode, added after the mode's compose file
  fs.appendFileSync(path.join(p.dir, 'esb.toml'), '[compose]\nfiles = ["ops/{mode}.yml"]\n')
  fs.mkdirSync(path.join(p.dir, 'ops'))
  for (const m of ['docker', 'containerd'])
    fs.writeFileSync(path.join(p.dir, 'ops', `${m}.yml`), `services:\n  gateway:\n    labels:\n      e2e.ops: ${m}\n`)
  must(p.esb(['build']), 'build (functions for the runtime to pull)')
})
test.after(() => p?.cleanup())

const containers = (env: string) =>
  must(
    p.docker([
      'ps',
      '-a',
      '--filter',
      `label=com.docker.compose.project=${p.brand}-${env}`,
      '--format',
      '{{.ID}} {{.Names}} {{.Status}}',
    ]),
    'ps',
  )
    .stdout.trim()
    .split('\n')
    .filter(Boolean)
    .sort()
const started = (env: string) =>
  containers(env)
    .map((l) => l.split(' ')[0])
    .map((id) => `${id} ${must(p.docker(['inspect', '--format', '{{.State.StartedAt}}', id]), 'inspect').stdout.trim()}`)

for (const mode of ['docker', 'containerd'] as const) {
  test(`up in ${mode} mode: services run, the runtime pulls a function from CONTAINER_REGISTRY, a second up recreates nothing`, () => {
    const env = `up${mode}`
    const up1 = must(p.esb(['up', '--mode', mode, '--env', env, '--json', '--', '--wait']), 'up')
    const report = JSON.parse(up1.stdout)
    assert.ok(report.total.total > 0, 'the services were built')
    const names = containers(env)
    const services = mode === 'docker' ? ['agent', 'gateway'] : ['agent', 'gateway', 'runtime-node']
    for (const s of services)
      assert.ok(
        names.some((n) => n.includes(`${p.brand}-${env}-${s}-1`) && /healthy/.test(n)),
        `${s}: ${names.join('; ')}`,
      )
    const label = must(
      p.docker(['inspect', '--format', '{{index .Config.Labels "e2e.ops"}}', `${p.brand}-${env}-gateway-1`]),
      'inspect',
    ).stdout.trim()
    assert.is(label, mode, 'the [compose] files ops file of this mode applies')
    const puller = mode === 'docker' ? 'agent' : 'runtime-node'
    const addr = mode === 'docker' ? p.registry : 'registry:5010'
    const logs = must(p.docker(['logs', `${p.brand}-${env}-${puller}-1`]), 'logs')
    assert.match(
      logs.stdout + logs.stderr,
      new RegExp(`pulled ${p.brand}-fn-hello:latest from ${addr.replace(/\./g, '\\.')} \\(\\d+ blobs verified\\)`),
    )
    if (mode === 'docker') {
      // docker mode: the host's dockerd pulls functions from 127.0.0.1:<port>
      must(p.docker(['pull', '-q', `${p.registry}/${p.brand}-fn-hello:latest`]), 'host dockerd pulls the function')
    }
    // the stack's builds ran on our builder
    assert.match(must(p.docker(['buildx', 'history', 'ls', '--builder', p.builder]), 'history').stdout, /gateway/)
    const before = started(env)
    const up2 = must(p.esb(['up', '--mode', mode, '--env', env, '--json', '--', '--wait']), 'second up')
    assert.equal(started(env), before, 'no container recreated')
    const r2 = JSON.parse(up2.stdout)
    // nothing changed: compose builds nothing (the services' images are the ones recorded)
    for (const s of services.filter((x) => x !== 'runtime-node' || mode === 'containerd'))
      assert.ok(r2.skipped.includes(`service:${s}`), `${s} skipped: ${r2.skipped}`)
    assert.is(r2.total.total, 0, JSON.stringify(r2.total))
    assert.match(up2.stderr, /nothing to build/)
    assert.match(up2.stderr, /Running|Healthy/)
    if (mode !== 'docker') return
    // a gateway file changes: gateway is built again (and only its container recreated)
    fs.appendFileSync(path.join(p.dir, 'services', 'gateway', 'Dockerfile'), 'LABEL e2e.edit="1"\n')
    const agentStarted = () =>
      must(
        p.docker(['inspect', '--format', '{{.Id}} {{.State.StartedAt}}', `${p.brand}-${env}-agent-1`]),
        'inspect agent',
      ).stdout.trim()
    const agentBefore = agentStarted()
    const up3 = JSON.parse(must(p.esb(['up', '--mode', mode, '--env', env, '--json', '--', '--wait']), 'up after an edit').stdout)
    assert.equal(up3.rebuilt['service:gateway'], ['Dockerfile'])
    assert.ok(up3.total.total > 0, 'compose built')
    assert.is(
      must(
        p.docker(['inspect', '--format', '{{index .Config.Labels "e2e.edit"}}', `${p.brand}-${env}-gateway-1`]),
        'inspect',
      ).stdout.trim(),
      '1',
      'gateway runs the edited image',
    )
    assert.is(agentStarted(), agentBefore, 'agent not recreated')
    // the agent's image removed from the engine: built again, not started from nothing
    must(p.docker(['compose', '-p', `${p.brand}-${env}`, 'rm', '-sf', 'agent']), 'rm agent')
    must(p.docker(['image', 'rm', `${p.registry}/${p.brand}-agent-docker:latest`]), 'image rm')
    const up4 = JSON.parse(
      must(p.esb(['up', '--mode', mode, '--env', env, '--json', '--', '--wait']), 'up after image rm').stdout,
    )
    assert.match(up4.rebuilt['service:agent'][0], /is not in the engine/)
    const up5 = JSON.parse(
      must(p.esb(['up', '--mode', mode, '--env', env, '--json', '--no-skip', '--', '--wait']), 'up --no-skip').stdout,
    )
    assert.ok(
      up5.total.total > 0 && up5.total.cached === up5.total.total,
      `--no-skip builds, all cached: ${JSON.stringify(up5.total)}`,
    )
  })
}

test('up neither takes images by key nor publishes key tags: without records its bases are baked (all cached), no tag added', async () => {
  const keyTags = async () => {
    const r = await fetch(`http://${p.registry}/v2/${p.brand}-os-base/tags/list`)
    return (((await r.json()) as { tags?: string[] }).tags ?? []).filter((t) => /^k-[0-9a-f]{16}(-t\d+)?$/.test(t)).sort()
  }
  const before = await keyTags()
  assert.ok(before.length >= 2, `build published os-base's key: ${before.join(' ')}`)
  // no records: a build would take the bases by key; up bakes them
  fs.rmSync(path.join(p.dir, `.${p.brand}`, 'inputs'), { recursive: true, force: true })
  await new Promise((r) => setTimeout(r, 1100)) // a time tag written now would differ from the build's
  const r = must(p.esb(['up', '--mode', 'docker', '--env', 'updocker', '--json', '--', '--wait']), 'up without records')
  const rep = JSON.parse(r.stdout)
  assert.ok(rep.rebuilt['os-base'], JSON.stringify(rep.rebuilt))
  assert.is(rep.reused, undefined)
  assert.not.match(r.stderr, /# reused /)
  assert.equal(await keyTags(), before)
})

test('down stops the stack and keeps the registry; down --registry stops it too', () => {
  must(p.esb(['down', '--env', 'updocker']), 'down')
  assert.equal(containers('updocker'), [])
  assert.match(must(p.docker(['ps', '--format', '{{.Names}}']), 'ps').stdout, new RegExp(`${p.brand}-infra-registry`))
  must(p.esb(['down', '--registry', '--mode', 'containerd', '--env', 'upcontainerd']), 'down --registry')
  const ps = must(p.docker(['ps', '--format', '{{.Names}}']), 'ps').stdout
  assert.not.match(ps, new RegExp(`${p.brand}-infra-registry|${p.brand}-upcontainerd`))
  assert.match(ps, new RegExp(`buildx_buildkit_${p.builder}0`), 'the builder keeps running')
})

test.run()
