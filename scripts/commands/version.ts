// docker esb version: the plugin's version, and with --format json the tools it runs on.
import { FORMAT_FLAG, type CommandSpec } from './types.ts'
import { VERSION } from '../../plugin/metadata.ts'

export const version: CommandSpec = {
  name: 'version',
  usage: '[--short] [--format json|table]',
  summary: 'Show the docker esb version',
  flags: [['--short', 'the version number alone'], FORMAT_FLAG, ['--json', 'as JSON']],
  strings: ['format'],
  booleans: ['short'],
  common: false,
  async run({ io, flags }) {
    if (flags.short) {
      io.out(`${VERSION}\n`)
      return
    }
    if (flags.json) {
      io.out(
        JSON.stringify({ version: VERSION, node: process.version, platform: `${process.platform}/${process.arch}` }, null, 2) +
          '\n',
      )
      return
    }
    io.out(`docker esb ${VERSION} (node ${process.version})\n`)
  },
}
