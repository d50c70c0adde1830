// The compose files of a stack: the mode's file, then [compose] files. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'

export function modeComposeFile(s: Settings): string {
  return path.join(s.templates.out, `docker-compose.${s.mode}.yml`)
}

/** The mode's compose file, then [compose] files (`{mode}` replaced), as `-f` arguments. */
export function composeFileArgs(s: Settings): string[] {
  const extra = s.compose.files.map((f) => path.resolve(s.projectDir, f.replaceAll('{mode}', s.mode)))
  return [modeComposeFile(s), ...extra].flatMap((f) => ['-f', f])
}
