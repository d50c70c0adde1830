// The docker config folder (credentials, plugins, contexts): --config, else
// DOCKER_CONFIG, else ~/.docker, as the Docker CLI picks it.
import os from 'node:os'
import path from 'node:path'

/** Where docker keeps its config when neither --config nor DOCKER_CONFIG says. */
export const DEFAULT_DOCKER_CONFIG = path.join(os.homedir(), '.docker')

/** The docker config folder: --config, else DOCKER_CONFIG, else ~/.docker (as the Docker CLI picks it). */
export function dockerConfigDir(globalFlags: string[], env: Record<string, string | undefined>, cwd: string): string {
  for (let i = 0; i < globalFlags.length; i++) {
    if (globalFlags[i] === '--config' && i + 1 < globalFlags.length) return path.resolve(cwd, globalFlags[i + 1])
    if (globalFlags[i].startsWith('--config=')) return path.resolve(cwd, globalFlags[i].slice(9))
  }
  return env.DOCKER_CONFIG
    ? path.resolve(cwd, env.DOCKER_CONFIG)
    : env.HOME
      ? path.join(env.HOME, '.docker')
      : DEFAULT_DOCKER_CONFIG
}
