// Function images: `fn-<name>` targets from the Dockerfiles the
// `[functions] dockerfiles` glob finds (relative to the project root).
import path from 'node:path'
import { globbySync } from 'globby'
import type { Settings } from '../project/config.ts'

export interface FunctionDef { name: string; dockerfile: string }

export function functionDockerfiles(s: Settings): string[] {
  return globbySync(s.functions.dockerfiles, { cwd: s.projectDir, onlyFiles: true }).sort()
}

/** Function targets `fn-<name>` from Dockerfiles found by the glob (relative paths). Pure. */
export function functionsFrom(dockerfiles: string[]): FunctionDef[] {
  return dockerfiles
    .map((f) => ({ name: path.basename(path.dirname(f)).toLowerCase().replace(/[^a-z0-9-]+/g, '-'), dockerfile: f }))
    .sort((a, b) => a.name.localeCompare(b.name))
}
