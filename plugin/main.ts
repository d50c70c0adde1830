// Entry of dist/docker-esb. Answers the plugin metadata call before loading
// anything else; the rest of the program is loaded lazily.
import { METADATA } from './metadata.ts'

if (process.argv[2] === 'docker-cli-plugin-metadata') {
  process.stdout.write(JSON.stringify(METADATA, null, 2) + '\n')
} else {
  import('../scripts/cli.ts').then((m) => m.main(process.argv.slice(2))).then((code) => { process.exitCode = code })
}
