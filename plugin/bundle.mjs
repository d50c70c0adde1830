// Bundles plugin/main.ts and everything it loads, templates included, into
// ONE executable file: dist/docker-esb (CommonJS: an extensionless ESM file
// placed under a "type": "commonjs" scope exits 0 without running on Node 20).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))

function readTemplates(dir) {
  const out = {}
  const walk = (rel) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name
      if (ent.isDirectory()) walk(r)
      else if (ent.name.endsWith('.tmpl')) out[r] = fs.readFileSync(path.join(dir, r), 'utf8')
    }
  }
  walk('')
  return out
}

const outfile = path.join(root, 'dist', 'docker-esb')
// what docker asks for first: the same JSON plugin/main.ts answers (sh prints it, quoted for sh)
const metadataJson = JSON.stringify({
  SchemaVersion: '0.1.0',
  Vendor: 'docker esb developers',
  Version: pkg.version,
  ShortDescription: 'Build and run ESB stacks: one docker-container builder, a local registry, per-target caches',
})
if (metadataJson.includes("'")) throw new Error('plugin metadata must not contain a single quote (sh quoting)')
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
}
const defines = {
  __ESB_VERSION__: JSON.stringify(pkg.version),
  __ESB_TEMPLATES__: JSON.stringify(readTemplates(path.join(root, 'templates'))),
  'import.meta.url': 'importMetaUrl',
}
// 1. The program (TOML, YAML, templates...) as CommonJS source text.
const cli = await build({
  ...common,
  entryPoints: [path.join(root, 'scripts', 'cli.ts')],
  write: false,
  define: defines,
  inject: [path.join(root, 'plugin', 'import-meta-url.js')],
})
// 2. The entry, carrying the program as one string: docker runs the entry for
//    every `docker esb` call and every `docker --help` just to read the
//    metadata, and a string literal costs V8 far less to load than 500 KB of
//    code it must pre-parse. The string is compiled only when a command runs.
await build({
  ...common,
  entryPoints: [path.join(root, 'plugin', 'main.ts')],
  outfile,
  // The file is a shell script and JavaScript at once: sh answers docker's
  // metadata call (made before EVERY `docker esb` command) without starting
  // Node, then execs Node on this same file; for Node, line 2 is a string and
  // a comment (it skips the #! line). `node --`: Node 20 otherwise grabs a
  // --env-file meant for us, even after the script name. NODE_EXTRA_CA_CERTS
  // is handed over under another name: Node reads that file at start-up
  // (~50 ms with Debian's bundle), though only HTTPS to a registry needs it
  // (oci/transport.ts reads it then); plugin/main.ts puts it back for docker.
  // The third line makes the CommonJS bundle run even when Node loads it as
  // an ES module (installed under a folder whose package.json says "type": "module").
  banner: {
    js: [
      '#!/bin/sh',
      `':' //; if [ "$1" = docker-cli-plugin-metadata ]; then printf '%s\\n' '${metadataJson}'; exit 0; fi; if [ -n "\${NODE_EXTRA_CA_CERTS-}" ]; then DOCKER_ESB_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export DOCKER_ESB_NODE_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; fi; exec node -- "$0" "$@"`,
      'var require = typeof require == "function" ? require : process.getBuiltinModule("module").createRequire(process.argv[1]), __filename = typeof __filename == "string" ? __filename : process.argv[1], __dirname = typeof __dirname == "string" ? __dirname : require("node:path").dirname(__filename);',
    ].join('\n'),
  },
  define: { __ESB_VERSION__: defines.__ESB_VERSION__, __ESB_CLI__: JSON.stringify(cli.outputFiles[0].text) },
  external: ['../scripts/cli.ts'], // only the unbundled (tsx) path imports it
})
fs.chmodSync(outfile, 0o755)
console.log(`wrote ${path.relative(process.cwd(), outfile)} (${(fs.statSync(outfile).size / 1024).toFixed(0)} KiB)`)
