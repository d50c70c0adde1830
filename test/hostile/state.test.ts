// Hostile state folder and registry (issue 22, items 5 and 6): a repo that
// commits symlinks in `.<slug>/` never makes docker esb write, rename or
// remove outside the project; prune and down act only on a registry container
// docker esb created or adopted, never on a look-alike with the same name.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { esbLines, sandbox, type Sandbox, type SandboxOptions } from './lib.ts'
import { startRegistry, type Ran } from '../lib/helpers.ts'

// the fake docker answers bake --print with one target (a real bake is not needed to plan)
const BAKE = { match: ['bake', '--print'], stdout: JSON.stringify({ target: { 'os-base': {} } }) }

/** Runs `fn` in a fresh sandbox (without the example's own state folder) with a project registry that answers. */
async function inSandbox(
  o: SandboxOptions,
  fn: (sb: Sandbox, env: Record<string, string>) => Promise<void> | void,
): Promise<void> {
  const sb = await sandbox({ ...o, files: { '.mini': null, ...o.files }, rules: [...(o.rules ?? []), BAKE] })
  const reg = await startRegistry()
  try {
    await fn(sb, { PORT_REGISTRY: String(reg.port) })
  } finally {
    await reg.stop()
    await sb.close()
  }
}

/** Exit 2, exactly one line, `docker esb: <what>`, nothing outside the project changed. */
function refused(sb: Sandbox, r: Ran, line: RegExp): void {
  assert.is(r.code, 2, `exit 2 (got ${r.code}): ${r.stderr}`)
  assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`)
  assert.is(esbLines(r).length, 1, r.stderr)
  assert.match(esbLines(r)[0], line)
  assert.equal(sb.outsideChanges(), [])
}

const linkLine = (rel: string) =>
  new RegExp(
    `^docker esb: \\S+/project/${rel.replaceAll('.', '\\.')} is a symbolic link; docker esb does not write through links in its state folder: remove it$`,
  )

test('a committed .mini/runs symlink: prune --local refuses it, the old files it points to stay', () =>
  inSandbox({ links: { '.mini/runs': '{OUTSIDE}/sub' } }, (sb, env) => {
    refused(sb, sb.esb(['prune', '--local'], env), linkLine('.mini/runs'))
    assert.equal(sb.calls(), [])
  }))

test('a symlinked state folder is named as such (not blamed on [cache] dir)', () =>
  inSandbox({ links: { '.mini': '{OUTSIDE}/sub' } }, (sb, env) =>
    refused(sb, sb.esb(['build', '--dry-run'], env), linkLine('.mini')),
  ))

for (const [rel, target] of [
  ['.mini/reports', '{OUTSIDE}'],
  ['.mini/reports/last-build.json', '{OUTSIDE}/sentinel.txt'],
  ['.mini/reports/last-build.progress.log', '{OUTSIDE}/sentinel.txt'],
  ['.mini/inputs', '{OUTSIDE}'],
])
  test(`a committed ${rel} symlink: build refuses it before writing anything`, () =>
    inSandbox({ links: { [rel]: target } }, (sb, env) => {
      refused(sb, sb.esb(['build'], env), linkLine(rel))
      assert.equal(sb.calls(), [], 'nothing run')
    }))

// another compose project's container with docker esb's registry name
const LOOKALIKE = { match: ['container', 'inspect', 'mini-infra-registry'], stdout: 'f00dcafe\tother-project\n' }

test('prune --registry against a look-alike registry container: refused, never garbage-collected', () =>
  inSandbox({ rules: [LOOKALIKE] }, (sb, env) => {
    refused(
      sb,
      sb.esb(['prune', '--registry'], env),
      /^docker esb: registry container mini-infra-registry belongs to compose project other-project, not mini-infra, and docker esb did not start it: prune --registry garbage-collects only a registry docker esb runs; .*'docker rm -f mini-infra-registry'/,
    )
    const argv = sb.calls().map((c) => c.argv.join(' '))
    assert.not.ok(
      argv.some((a) => a.includes('garbage-collect') || / (stop|down|up)\b/.test(a)),
      argv.join('\n'),
    )
  }))

test('down --registry against a look-alike: the stack is stopped, the look-alike is left running with one line', () =>
  inSandbox({ rules: [LOOKALIKE] }, (sb, env) => {
    const r = sb.esb(['down', '--registry'], env)
    assert.is(r.code, 0, r.stderr)
    assert.match(
      esbLines(r).join('\n'),
      /registry container mini-infra-registry belongs to compose project other-project.*: left running/,
    )
    const argv = sb.calls().map((c) => c.argv.join(' '))
    assert.not.ok(
      argv.some((a) => a.includes('-p mini-infra ')),
      argv.join('\n'),
    )
    assert.equal(sb.outsideChanges(), [])
  }))

test('down --registry without docker-compose.docker.yml: says so, and still stops the registry', () =>
  inSandbox({ files: { 'docker-compose.docker.yml': null } }, (sb, env) => {
    const r = sb.esb(['down', '--registry'], env)
    assert.is(r.code, 0, r.stderr)
    assert.match(esbLines(r).join('\n'), /docker-compose\.docker\.yml not found: the docker-mode stack \S+ is not stopped/)
    const argv = sb.calls().map((c) => c.argv.join(' '))
    assert.ok(
      argv.some((a) => a.startsWith('compose -p mini-infra ') && a.endsWith(' down')),
      argv.join('\n'),
    )
    assert.not.ok(
      argv.some((a) => a.includes('docker-compose.docker.yml')),
      argv.join('\n'),
    )
  }))

test.run()
