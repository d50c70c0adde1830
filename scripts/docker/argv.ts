// Splits the command line the Docker CLI hands a plugin. Docker passes its
// whole argv: global flags come BEFORE the plugin name
// (`docker --context x esb build` -> [--context x esb build]). We keep those
// flags so every docker call we make targets the same daemon and config.

import { UsageError } from '../errors.ts'

export const PLUGIN_NAME = 'esb'

const VALUE_FLAGS = new Set([
  '--config',
  '-c',
  '--context',
  '-H',
  '--host',
  '-l',
  '--log-level',
  '--tlscacert',
  '--tlscert',
  '--tlskey',
])
const BOOL_FLAGS = new Set(['-D', '--debug', '--tls', '--tlsverify'])
const SHORT_VALUE = new Set(['c', 'H', 'l'])

export interface SplitArgv {
  /** docker global flags, as given, to put before every docker subcommand */
  globalFlags: string[]
  /** the plugin's own arguments (after `esb`) */
  args: string[]
  /** how we were called */
  via: 'plugin' | 'standalone' | 'help' | 'complete'
}

/** Reads one docker global flag at argv[i]; returns how many tokens it used (0: not a global flag). */
function globalFlagAt(argv: string[], i: number): number {
  const tok = argv[i]
  const eq = tok.indexOf('=')
  const name = tok.startsWith('--') && eq > 0 ? tok.slice(0, eq) : tok
  if (BOOL_FLAGS.has(name)) return 1
  if (VALUE_FLAGS.has(name)) {
    if (name !== tok) return 1 // --config=dir
    if (i + 1 >= argv.length) throw new UsageError(`docker flag ${tok} needs a value (e.g. ${tok} VALUE)`)
    return 2
  }
  // -cDIR, -c=DIR, -Htcp://..., -D combined short flags are rare; accept the attached-value forms.
  if (/^-[a-zA-Z]/.test(tok) && !tok.startsWith('--') && SHORT_VALUE.has(tok[1]) && tok.length > 2) return 1
  return 0
}

export function splitDockerArgv(argv: string[]): SplitArgv {
  const globalFlags: string[] = []
  let i = 0
  while (i < argv.length && argv[i].startsWith('-')) {
    const n = globalFlagAt(argv, i)
    if (n === 0) break
    globalFlags.push(...argv.slice(i, i + n))
    i += n
  }
  const first = argv[i]
  if (first === PLUGIN_NAME) return { globalFlags, args: argv.slice(i + 1), via: 'plugin' }
  if (first === 'help' && argv[i + 1] === PLUGIN_NAME) return { globalFlags, args: ['--help', ...argv.slice(i + 2)], via: 'help' }
  if (first === '__complete' && argv[i + 1] === PLUGIN_NAME) return { globalFlags, args: argv.slice(i + 2), via: 'complete' }
  // Standalone (`dist/docker-esb build ...`): no `esb` in front, but global flags may still be given.
  return { globalFlags, args: argv.slice(i), via: 'standalone' }
}

/**
 * Docker resolves a relative --config / DOCKER_CONFIG against the current
 * folder; our docker calls run from the project root, so make them absolute.
 */
export function absoluteConfigFlags(flags: string[], cwd: string, resolve: (cwd: string, p: string) => string): string[] {
  const out = [...flags]
  for (let i = 0; i < out.length; i++) {
    if (out[i] === '--config' && i + 1 < out.length) out[i + 1] = resolve(cwd, out[++i])
    else if (out[i].startsWith('--config=')) out[i] = `--config=${resolve(cwd, out[i].slice(9))}`
  }
  return out
}
