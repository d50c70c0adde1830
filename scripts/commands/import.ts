// docker esb import: flags -> options -> oci/import.ts importImages.
import { str, type CommandSpec } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { UsageError } from '../errors.ts'
import { importImages, type ImportOptions } from '../oci/import.ts'

export const importCmd: CommandSpec = {
  name: 'import',
  usage: '<source> [--name NAME] [--tag TAG]',
  summary: "Put an image into the project's registry as <registry>/<slug>-<name>:<tag>",
  details:
    'SOURCE: an image reference (any reachable registry; all platforms kept, digests unchanged), a `docker save`\ntar, an OCI image layout folder or its tar (e.g. from docker esb export: every image in it is restored).\nBlobs already in the registry are skipped; the tag is written last.',
  flags: [
    ['--name NAME', 'name in the project (default: from the source); becomes <slug>-NAME'],
    ['--tag TAG', 'tag (default: the source tag, else the project tag)'],
    ['--insecure', 'plain HTTP for a non-loopback source registry'],
    ['--from-engine', "SOURCE is an image in the engine's store (docker save)"],
  ],
  strings: ['name', 'tag'],
  booleans: ['insecure', 'from-engine'],
  common: true,
  positional: true,
  async run(c) {
    const args = c.flags._.map(String)
    if (args.length !== 1)
      throw new UsageError("'docker esb import' takes one SOURCE (an image reference, a tar or an OCI layout folder)")
    const o: ImportOptions = {
      source: args[0],
      name: str(c.flags, 'name'),
      tag: str(c.flags, 'tag'),
      insecure: c.flags.insecure === true,
      fromEngine: c.flags['from-engine'] === true,
    }
    // --tag names the imported image's tag, not the project's
    const s = settingsFrom({ ...c.flags, tag: undefined }, c.io)
    await importImages(s, o, c.runner, c.io)
  },
}
