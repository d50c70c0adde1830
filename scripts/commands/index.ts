// The command table: add a new command here (one file per command in this folder).
import type { CommandSpec } from './types.ts'
import { render } from './render.ts'
import { init } from './init.ts'
import { build } from './build.ts'
import { up } from './up.ts'
import { down } from './down.ts'
import { prune } from './prune.ts'
import { importCmd } from './import.ts'
import { exportCmd } from './export.ts'
import { imagesCmd } from './images.ts'
import { version } from './version.ts'
import { doctor } from './doctor.ts'
import { status } from './status.ts'

export type { CommandSpec }

export const COMMANDS: Record<string, CommandSpec> = {
  init,
  build,
  up,
  down,
  render,
  images: imagesCmd,
  import: importCmd,
  export: exportCmd,
  prune,
  status,
  doctor,
  version,
}

export const COMMON_FLAGS: [string, string][] = [
  [
    '-C, --project-dir DIR',
    'project root (default: $<PREFIX>_REPO, else the nearest folder with esb.toml or docker-compose.<mode>.yml)',
  ],
  ['--brand B', 'brand (default: esb.toml brand, else config/branding.yaml, else the generated files, else esb)'],
  ['--mode M', 'docker | containerd (default: $<PREFIX>_MODE, $MODE, esb.toml mode, else docker)'],
  ['--env NAME', 'environment name (default: $<PREFIX>_ENV, $ENV, esb.toml env, else default)'],
  ['--tag TAG', 'image tag (default: $<PREFIX>_TAG, esb.toml tag, else latest)'],
  ['--env-file FILE', 'extra env file (repeatable; after .env and esb.toml env_files)'],
  ['-h, --help', 'help for the command'],
]
