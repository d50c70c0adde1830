// [bake]: the bake files and groups `build` runs, provenance, where builds
// may push besides the project's registry, skipping unchanged targets, and
// the image timestamps (SOURCE_DATE_EPOCH), and the build args docker esb
// gives every target ([bake.args], [bake.arg_hashes]). Pure.
import { UsageError } from '../../errors.ts'
import { substitute } from '../envfile.ts'
import type { Lookup, Picked } from '../lookup.ts'
import type { Section } from '../schema.ts'

export interface BakeSettings {
  files: string[]
  groups: string[]
  provenance: boolean
  /** tag prefixes outside the project's registry that builds may push to */
  pushAllow: string[]
  /** skip targets whose inputs, image and cache are unchanged ([bake] skip; off with --no-skip) */
  skip: boolean
  /** SOURCE_DATE_EPOCH for builds: image timestamps from it, so digests depend on content only */
  sourceDateEpoch: string
  /**
   * [bake.args]: NAME -> value, as written; `${VAR}` is expanded per run
   * from the environment docker gets (bake/args.ts). Given to every bake
   * target and compose service build docker esb runs, over the project's own.
   */
  args: Record<string, string>
  /** [bake.arg_hashes]: NAME -> a file (relative to the project, `${VAR}` expanded) whose md5 hex is the arg */
  argHashes: Record<string, string>
  /** the process environment's values of the variables those name (the stack environment wins over them, as for docker) */
  argEnv: Record<string, string>
  /** where each arg is set, for messages: `esb.toml:12` */
  argWhere: Record<string, string>
}

/**
 * Image timestamps (config and history) from SOURCE_DATE_EPOCH, 0 unless set:
 * a step whose result BuildKit loads from an imported cache otherwise gets a
 * new time, so a base rebuilt from a shared cache on a fresh runner got a new
 * digest and every child built on it missed its cache (bench/ciwarm.mjs).
 */
export function sourceDateEpoch(p: Picked): string {
  if (!/^\d{1,12}$/.test(p.value))
    throw new UsageError(
      `${p.where}: SOURCE_DATE_EPOCH ${JSON.stringify(p.value)} is not a number of seconds since 1970; give e.g. 0 or $(git log -1 --format=%ct)`,
    )
  return p.value
}

/** The variables a value names; throws a one-line error on a malformed `${...}`. */
function namesIn(where: string, value: string): string[] {
  const names: string[] = []
  try {
    // every name gives a value here, so ${X:?} does not fail before the run knows X
    substitute(value, (n) => (names.push(n), 'x'))
  } catch (e) {
    const t = e as Error & { what?: string; fix?: string }
    throw new UsageError(`${where}: ${t.what ?? t.message} in ${JSON.stringify(value)}; ${t.fix ?? 'write ${NAME}'}`)
  }
  return names
}

/** [bake.args] and [bake.arg_hashes], checked: no name in both, every `${...}` well formed. */
export function resolveArgs(l: Lookup, bk: Section<'bake'>): Pick<BakeSettings, 'args' | 'argHashes' | 'argEnv' | 'argWhere'> {
  const args = { ...(bk.args ?? {}) }
  const argHashes = { ...(bk.arg_hashes ?? {}) }
  const argEnv: Record<string, string> = {}
  const argWhere: Record<string, string> = {}
  for (const [table, values] of [
    ['args', args],
    ['arg_hashes', argHashes],
  ] as const)
    for (const [name, v] of Object.entries(values)) {
      const where = l.keyAt(`bake.${table}`)(name)
      argWhere[name] = `${where}: key 'bake.${table}.${name}'`
      if (table === 'arg_hashes' && Object.hasOwn(args, name))
        throw new UsageError(`${argWhere[name]}: ${name} is also in [bake.args]; keep it in one of the two tables`)
      if (table === 'arg_hashes' && !v.trim())
        throw new UsageError(`${argWhere[name]} is empty; give the file whose md5 is the arg, e.g. ".esb/certs/rootCA.crt"`)
      for (const n of namesIn(argWhere[name], v)) if (l.processEnv[n] !== undefined) argEnv[n] = l.processEnv[n]!
    }
  return { args, argHashes, argEnv, argWhere }
}

export function resolveBake(l: Lookup, bk: Section<'bake'>): BakeSettings {
  return {
    ...resolveArgs(l, bk),
    files: bk.files ?? ['docker-bake.hcl'],
    groups: bk.groups ?? ['default'],
    provenance: l.flags.provenance ?? bk.provenance ?? false,
    pushAllow: bk.push_allow ?? [],
    skip: bk.skip ?? true,
    sourceDateEpoch: sourceDateEpoch(
      l.pick(undefined, '', ['SOURCE_DATE_EPOCH'], bk.source_date_epoch, `${l.tf}: key 'bake.source_date_epoch'`, '0'),
    ),
  }
}
