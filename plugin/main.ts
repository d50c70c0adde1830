// Entry of dist/docker-esb. Answers the plugin metadata call before loading
// anything else; the rest of the program is loaded only for a real command.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import vm from 'node:vm'
import { METADATA } from './metadata.ts'

declare const __ESB_CLI__: string | undefined

type Cli = { main: (argv: string[]) => Promise<number> }

/**
 * Where V8's compiled code of the program is kept between runs (~40 ms of
 * every command's start-up): the user's cache folder, one file per program
 * and Node version; DOCKER_ESB_CODE_CACHE=off turns it off.
 */
function codeCacheFile(source: string): string | null {
  if (process.env.DOCKER_ESB_CODE_CACHE === 'off') return null
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  const id = crypto.createHash('sha256').update(process.version).update(source).digest('hex').slice(0, 16)
  return path.join(base, 'docker-esb', `code-${id}.bin`)
}

/** Compiles the program with the kept code when there is one; keeps it after this run when there was none. */
function compile(source: string): (...args: unknown[]) => void {
  const file = codeCacheFile(source)
  let cachedData: Buffer | undefined
  try {
    if (file) cachedData = fs.readFileSync(file)
  } catch {
    /* none yet */
  }
  const script = new vm.Script(`(function (module, exports, require, __filename, __dirname) {${source}\n})`, {
    filename: __filename,
    cachedData,
  })
  if (file && (!cachedData || script.cachedDataRejected))
    // after the run: the code of every function it ran is compiled by then; a cache that cannot be written is no error
    process.on('exit', () => {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
        const tmp = `${file}.${process.pid}.tmp`
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 })
        fs.renameSync(tmp, file)
      } catch {
        /* read-only home, full disk: start-up is just slower */
      }
    })
  return script.runInThisContext() as (...args: unknown[]) => void
}

function loadCli(): Promise<Cli> {
  if (typeof __ESB_CLI__ === 'string') {
    // In the bundle the program is CommonJS source text (see bundle.mjs).
    const mod = { exports: {} as Cli }
    compile(__ESB_CLI__)(mod, mod.exports, require, __filename, __dirname)
    return Promise.resolve(mod.exports)
  }
  return import('../scripts/cli.ts')
}

// the sh line of the bundle handed NODE_EXTRA_CA_CERTS over (bundle.mjs): back, for docker and oci/transport.ts
const handed = process.env.DOCKER_ESB_NODE_EXTRA_CA_CERTS
if (handed !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = handed
  delete process.env.DOCKER_ESB_NODE_EXTRA_CA_CERTS
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
