// What a function may be called, and where its entry may be read from: a
// function name (a functions.yml key, a function folder) is a plain name, an
// image a plain reference, and an artifact entry outside the project needs
// the user's own grant (--allow-read, <PREFIX>_ALLOW_READ). Pure but for realpath.
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../errors.ts'

/** Letters, digits, `.`, `_`, `-`, not starting with a dot: no `/`, `..`, `${`, spaces. */
const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/
/** An image reference as docker spells it: no spaces, quotes, commas or `${`. */
const REF = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/

export function checkFunctionName(where: string, name: string, fix: string): void {
  if (!PLAIN.test(name) || name.length > 128)
    throw new UsageError(
      `${where}: function name ${JSON.stringify(name.slice(0, 80))} is not a plain name (letters, digits, '.', '_', '-'; no '/', '..', '\${' or spaces); ${fix}`,
    )
}

export function checkImageName(where: string, image: string): void {
  if (!REF.test(image) || image.length > 512)
    throw new UsageError(
      `${where}: image ${JSON.stringify(image.slice(0, 80))} is not a plain image reference (no spaces, quotes, commas or '\${'); write <registry>/<name>:<tag>`,
    )
}

const real = (p: string) => {
  try {
    return fs.realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}
const within = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)

/** `dir` (symlinks resolved) is inside the project or one of the folders the user granted. */
export function readable(projectDir: string, grants: string[], dir: string): boolean {
  const r = real(dir)
  return [projectDir, ...grants].some((g) => within(r, real(g)))
}
