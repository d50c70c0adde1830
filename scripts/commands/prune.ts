// docker esb prune: free space (old local exports, builder cache, registry GC).
import { DRY_RUN_FLAGS, showOptions, type CommandSpec } from './types.ts'
import { runOrShow } from '../run/plan-run.ts'
import { settingsFrom } from '../project/context.ts'
import { prunePlan } from '../prune/plan.ts'
import { registryNotOurs } from '../registry/owner.ts'
import { localKeyPrune, sharedFor } from '../prune/shared-run.ts'
import { projectRepos } from '../bake/repos.ts'
import { readGrants } from '../bake/reads.ts'

export const prune: CommandSpec = {
  name: 'prune',
  usage: '[--local] [--builder] [--registry] [--shared] [--dry-run]',
  summary: 'Free space: old local cache exports, the builder cache, unreferenced registry blobs',
  details:
    "With no option: --local and --builder. --registry stops the registry for a moment to garbage-collect it\n(blobs no tag refers to, e.g. replaced cache refs); its images and current caches stay.\n--shared works on the build registry ([registry] build_address), which docker esb does not run: only the images\nthat docker esb's key tags of keys beyond the newest [registry] keep per image alone name are deleted.",
  flags: [
    ['--local', 'local cache exports that are not current (older than 30 min), run folders older than a day'],
    ['--builder', "the builder's BuildKit cache beyond [builder] gc_keep"],
    ['--registry', 'garbage-collect the registry (stops it briefly)'],
    ['--shared', "delete docker esb's older key tags in the build registry ([registry] build_address)"],
    ...DRY_RUN_FLAGS,
  ],
  strings: [],
  booleans: ['local', 'builder', 'registry', 'shared'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const show = showOptions(c.flags)
    const some = c.flags.local || c.flags.builder || c.flags.registry || c.flags.shared
    return runOrShow(
      c.runner,
      c.io,
      show,
      prunePlan(s, {
        local: some ? !!c.flags.local : true,
        builder: some ? !!c.flags.builder : true,
        registry: !!c.flags.registry,
        // only the registry container docker esb created or adopted is garbage-collected
        notOurs: c.flags.registry ? await registryNotOurs(c.runner, s) : null,
        // what the garbage collection frees with the older keys: for the dry run to say
        beyond: c.flags.registry && show.dryRun ? await localKeyPrune(s, c.runner.signal) : undefined,
        shared: c.flags.shared
          ? await sharedFor(s, c.runner.configDir, c.runner.signal, () =>
              projectRepos(s, c.runner, readGrants(undefined, c.io.env, s.prefix, c.io.cwd)),
            )
          : null,
      }),
    )
  },
}
