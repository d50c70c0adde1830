// Command-line front: parses flags, dispatches to a command, and is the one
// top-level error handler that maps errors to exit codes.
import minimist from 'minimist'
import path from 'node:path'
import { absoluteConfigFlags, splitDockerArgv } from './docker/argv.ts'
import { CancelledError, REPORT_BUGS, UsageError, toEsbError } from './errors.ts'
import { runForcedExit } from './exit-cleanup.ts'
import { dockerConfigDir } from './docker/config.ts'
import { Runner } from './docker/runner.ts'
import { processIo, type Io } from './io.ts'
import { VERSION } from '../plugin/metadata.ts'
import { COMMANDS, COMMON_FLAGS, type CommandSpec } from './commands/index.ts'
import type { ParsedFlags } from './commands/types.ts'
import { complete } from './complete/run.ts'

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
  const booleans = ['help', 'dry-run', 'json', 'show-secrets', ...c.booleans]
  const alias: Record<string, string> = { C: 'project-dir', h: 'help', ...(strings.includes('output') ? { o: 'output' } : {}) }
  const known = new Set([...strings, ...booleans, ...Object.keys(alias)])
  const parsed = minimist(own, {
    string: strings,
    boolean: booleans,
    default: c.defaults ?? {},
    alias,
    unknown: (a: string) => {
      if (a.startsWith('-')) {
        const name = a.replace(/^-+/, '').split('=')[0]
        if (!known.has(name))
          throw new UsageError(`unknown flag ${a.split('=')[0]} for 'docker esb ${c.name}'; see 'docker esb ${c.name} --help'`)
        return true
      }
      return true
    },
  })
  const shortOf: Record<string, string> = Object.fromEntries(Object.entries(alias).map(([short, long]) => [long, short]))
  const longOf = (n: string) => alias[n] ?? n
  for (const s of strings) {
    const v = parsed[s]
    if (Array.isArray(v) && s !== 'env-file' && s !== 'allow-read')
      throw new UsageError(`flag --${s} given more than once; give it once`)
    // minimist gives '' to a string flag with nothing after it, or another flag after it (`-C --brand x`), or `--x=`
    if (([] as unknown[]).concat(v).includes('')) {
      const f = shortOf[s] && !own.some((a) => a === `--${s}` || a.startsWith(`--${s}=`)) ? `-${shortOf[s]}` : `--${s}`
      throw new UsageError(`flag ${f} needs a value; give it as ${f} VALUE`)
    }
  }
  // A boolean flag takes no value. `--flag=true` / `--flag=false` stay accepted (minimist reads them so, and the
  // docker CLI accepts them for its boolean flags); any other `=value` (`--check=foo`) is an error, not a silent true.
  for (const a of own) {
    const m = /^-{1,2}([^=-][^=]*)=([\s\S]*)$/.exec(a)
    if (m && booleans.includes(longOf(m[1])) && m[2] !== 'true' && m[2] !== 'false')
      throw new UsageError(
        `flag ${a.split('=')[0]} takes no value (got ${JSON.stringify(m[2])}); give it as ${a.split('=')[0]} alone, or =true / =false`,
      )
  }
  // --format json|table where a command prints data; --json stays its alias
  if (strings.includes('format') && parsed.format !== undefined) {
    if (parsed.format !== 'json' && parsed.format !== 'table')
      throw new UsageError(`flag --format takes json or table (got ${JSON.stringify(parsed.format)}); give it as --format json`)
    if (parsed.format === 'json') parsed.json = true
  }
  if (parsed._.length && !c.positional)
    throw new UsageError(`'docker esb ${c.name}' takes no argument ${JSON.stringify(parsed._[0])}; put tool flags after --`)
  return { ...parsed, _: parsed._.map(String), '--': passthrough }
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let runner: Runner | null = null
  let watchdog: NodeJS.Timeout | undefined
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    void runner?.cancel(sig)
    // work that does not notice the cancel (a file read, a stream) must not keep the user
    // waiting: after 1 s (up to 10 s while docker children stop) remove partial files and exit
    const t0 = Date.now()
    const tick = () => {
      if (runner?.busy && Date.now() - t0 < 10_000) {
        watchdog = setTimeout(tick, 250)
        return
      }
      runForcedExit()
      io.err(`docker esb: cancelled by ${sig}\n`)
      process.exit(sig === 'SIGINT' ? 130 : 143)
    }
    watchdog ??= setTimeout(tick, 1000)
  }
  const onInt = () => onSignal('SIGINT')
  const onTerm = () => onSignal('SIGTERM')
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  try {
    const split = splitDockerArgv(argv)
    const docker =
      split.via !== 'complete' && io.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND
        ? io.env.DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND
        : 'docker'
    const globalFlags = absoluteConfigFlags(split.globalFlags, io.cwd, path.resolve)
    const dockerConfig = io.env.DOCKER_CONFIG ? path.resolve(io.cwd, io.env.DOCKER_CONFIG) : undefined
    runner = new Runner(
      docker,
      globalFlags,
      (l) => io.err(l + '\n'),
      dockerConfig ? { DOCKER_CONFIG: dockerConfig } : {},
      dockerConfigDir(globalFlags, io.env, io.cwd),
    )
    const [name, ...rest] = split.args
    if (split.via === 'complete') return await complete(COMMANDS, split.args, io, runner, parseFlags)
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const sub = name === 'help' || name === '--help' ? rest.find((a) => !a.startsWith('-')) : undefined
      if (sub && COMMANDS[sub]) {
        io.out(commandHelp(COMMANDS[sub]))
        return 0
      }
      io.out(topHelp())
      return name === undefined ? 2 : 0
    }
    if (name === '--version' || name === '-v') {
      io.out(`docker esb ${VERSION}\n`)
      return 0
    }
    const cmd = COMMANDS[name]
    if (!cmd && name.startsWith('-'))
      throw new UsageError(
        `flag ${name.split('=')[0]} goes after the command, e.g. 'docker esb build ${name.split('=')[0]} ...'; commands: ${Object.keys(COMMANDS).join(', ')}`,
      )
    if (!cmd)
      throw new UsageError(
        `unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')} (see 'docker esb --help')`,
      )
    const flags = parseFlags(cmd, rest)
    if (flags.help) {
      io.out(commandHelp(cmd))
      return 0
    }
    return (await cmd.run({ flags, io, runner })) ?? 0
  } catch (e) {
    // whatever a cancelled run failed with, it was cancelled
    const known = runner?.cancelled ? new CancelledError(runner.cancelled) : toEsbError(e)
    if (known) {
      // one line: a message with newlines (from a tool) is folded
      io.err(`docker esb: ${known.message.replace(/\s*\n\s*/g, ' ')}\n`)
      return known.exitCode
    }
    io.err(`docker esb: internal error (${REPORT_BUGS}): ${e instanceof Error ? e.stack : String(e)}\n`)
    return 1
  } finally {
    runner?.dropEarly()
    clearTimeout(watchdog)
    process.off('SIGINT', onInt)
    process.off('SIGTERM', onTerm)
  }
}
