// docker esb status: the state of the builder, the registry and the caches, without reading folders by hand.
import { FORMAT_FLAG, type CommandSpec } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { gatherStatus } from '../status/gather.ts'
import { statusText } from '../status/format.ts'

export const status: CommandSpec = {
  name: 'status',
  usage: '[--format json|table]',
  summary: 'Show the builder and its cache, the registry, local caches per target, the last build, and what prune would free',
  details: 'Changes nothing: a stopped builder or registry is reported, not started.',
  flags: [FORMAT_FLAG, ['--json', 'as JSON']],
  strings: ['format'],
  booleans: [],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const st = await gatherStatus(s, c.runner)
    c.io.out(c.flags.json ? JSON.stringify(st, null, 2) + '\n' : statusText(st))
  },
}
