// Function images: `fn-<name>` targets from the Dockerfiles the
// `[functions] dockerfiles` glob finds (relative to the project root).
import path from 'node:path'
import { globbySync } from 'globby'
import type { Settings } from '../project/config.ts'
import { UsageError } from '../errors.ts'
import { checkFunctionName } from './names.ts'
import { simpleGlob } from './glob.ts'
import { compareText } from '../sort.ts'

export interface FunctionDef {
  name: string
  dockerfile: string
}

export function functionDockerfiles(s: Settings): string[] {
  const glob = s.functions.dockerfiles
  // "" means no such functions; a folder is not expanded to every file below it (`..` or `/` would walk
  // the disk); a path through a file matches nothing rather than failing with ENOTDIR
  const found = glob.trim()
    ? (
        simpleGlob(s.projectDir, glob, { dot: false }) ??
        globbySync(glob, { cwd: s.projectDir, onlyFiles: true, expandDirectories: false, suppressErrors: true })
      ).sort()
    : []
  // the folder names the function: a file in the root (a glob like `*`) has none
  const loose = found.find((f) => !f.includes('/'))
  if (loose !== undefined)
    throw new UsageError(
      `esb.toml: [functions] dockerfiles ${JSON.stringify(glob)} finds ${loose}, which is not in a function folder (the folder names the function); use a glob like "functions/*/Dockerfile"`,
    )
  return found
}

/** Function targets `fn-<name>` from Dockerfiles found by the glob (relative paths); two folders giving one name are an error. Pure. */
export function functionsFrom(dockerfiles: string[]): FunctionDef[] {
  for (const f of dockerfiles) checkFunctionName(f, path.basename(path.dirname(f)), 'rename the folder')
  const defs = dockerfiles.map((f) => ({
    name: path
      .basename(path.dirname(f))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-'),
    dockerfile: f,
  }))
  const seen = new Map<string, string>()
  for (const d of defs) {
    const other = seen.get(d.name)
    if (other !== undefined)
      throw new UsageError(
        `${other} and ${d.dockerfile} both become target fn-${d.name} (folder names are lowercased, other characters become -); rename one of the folders`,
      )
    seen.set(d.name, d.dockerfile)
  }
  return defs.sort((a, b) => compareText(a.name, b.name))
}
