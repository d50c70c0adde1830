import type minimist from 'minimist'
import type { Io } from '../cli.ts'
import type { Runner } from '../runner.ts'

export interface CommandCtx { flags: minimist.ParsedArgs; io: Io; runner: Runner }

export interface CommandSpec {
  name: string
  usage: string
  summary: string
  details?: string
  /** [flag, description] */
  flags: [string, string][]
  strings: string[]
  booleans: string[]
  /** takes the common project flags (-C, --brand, --mode, ...) */
  common: boolean
  positional?: boolean
  run: (c: CommandCtx) => Promise<number | void>
}
