// docker esb down: stop the stack (and the registry with --registry).
import { DRY_RUN_FLAGS, showOptions, type CommandSpec } from './types.ts'
import { runOrShow } from '../run/plan-run.ts'
import { settingsFrom } from '../project/context.ts'
import { downFacts, downPlan } from '../compose/down.ts'

export const down: CommandSpec = {
  name: 'down',
  usage: '[OPTIONS] [-- COMPOSE DOWN FLAGS]',
  summary: 'Stop the stack (the registry keeps running unless --registry)',
  flags: [...DRY_RUN_FLAGS, ['--registry', 'also stop the local registry (its data volume is kept)']],
  strings: [],
  booleans: ['registry'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    // only the registry container docker esb created or adopted is stopped; a missing stack file does not keep it running
    const facts = await downFacts(c.runner, s, !!c.flags.registry)
    return runOrShow(c.runner, c.io, showOptions(c.flags), downPlan(s, !!c.flags.registry, c.flags['--'], facts))
  },
}
