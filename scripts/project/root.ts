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
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
      throw new UsageError(`${where}: ${dir} is not a folder; point it at the project root`)
    return path.resolve(dir)
  }
  if (opts.flag !== undefined) return check(path.resolve(opts.cwd, opts.flag), '--project-dir')
  if (opts.repoEnv?.value) return check(path.resolve(opts.cwd, opts.repoEnv.value), `environment variable ${opts.repoEnv.name}`)
  let dir = path.resolve(opts.cwd)
  for (;;) {
    if (MARKERS.some((m) => fs.existsSync(path.join(dir, m)))) return dir
    const up = path.dirname(dir)
    if (up === dir) return path.resolve(opts.cwd) // none found: the current folder is the project
    dir = up
  }
}
