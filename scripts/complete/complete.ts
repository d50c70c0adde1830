// Shell completion through the Docker CLI: `docker __complete esb ARGS... WORD`
// runs `docker-esb __complete esb ARGS... WORD`, and the answer is cobra's
// format: one candidate per line (`value\tdescription`), then `:<directive>`.
// Deciding is pure (completeWords); what needs docker or the registry (bake
// targets, image names) comes through `lookup`.
import type { CommandSpec } from '../commands/types.ts'

/** cobra's ShellCompDirective bits */
export const DIRECTIVE = {
  default: 0,
  error: 1,
  noSpace: 2,
  noFileComp: 4,
  filterFileExt: 8,
  filterDirs: 16,
  keepOrder: 32,
} as const

export interface Completion {
  items: string[]
  directive: number
}

export interface Lookup {
  /** bake targets and groups of the project (for flags after `build --`) */
  bakeTargets(): Promise<string[]>
  /** image names in the project's registry, as `export` takes them */
  images(): Promise<string[]>
}

/** Values a string flag can take, when they are a fixed list. */
const FLAG_VALUES: Record<string, string[]> = {
  mode: ['docker', 'containerd'],
  format: ['json', 'table'],
  progress: ['auto', 'plain', 'tty', 'quiet', 'rawjson'],
}
/** String flags naming a folder or a file: the shell completes paths. */
const DIR_FLAGS = new Set(['project-dir', 'templates', 'out'])
const FILE_FLAGS = new Set(['env-file', 'output'])
const SHORT: Record<string, string> = { C: 'project-dir', o: 'output' }

const COMMON_STRINGS = ['project-dir', 'brand', 'mode', 'env', 'tag', 'env-file']
const COMMON_BOOLEANS = ['help', 'dry-run', 'json']

/** `args`: the words after `esb`; the last one is being completed (may be ''). */
export async function completeWords(commands: Record<string, CommandSpec>, args: string[], lookup: Lookup): Promise<Completion> {
  const word = args.at(-1) ?? ''
  const before = args.slice(0, -1)
  const name = before.find((a) => !a.startsWith('-'))
  const cmd = name ? commands[name] : undefined
  const only = (items: string[], directive: number = DIRECTIVE.noFileComp): Completion => ({
    items: items.filter((i) => i.startsWith(word) || i.split('\t')[0].startsWith(word)),
    directive,
  })
  if (!name) return only(Object.values(commands).map((c) => `${c.name}\t${c.summary}`))
  if (!cmd) return { items: [], directive: DIRECTIVE.error }
  // after `--`: build passes the rest to bake, whose positional words are targets and groups
  if (before.includes('--')) {
    if (cmd.name === 'build' && !word.startsWith('-')) return only(await lookup.bakeTargets().catch(() => []))
    return { items: [], directive: DIRECTIVE.default }
  }
  const strings = new Set([...(cmd.common ? COMMON_STRINGS : []), ...cmd.strings])
  const prev = before.at(-1) ?? ''
  const prevName = /^--?([^=]+)$/.exec(prev)?.[1]
  const flag = prevName ? (SHORT[prevName] ?? prevName) : undefined
  if (flag && strings.has(flag) && prev !== name) {
    if (FLAG_VALUES[flag]) return only(FLAG_VALUES[flag])
    if (DIR_FLAGS.has(flag)) return { items: [], directive: DIRECTIVE.filterDirs }
    if (FILE_FLAGS.has(flag)) return { items: [], directive: DIRECTIVE.default }
    return { items: [], directive: DIRECTIVE.noFileComp }
  }
  if (word.startsWith('-')) {
    const described = new Map<string, string>()
    for (const [f, d] of cmd.flags) for (const long of f.match(/--[a-z][a-z-]*/g) ?? []) described.set(long, d)
    const names = [
      ...new Set([
        ...strings,
        ...(cmd.common ? COMMON_BOOLEANS : ['help']),
        ...cmd.booleans,
        ...Object.keys(cmd.defaults ?? {}).map((b) => `no-${b}`),
      ]),
    ]
      .filter((n) => !(cmd.defaults && n in cmd.defaults))
      .map((n) => `--${n}`)
    return only(names.sort().map((n) => (described.get(n) ? `${n}\t${described.get(n)}` : n)))
  }
  if (cmd.name === 'export') return only(await lookup.images().catch(() => []))
  if (cmd.name === 'import') return { items: [], directive: DIRECTIVE.default }
  return { items: [], directive: DIRECTIVE.noFileComp }
}

/** cobra's wire format. */
export function completionText(c: Completion): string {
  return [...c.items, `:${c.directive}`].join('\n') + '\n'
}
