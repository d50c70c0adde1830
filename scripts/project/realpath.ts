// Where a path really is, symlinks resolved (for the checks that keep a
// repo's files from reaching outside the project). Reads the file system only.
import fs from 'node:fs'
import path from 'node:path'

/** The real path of `p`: symlinks of its longest existing prefix resolved, the rest kept. */
export function realish(p: string): string {
  let cur = path.resolve(p)
  const rest: string[] = []
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...rest.reverse())
    } catch {
      /* not there yet: look one folder up */
    }
    const up = path.dirname(cur)
    if (up === cur) return path.resolve(p)
    rest.push(path.basename(cur))
    cur = up
  }
}

/** `p` is `root` or below it, after symlinks (`strict`: below it only). */
export function realInside(root: string, p: string, strict = false): boolean {
  const r = realish(root)
  const x = realish(p)
  return (!strict && x === r) || x.startsWith(r.endsWith(path.sep) ? r : r + path.sep)
}
