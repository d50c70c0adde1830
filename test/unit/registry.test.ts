// The local registry (scripts/registry/): when it is started, and only ever
// on [registry] bind, whatever the repo's infra file publishes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { ensureRegistryStep, infraCompose, registryFirstSteps, registryOverride } from '../../scripts/registry/plan.ts'
import { boundHosts, publishedOn, widerThan } from '../../scripts/registry/published.ts'
import { ensureRegistry } from '../../scripts/registry/ensure.ts'
import { downPlan } from '../../scripts/compose/down.ts'
import { prunePlan } from '../../scripts/prune/plan.ts'
import type { Runner } from '../../scripts/docker/runner.ts'
import { freePort } from '../lib/helpers.ts'
import { settings, tempDir } from '../lib/settings.ts'

test('a registry that does not answer is started before the skip check, unless this run writes its compose file', () => {
  const s = settings()
  assert.equal(
    registryFirstSteps(s, [], {}).map((x) => x.up.slice(-3)),
    [['up', '-d', 'registry']],
  )
  assert.equal(
    registryFirstSteps(
      s,
      [{ kind: 'write', why: '', path: '/p/docker-compose.infra.yml', content: '', mode: null, reason: 'changed' }],
      {},
    ),
    [],
  )
  assert.is(
    registryFirstSteps(
      s,
      [{ kind: 'write', why: '', path: '/p/docker-bake.hcl', content: '', mode: null, reason: 'changed' }],
      {},
    ).length,
    1,
  )
})

test("every compose call on the infra project names docker esb's override: the registry's ports on the bind only", () => {
  const s = settings({ processEnv: { REGISTRY_BIND: '127.0.0.2', PORT_REGISTRY: '5077' } })
  const o = registryOverride(s)
  assert.is(o.path, '/p/.esb/registry-ports.5077.yml')
  assert.equal(infraCompose(s), ['compose', '-p', 'esb-infra', '-f', '/p/docker-compose.infra.yml', '-f', o.path])
  assert.match(o.content, /ports: !override\n/, 'replaces the ports of the infra file, never adds to them')
  const y = YAML.parse(o.content, { customTags: [{ tag: '!override', collection: 'seq', resolve: (v: unknown) => v }] })
  assert.equal(y.services.registry.ports, [{ target: 5010, published: '5077', host_ip: '127.0.0.2', protocol: 'tcp' }])
  const st = ensureRegistryStep(s, {})
  assert.equal(st.up, [...infraCompose(s), 'up', '-d', 'registry'])
  assert.equal([st.override, st.bind], [o, '127.0.0.2'])
  // down --registry and prune --registry: the override is written before their compose calls
  for (const p of [downPlan(s, true, []), prunePlan(s, { local: false, builder: false, registry: true })]) {
    const i = p.steps.findIndex((x) => x.kind === 'write')
    assert.equal(p.steps[i], {
      kind: 'write',
      why: 'publish the registry on 127.0.0.2 only',
      ...o,
      mode: 0o644,
      reason: 'changed',
    })
    const infra = p.steps.filter((x) => x.kind === 'docker' && x.argv.includes('esb-infra'))
    assert.ok(infra.length && p.steps.indexOf(infra[0]) > i)
    for (const x of infra) assert.equal((x as any).argv.slice(0, 7), infraCompose(s))
  }
})

test('where a registry container is published: docker ps ports, inspect bindings, what is wider than the bind', () => {
  assert.equal(publishedOn('0.0.0.0:5010->5010/tcp, [::]:5010->5010/tcp, 0.0.0.0:9->9/tcp', 5010), ['0.0.0.0', '::'])
  assert.equal(publishedOn('127.0.0.1:5010->5010/tcp', 5010), ['127.0.0.1'])
  assert.equal(boundHosts('{"5010/tcp":[{"HostIp":"","HostPort":"5010"},{"HostIp":"127.0.0.1","HostPort":"5010"}]}'), [
    '0.0.0.0',
    '127.0.0.1',
  ])
  assert.equal(boundHosts('null'), [])
  assert.equal(boundHosts('not json'), [])
  assert.equal(widerThan(['0.0.0.0', '::', '127.0.0.1'], '127.0.0.1'), ['0.0.0.0', '::'])
  assert.equal(widerThan(['::1'], '[::1]'), [])
  assert.equal(widerThan(['0.0.0.0'], '0.0.0.0'), [], 'every interface, when asked for')
})

/** A runner answering by the first argv word; every call and log line recorded. */
function fakeRunner(answers: Record<string, { code: number; stdout: string }>) {
  const calls: string[][] = []
  const logs: string[] = []
  const runner = {
    async run(argv: string[]) {
      calls.push(argv)
      return { stderr: '', ...(answers[argv[0]] ?? { code: 0, stdout: '' }) }
    },
    log: (l: string) => logs.push(l),
    throwIfCancelled() {},
  } as unknown as Runner
  return { runner, calls, logs }
}

test('ensure: writes the override before compose starts the registry; refuses to start a foreign container published on every interface', async () => {
  const port = await freePort()
  const dir = tempDir()
  const s = settings({ projectDir: dir, processEnv: { PORT_REGISTRY: String(port) } })
  const st = { ...ensureRegistryStep(s, {}), timeoutMs: 300 }
  const fresh = fakeRunner({ container: { code: 1, stdout: '' } })
  await ensureRegistry(fresh.runner, st).catch(() => {}) // nothing answers afterwards: the wait times out
  assert.equal(fresh.calls.at(-1), st.up)
  assert.is(fs.readFileSync(st.override.path, 'utf8'), st.override.content)
  assert.is(path.dirname(st.override.path), path.join(dir, '.esb'))
  const bindings = '{"5010/tcp":[{"HostIp":"","HostPort":"5010"}]}'
  const foreign = fakeRunner({ container: { code: 0, stdout: `acme-infra\t${bindings}\n` } })
  try {
    await ensureRegistry(foreign.runner, st)
    assert.unreachable('a registry on the LAN was started')
  } catch (e) {
    assert.match(
      (e as Error).message,
      /^registry container esb-infra-registry \(compose project acme-infra\) publishes its port on 0\.0\.0\.0, not only 127\.0\.0\.1 \(\[registry\] bind\); remove it with 'docker rm esb-infra-registry'/,
    )
  }
  assert.not.ok(foreign.calls.some((c) => c[0] === 'start' || c[0] === 'compose'))
  const loopback = fakeRunner({ container: { code: 0, stdout: `acme-infra\t${bindings.replace('""', '"127.0.0.1"')}\n` } })
  await ensureRegistry(loopback.runner, st).catch(() => {})
  assert.equal(loopback.calls.at(-1), ['start', 'esb-infra-registry'], 'on the bind only: started as it is')
  fs.rmSync(dir, { recursive: true, force: true })
})

test.run()
