// Entry of dist/docker-esb. Answers the plugin metadata call before loading
// anything else; the rest of the program is loaded only for a real command.
import { METADATA } from './metadata.ts'

declare const __ESB_CLI__: string | undefined

type Cli = { main: (argv: string[]) => Promise<number> }

function loadCli(): Promise<Cli> {
  if (typeof __ESB_CLI__ === 'string') {
    // In the bundle the program is CommonJS source text (see bundle.mjs).
    const mod = { exports: {} as Cli }
    new Function('module', 'exports', 'require', '__filename', '__dirname', __ESB_CLI__)(
      mod,
      mod.exports,
      require,
      __filename,
      __dirname,
    )
    return Promise.resolve(mod.exports)
  }
  return import('../scripts/cli.ts')
}

if (process.argv[2] === 'docker-cli-plugin-metadata') {
  process.stdout.write(JSON.stringify(METADATA, null, 2) + '\n')
} else {
  let settled = false
  // Node exits 0 when the event loop empties under a promise that never
  // settles; that must not pass for success.
  process.on('exit', () => {
    if (!settled) {
      process.stderr.write('docker esb: internal error: stopped before finishing\n')
      process.exitCode = 1
    }
  })
  loadCli()
    .then((m) => m.main(process.argv.slice(2)))
    .then((code) => {
      settled = true
      process.exitCode = code
    })
}
