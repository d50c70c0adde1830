// docker esb up: flags -> options -> compose/up.ts planUp -> print or run the plan.
import { DRY_RUN_FLAGS, FORMAT_FLAG, showOptions, str, type CommandSpec } from './types.ts'
import { PROGRESS_FLAG } from '../report/mode.ts'
import { registryFirst, runOrShow } from '../run/plan-run.ts'
import { settingsFrom } from '../project/context.ts'
import { PULL_FLAG, SKIP_FLAG } from '../bake/skips.ts'
import { ALLOW_READ_FLAG, readGrants } from '../bake/reads.ts'
import { planUp, type UpOptions } from '../compose/up.ts'

export const up: CommandSpec = {
  name: 'up',
  usage: '[OPTIONS] [-- COMPOSE UP FLAGS]',
  summary: 'Ensure the registry and the builder, bake the bases, then docker compose up --build -d with per-service caches',
  details:
    'Bakes the base images the services build on, then runs compose on the same builder (BUILDX_BUILDER)\nwith per-service caches, and prints the cache hit rate. Flags after -- go to docker compose up.',
  flags: [
    ...DRY_RUN_FLAGS,
    FORMAT_FLAG,
    PROGRESS_FLAG,
    SKIP_FLAG.flag,
    PULL_FLAG,
    ALLOW_READ_FLAG,
    ['--provenance', 'keep provenance attestations'],
  ],
  strings: ['format', 'progress', 'allow-read'],
  booleans: ['provenance', 'pull', SKIP_FLAG.boolean],
  defaults: SKIP_FLAG.defaults,
  common: true,
  async run(c) {
    const o: UpOptions = {
      progress: str(c.flags, 'progress'),
      skip: c.flags.skip !== false,
      pull: c.flags.pull === true,
      extraArgs: c.flags['--'],
    }
    const show = showOptions(c.flags)
    const s = settingsFrom(c.flags, c.io)
    o.allowRead = readGrants(c.flags['allow-read'], c.io.env, s.prefix, c.io.cwd)
    const plan = await planUp(s, o, c.runner, c.io, (writes) =>
      registryFirst(c.runner, show, s, writes, { skip: o.skip, procEnv: c.io.env }),
    )
    return runOrShow(c.runner, c.io, show, plan)
  },
}
