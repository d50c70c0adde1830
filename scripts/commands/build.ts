// docker esb build: flags -> options -> bake/build.ts planBuild -> print or run the plan.
import { DRY_RUN_FLAGS, FORMAT_FLAG, showOptions, str, type CommandSpec } from './types.ts'
import { PROGRESS_FLAG } from '../report/mode.ts'
import { registryFirst, runOrShow } from '../run/plan-run.ts'
import { settingsFrom } from '../project/context.ts'
import { PULL_FLAG, SKIP_FLAG } from '../bake/skips.ts'
import { ALLOW_READ_FLAG, readGrants } from '../bake/reads.ts'
import { planBuild, type BuildOptions } from '../bake/build.ts'
import { METADATA_FILE_FLAG, metadataFileFlag } from '../bake/metadata-flag.ts'

export const build: CommandSpec = {
  name: 'build',
  usage: '[OPTIONS] [-- BAKE FLAGS]',
  summary: 'Ensure the registry and the builder, then docker buildx bake with per-target caches',
  details:
    'Bakes the base images first, then control and function images on the bases just pushed (pinned by\ndigest), all pushed to the local registry 127.0.0.1:<port>, and prints the cache hit rate.\nFunctions come from functions/*/Dockerfile and from deploy artifact manifests ([functions] artifact).\nFlags after -- go to docker buildx bake.',
  flags: [
    ...DRY_RUN_FLAGS,
    FORMAT_FLAG,
    PROGRESS_FLAG,
    SKIP_FLAG.flag,
    PULL_FLAG,
    ALLOW_READ_FLAG,
    METADATA_FILE_FLAG,
    ['--provenance', 'keep provenance attestations (off by default: they change digests on every build)'],
  ],
  strings: ['format', 'progress', 'allow-read', 'metadata-file'],
  booleans: ['provenance', 'pull', SKIP_FLAG.boolean],
  defaults: SKIP_FLAG.defaults,
  common: true,
  async run(c) {
    const o: BuildOptions = {
      progress: str(c.flags, 'progress'),
      skip: c.flags.skip !== false,
      pull: c.flags.pull === true,
      extraArgs: c.flags['--'],
    }
    const show = showOptions(c.flags)
    const s = settingsFrom(c.flags, c.io)
    o.allowRead = readGrants(c.flags['allow-read'], c.io.env, s.prefix, c.io.cwd)
    o.metadataFile = metadataFileFlag(str(c.flags, 'metadata-file'), c.io.cwd)
    const plan = await planBuild(s, o, c.runner, c.io, (writes) =>
      registryFirst(c.runner, show, s, writes, { skip: o.skip, procEnv: c.io.env }),
    )
    return runOrShow(c.runner, c.io, show, plan)
  },
}
