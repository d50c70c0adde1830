// Command-line front: parses flags, dispatches to a command, and is the one
// top-level error handler that maps errors to exit codes.
import minimist from 'minimist'
import path from 'node:path'
import { absoluteConfigFlags, splitDockerArgv } from './docker/argv.ts'
import { REPORT_BUGS, UsageError, toEsbError } from './errors.ts'
import { Runner } from './docker/runner.ts'
import { processIo, type Io } from './io.ts'
import { VERSION } from '../plugin/metadata.ts'
import { COMMANDS, COMMON_FLAGS, type CommandSpec } from './commands/index.ts'
import type { ParsedFlags } from './commands/types.ts'

export function topHelp(): string {
  const lines = [
    'Usage:  docker esb [OPTIONS] COMMAND',
    '',
    'Build and run ESB stacks: one docker-container builder, an always-on',
    'local registry, and per-target local + registry caches.',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.name.padEnd(9)} ${c.summary}`),
    '',
    'Common options:',
    ...COMMON_FLAGS.map(([f, d]) => `  ${f.padEnd(24)} ${d}`),
    '',
    "Run 'docker esb COMMAND --help' for more information on a command.",
  ]
  return lines.join('\n') + '\n'
}

export function commandHelp(c: CommandSpec): string {
  return [
    `Usage:  docker esb ${c.name} ${c.usage}`,
    '',
    c.summary,
    ...(c.details ? ['', c.details] : []),
    '',
    'Options:',
    ...[...c.flags, ...(c.common ? COMMON_FLAGS : [])].map(([f, d]) => `  ${f.padEnd(24)} ${d}`),
    '',
  ].join('\n')
}

/** Parses the command's flags strictly: an unknown flag is a usage error naming it. */
export function parseFlags(c: CommandSpec, args: string[]): ParsedFlags {
  const dd = args.indexOf('--')
  const own = dd >= 0 ? args.slice(0, dd) : args
  const passthrough = dd >= 0 ? args.slice(dd + 1) : []
  const strings = ['project-dir', 'brand', 'mode', 'env', 'tag', 'env-file', ...c.strings]
  const booleans = ['help', 'dry-run', 'json', ...c.booleans]
  const known = new Set([...strings, ...booleans, 'C', 'h', ...(strings.includes('output') ? ['o'] : [])])
  const parsed = minimist(own, {
    string: strings,
    boolean: booleans,
    default: c.defaults ?? {},
    alias: { C: 'project-dir', h: 'help', ...(strings.includes('output') ? { o: 'output' } : {}) },
    unknown: (a: string) => {
      if (a.startsWith('-')) {
        const name = a.replace(/^-+/, '').split('=')[0]
        if (!known.has(name)) throw new UsageError(`unknown flag ${a.split('=')[0]} for 'docker esb ${c.name}'; see 'docker esb ${c.name} --help'`)
        return true
      }
      return true
    },
  })
  for (const s of strings) {
    const v = parsed[s]
    if (Array.isArray(v) && s !== 'env-file') throw new UsageError(`flag --${s} given more than once; give it once`)
    if (v === '' && own.includes(`--${s}`)) throw new UsageError(`flag --${s} needs a value`)
  }
  if (parsed._.length && !c.positional) throw new UsageError(`'docker esb ${c.name}' takes no argument ${JSON.stringify(parsed._[0])}; put tool flags after --`)
  return { ...parsed, _: parsed._.map(String), '--': passthrough }
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let runner: Runner | null = null
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => { void runner?.cancel(sig) }
  const onInt = () => onSignal('SIGINT')
  const onTerm = () => onSignal('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  try {
    const split = splitDockerArgv(argv)
    const docker = split.via !== 'complete' && io.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND ? io.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND : 'docker'
    const globalFlags = absoluteConfigFlags(split.globalFlags, io.cwd, path.resolve)
    const dockerConfig = io.env.DOCKER_CONFIG ? path.resolve(io.cwd, io.env.DOCKER_CONFIG) : undefined
    runner = new Runner(docker, globalFlags, (l) => io.err(l + '\n'), dockerConfig ? { DOCKER_CONFIG: dockerConfig } : {})
    const [name, ...rest] = split.args
    if (split.via === 'complete') { io.out(Object.keys(COMMANDS).join('\n') + '\n:4\n'); return 0 }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const sub = name === 'help' || name === '--help' ? rest.find((a) => !a.startsWith('-')) : undefined
      if (sub && COMMANDS[sub]) { io.out(commandHelp(COMMANDS[sub])); return 0 }
      io.out(topHelp())
      return name === undefined ? 2 : 0
    }
    if (name === '--version' || name === '-v') { io.out(`docker esb ${VERSION}\n`); return 0 }
    const cmd = COMMANDS[name]
    if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')} (see 'docker esb --help')`)
    const flags = parseFlags(cmd, rest)
    if (flags.help) { io.out(commandHelp(cmd)); return 0 }
    return (await cmd.run({ flags, io, runner })) ?? 0
  } catch (e) {
    const known = toEsbError(e)
    if (known) {
      // one line: a message with newlines (from a tool) is folded
      io.err(`docker esb: ${known.message.replace(/\s*\n\s*/g, ' ')}\n`)
      return known.exitCode
    }
    io.err(`docker esb: internal error (${REPORT_BUGS}): ${e instanceof Error ? e.stack : String(e)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
  }
}
