// Finds the project root: -C, else <PREFIX>_REPO, else the nearest ancestor
// holding esb.toml or a docker-compose.{docker,containerd}.yml.
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../errors.ts'

export const MARKERS = ['esb.toml', 'docker-compose.docker.yml', 'docker-compose.containerd.yml']

export function findProjectRoot(opts: {
  flag?: string
  repoEnv?: { name: string; value: string | undefined }
  cwd: string
}): string {
  const check = (dir: string, where: string) => {
    let isDir = false
    try {
      isDir = fs.statSync(dir).isDirectory()
    } catch (err) {
      // a folder on a path we may not search: ENOENT would hide EACCES
      if (!['ENOENT', 'ENOTDIR'].includes(String((err as NodeJS.ErrnoException).code))) unreadable(dir, where, err)
    }
    if (!isDir) throw new UsageError(`${where}: ${dir} is not a folder; point it at the project root`)
    try {
      // esb.toml and the rest must be seen: an unreadable folder would look like a project without them
      fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK)
      fs.readdirSync(dir)
    } catch (err) {
      unreadable(dir, where, err)
    }
    return path.resolve(dir)
  }
  if (opts.flag !== undefined) return check(path.resolve(opts.cwd, opts.flag), '--project-dir')
  if (opts.repoEnv?.value) return check(path.resolve(opts.cwd, opts.repoEnv.value), `environment variable ${opts.repoEnv.name}`)
  let dir = path.resolve(opts.cwd)
  for (;;) {
    if (MARKERS.some((m) => fs.existsSync(path.join(dir, m)))) return check(dir, 'the project folder')
    const up = path.dirname(dir)
    if (up === dir) return check(path.resolve(opts.cwd), 'the current folder') // none found: the current folder is the project
    dir = up
  }
}

function unreadable(dir: string, where: string, err: unknown): never {
  const e = err as NodeJS.ErrnoException
  throw new UsageError(
    `${where}: cannot read the folder ${dir} (${e.code ?? e.message}); give yourself read and search permission on it (chmod u+rx)`,
  )
}
