// How build output is shown, the way buildx does it: --progress, else
// BUILDKIT_PROGRESS, else auto (BuildKit's live display on a terminal, plain
// logs otherwise). The hit report is made in every mode. Pure.
import { UsageError } from '../errors.ts'

export type ProgressMode = 'tty' | 'plain' | 'quiet' | 'rawjson'
export const PROGRESS_MODES = ['auto', 'plain', 'tty', 'quiet', 'rawjson', 'none']
/** tty mode reads the steps back with `docker buildx history`, which buildx has from 0.20 on */
export const HISTORY_MIN = '0.20.0'

export const PROGRESS_FLAG: [string, string] = [
  '--progress MODE',
  'auto (default; tty on a terminal, else plain), plain, tty, quiet or rawjson; default $BUILDKIT_PROGRESS',
]

/** `isTTY`: stderr is a terminal. tty without one falls back to plain (there is nothing to redraw). */
export function progressMode(flag: string | undefined, env: Record<string, string | undefined>, isTTY: boolean): ProgressMode {
  const where = flag !== undefined ? 'flag --progress' : `BUILDKIT_PROGRESS=${env.BUILDKIT_PROGRESS}`
  const v = flag ?? (env.BUILDKIT_PROGRESS || 'auto')
  if (!PROGRESS_MODES.includes(v))
    throw new UsageError(`${where}: ${JSON.stringify(v)} is not a progress mode; use one of ${PROGRESS_MODES.join(', ')}`)
  if (v === 'auto' || v === 'tty') return isTTY ? 'tty' : 'plain'
  // buildx's name for quiet
  if (v === 'none') return 'quiet'
  return v as ProgressMode
}

/** What bake is asked for: its own display on a terminal, else records to count (rawjson) or its plain log. */
export function bakeProgressArg(m: ProgressMode): string {
  return `--progress=${m === 'tty' ? 'tty' : m === 'plain' ? 'plain' : 'rawjson'}`
}

/** compose's own names: it has no rawjson; its plain log is counted in quiet and rawjson modes. */
export function composeProgressArg(m: ProgressMode): string[] {
  return ['--progress', m === 'tty' ? 'tty' : 'plain']
}

/** tty only where the hit report can be read back afterwards; else BuildKit's plain log. */
export function withHistory(m: ProgressMode, buildx: string | undefined, less: (a: string, b: string) => boolean): ProgressMode {
  return m === 'tty' && buildx !== undefined && less(buildx, HISTORY_MIN) ? 'plain' : m
}
