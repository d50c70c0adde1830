// From parsed command-line flags to Settings: shared by every command.
import path from 'node:path'
import { findProjectRoot } from './root.ts'
import { loadInputs } from './read.ts'
import { repoEnvName, resolveSettings, type Flags, type Settings } from './config.ts'
import type { Io } from '../io.ts'
import { confinePaths } from './paths.ts'
import { statePaths } from './names.ts'
import { checkStateFolder } from './statefs.ts'

/** The flags every project command takes, as minimist gives them. */
export interface CommonFlags {
  'project-dir'?: string
  brand?: string
  mode?: string
  env?: string
  tag?: string
  'env-file'?: string | string[]
  templates?: string
  out?: string
  provenance?: boolean
}

export function flagsFrom(f: CommonFlags): Flags {
  const envFiles = f['env-file'] === undefined ? [] : ([] as string[]).concat(f['env-file'])
  return {
    brand: f.brand,
    mode: f.mode,
    env: f.env,
    tag: f.tag,
    envFiles,
    templates: f.templates,
    out: f.out,
    provenance: f.provenance ? true : undefined,
  }
}

export function settingsFrom(f: CommonFlags, io: Io): Settings {
  const flags = flagsFrom(f)
  const repoVar = repoEnvName(flags.brand)
  const projectDir = findProjectRoot({ flag: f['project-dir'], repoEnv: { name: repoVar, value: io.env[repoVar] }, cwd: io.cwd })
  // env files and --templates/--out are relative to where the user stands
  const abs = {
    ...flags,
    envFiles: flags.envFiles?.map((p) => path.resolve(io.cwd, p)),
    templates: flags.templates && path.resolve(io.cwd, flags.templates),
    out: flags.out && path.resolve(io.cwd, flags.out),
  }
  const s = resolveSettings(loadInputs(projectDir, abs, io.env))
  for (const w of s.warnings) io.err(`docker esb: warning: ${w}\n`)
  // the state folder first: a symlinked one is named as such, not as an outside [cache] dir
  checkStateFolder(s.projectDir, statePaths(s.projectDir, s.ctx.HOME_DIR).state, true)
  confinePaths(s)
  if (s.cache.local) checkStateFolder(s.projectDir, s.cache.dir)
  return s
}
