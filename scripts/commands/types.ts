// What a command is: its help, its flags, and run(). Commands turn flags into
// settings and a plan (or call a capability directly) and return an exit code.
import type { Io } from '../io.ts'
import type { Runner } from '../docker/runner.ts'
import type { CommonFlags } from '../project/context.ts'
import type { ShowOptions } from '../run/plan-run.ts'

/** Parsed flags: the common ones, the command's own, positionals (`_`) and what follows `--`. */
export interface ParsedFlags extends CommonFlags {
  _: string[]
  '--': string[]
  help?: boolean
  'dry-run'?: boolean
  json?: boolean
  [flag: string]: unknown
}

export interface CommandCtx {
  flags: ParsedFlags
  io: Io
  runner: Runner
}

export interface CommandSpec {
  name: string
  usage: string
  summary: string
  details?: string
  /** [flag, description] */
  flags: [string, string][]
  strings: string[]
  booleans: string[]
  /** boolean flags that default to true (given as --no-<flag>) */
  defaults?: Record<string, boolean>
  /** takes the common project flags (-C, --brand, --mode, ...) */
  common: boolean
  positional?: boolean
  run: (c: CommandCtx) => Promise<number | void>
}

/** A string flag's value (minimist gives strings for declared string flags). */
export function str(f: ParsedFlags, name: string): string | undefined {
  const v = f[name]
  return typeof v === 'string' ? v : undefined
}

/** Commands that print data take --format json|table (cli.ts parseFlags checks it; json sets --json). */
export const FORMAT_FLAG: [string, string] = ['--format FORMAT', 'json or table (default); --json is the same as --format json']

/** --dry-run and --json, as every planning command takes them. */
export const DRY_RUN_FLAGS: [string, string][] = [
  ['--dry-run', 'print the plan and change nothing (may ask docker read-only questions)'],
  [
    '--json',
    'with --dry-run: the plan as JSON (every docker call as an argv array with its env); else the cache hit report as JSON on stdout',
  ],
  [
    '--show-secrets',
    'with --dry-run: print the values of secret-looking names (*PASS*, *SECRET*, *TOKEN*, *KEY*...) instead of (masked)',
  ],
]

export function showOptions(f: ParsedFlags): ShowOptions {
  return { dryRun: f['dry-run'] === true, json: f.json === true, showSecrets: f['show-secrets'] === true }
}
