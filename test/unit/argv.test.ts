import { test } from 'uvu'
import * as assert from 'uvu/assert'
import path from 'node:path'
import { splitDockerArgv, absoluteConfigFlags } from '../../scripts/docker/argv.ts'
import { UsageError } from '../../scripts/errors.ts'
import { main, parseFlags } from '../../scripts/cli.ts'
import { COMMANDS } from '../../scripts/commands/index.ts'

test('plugin call with no global flags', () => {
  assert.equal(splitDockerArgv(['esb', 'build', '--dry-run']), { globalFlags: [], args: ['build', '--dry-run'], via: 'plugin' })
})

test('every value flag, separate value', () => {
  const flags = [
    '--config',
    'c',
    '-c',
    'ctx',
    '--context',
    'x',
    '-H',
    'unix:///s',
    '--host',
    'tcp://h:1',
    '-l',
    'debug',
    '--log-level',
    'info',
    '--tlscacert',
    'ca',
    '--tlscert',
    'cert',
    '--tlskey',
    'key',
  ]
  assert.equal(splitDockerArgv([...flags, 'esb', 'up']), { globalFlags: flags, args: ['up'], via: 'plugin' })
})

test('value flags with = and attached short values', () => {
  const flags = ['--config=/tmp/c', '--context=x', '-cx', '-c=y', '-Hunix:///s', '--log-level=warn']
  assert.equal(splitDockerArgv([...flags, 'esb', 'render']).globalFlags, flags)
})

test('boolean flags', () => {
  const flags = ['-D', '--debug', '--tls', '--tlsverify', '--tls=false']
  assert.equal(splitDockerArgv([...flags, 'esb', 'version']), { globalFlags: flags, args: ['version'], via: 'plugin' })
})

test('a global flag value that looks like the plugin name is not the plugin', () => {
  assert.equal(splitDockerArgv(['--context', 'esb', 'esb', 'build']), {
    globalFlags: ['--context', 'esb'],
    args: ['build'],
    via: 'plugin',
  })
})

test('plugin flags after the plugin name stay with the plugin', () => {
  assert.equal(splitDockerArgv(['esb', '--context', 'x']).args, ['--context', 'x'])
})

test('docker help esb', () => {
  assert.equal(splitDockerArgv(['help', 'esb']), { globalFlags: [], args: ['--help'], via: 'help' })
  assert.equal(splitDockerArgv(['help', 'esb', 'build']).args, ['--help', 'build'])
})

test('completion', () => {
  assert.equal(splitDockerArgv(['__complete', 'esb', '']).via, 'complete')
})

test('standalone call (dist/docker-esb build)', () => {
  assert.equal(splitDockerArgv(['build', '-C', 'x']), { globalFlags: [], args: ['build', '-C', 'x'], via: 'standalone' })
  assert.equal(splitDockerArgv(['--context', 'x', 'build']), {
    globalFlags: ['--context', 'x'],
    args: ['build'],
    via: 'standalone',
  })
  assert.equal(splitDockerArgv(['--help']).args, ['--help'])
})

test('a value flag with no value is a usage error', () => {
  assert.throws(
    () => splitDockerArgv(['--context']),
    (e: unknown) => e instanceof UsageError && /--context needs a value/.test((e as Error).message),
  )
})

test('a relative --config is made absolute (our docker calls run from the project root)', () => {
  assert.equal(absoluteConfigFlags(['--config', 'cfg', '-D', '--config=rel/x', '--context', 'c'], '/home/u', path.resolve), [
    '--config',
    '/home/u/cfg',
    '-D',
    '--config=/home/u/rel/x',
    '--context',
    'c',
  ])
})

const flagErr = (args: string[], re: RegExp, cmd = 'render') =>
  assert.throws(
    () => parseFlags(COMMANDS[cmd], args),
    (e: unknown) => e instanceof UsageError && re.test((e as Error).message) && !(e as Error).message.includes('\n'),
    args.join(' '),
  )

test('a string flag with no value is a usage error naming the flag', () => {
  flagErr(['-C'], /^flag -C needs a value; give it as -C VALUE$/)
  flagErr(['-C', '--brand', 'x'], /^flag -C needs a value/)
  flagErr(['--project-dir'], /^flag --project-dir needs a value/)
  flagErr(['--brand='], /^flag --brand needs a value/)
  flagErr(['--env-file', 'a', '--env-file'], /^flag --env-file needs a value/)
  flagErr(['-o'], /^flag -o needs a value/, 'export')
  assert.is(parseFlags(COMMANDS.render, ['-C', 'dir', '--brand=x'])['project-dir'], 'dir')
})

test('a boolean flag given a value is a usage error; =true and =false are accepted', () => {
  flagErr(['--check=foo'], /^flag --check takes no value \(got "foo"\); give it as --check alone, or =true \/ =false$/)
  flagErr(['--dry-run=1'], /^flag --dry-run takes no value/)
  flagErr(['-h=x'], /^flag -h takes no value/)
  assert.is(parseFlags(COMMANDS.render, ['--check=false']).check, false)
  assert.is(parseFlags(COMMANDS.render, ['--check=true']).check, true)
  assert.is(parseFlags(COMMANDS.render, ['--brand=a=b'])['brand'], 'a=b')
})

test('docker esb -C (a flag before any command) names the flag, exit 2', async () => {
  let err = ''
  const code = await main(['esb', '-C'], {
    out: () => {},
    err: (s) => {
      err += s
    },
    env: {},
    cwd: '/',
  })
  assert.is(code, 2)
  assert.match(err, /^docker esb: flag -C goes after the command, e\.g\. 'docker esb build -C \.\.\.'/)
})

test.run()
