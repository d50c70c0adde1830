// docker esb doctor: is this machine ready to build and run the stack? One
// line per check with the fix for each failure; exit 1 when any fails.
import { FORMAT_FLAG, type CommandSpec } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { gatherFacts } from '../doctor/gather.ts'
import { checks, checksText } from '../doctor/checks.ts'

export const doctor: CommandSpec = {
  name: 'doctor',
  usage: '[--format json|table]',
  summary: 'Check the engine, buildx, compose, the builder, the registry, proxies and disk; say how to fix each failure',
  details: 'Changes nothing. Exit 0 when every check passes, 1 otherwise. "info" lines never fail.',
  flags: [FORMAT_FLAG, ['--json', 'as JSON']],
  strings: ['format'],
  booleans: [],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const cs = checks(await gatherFacts(s, c.runner, c.io.env))
    const ok = cs.every((x) => x.status !== 'fail')
    c.io.out(c.flags.json ? JSON.stringify({ ok, checks: cs }, null, 2) + '\n' : checksText(cs))
    return ok ? 0 : 1
  },
}
