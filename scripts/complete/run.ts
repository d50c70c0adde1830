// Answers `docker-esb __complete esb ...`: the project is read from the words
// typed so far (-C, --brand, ...), and docker or the registry is asked only
// for the candidates that need them. Completion never fails loudly: the
// shell shows nothing rather than an error.
import type { Io } from '../io.ts'
import type { Runner } from '../docker/runner.ts'
import type { CommandSpec } from '../commands/types.ts'
import { settingsFrom } from '../project/context.ts'
import { renderForStack } from '../render/plan.ts'
import { bakeInputs } from '../bake/inspect.ts'
import { allFunctions } from '../bake/plan.ts'
import { functionDockerfiles } from '../functions/discover.ts'
import { artifactManifests, artifactTargets } from '../functions/artifact.ts'
import { localCachePrefix, localRegistry } from '../oci/local.ts'
import { imageKindOf } from '../oci/ref.ts'
import { completeWords, completionText, type Lookup } from './complete.ts'

/** `parse`: the command's own flag parser (cli.ts parseFlags). */
export async function complete(
  commands: Record<string, CommandSpec>,
  args: string[],
  io: Io,
  runner: Runner,
  parse: (c: CommandSpec, a: string[]) => Record<string, unknown>,
): Promise<number> {
  const settings = () => {
    const name = args.slice(0, -1).find((a) => !a.startsWith('-'))
    const cmd = name ? commands[name] : undefined
    let flags: Record<string, unknown> = {}
    try {
      if (cmd)
        flags = parse(
          cmd,
          args.slice(args.indexOf(name!) + 1, -1).filter((a, i, all) => all.indexOf('--') < 0 || i < all.indexOf('--')),
        )
    } catch {
      /* half-typed flags */
    }
    return settingsFrom(flags as never, { ...io, err: () => {} })
  }
  const lookup: Lookup = {
    async bakeTargets() {
      const s = settings()
      const { print } = await bakeInputs(s, runner, renderForStack(s), [])
      // function targets and their group come from docker esb's own bake file, not the project's
      const fns = allFunctions({
        settings: s,
        functionDockerfiles: functionDockerfiles(s),
        artifactFunctions: artifactTargets(s, artifactManifests(s)),
      }).map((f) => f.target)
      return [
        ...new Set([
          ...Object.keys(print.group ?? {}),
          ...Object.keys(print.target ?? {}),
          ...(fns.length ? ['functions', ...fns] : []),
        ]),
      ].sort()
    },
    async images() {
      const s = settings()
      const reg = await localRegistry(s, runner.signal)
      return (await reg.catalog())
        .filter((r) => !['cache', 'other'].includes(imageKindOf(s.slug, r, localCachePrefix(s))))
        .map((r) => r.slice(s.slug.length + 1))
        .sort()
    },
  }
  io.out(completionText(await completeWords(commands, args, lookup)))
  return 0
}
