// From parsed flags to Settings and rendered files: shared by every command.
import path from 'node:path'
import { findProjectRoot } from './project.ts'
import { loadInputs, repoEnvName, resolveSettings, type Flags, type Settings } from './config.ts'
import { loadTemplateDir, bundledTemplates } from './templates.ts'
import { readStates, renderTemplates, planWrites, type Rendered } from './render.ts'
import type { Step } from './plan.ts'
import type { Io } from './cli.ts'

export function flagsFrom(f: Record<string, any>): Flags {
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

export function settingsFrom(f: Record<string, any>, io: Io): Settings {
  const flags = flagsFrom(f)
  const repoVar = repoEnvName(flags.brand)
  const projectDir = findProjectRoot({ flag: f['project-dir'], repoEnv: { name: repoVar, value: io.env[repoVar] }, cwd: io.cwd })
  // env files and --templates/--out are relative to where the user stands
  const abs = { ...flags, envFiles: flags.envFiles?.map((p) => path.resolve(io.cwd, p)), templates: flags.templates && path.resolve(io.cwd, flags.templates), out: flags.out && path.resolve(io.cwd, flags.out) }
  return resolveSettings(loadInputs(projectDir, abs, io.env))
}

export interface RenderResult { rendered: Rendered[]; states: Map<string, string | null>; writes: Step[] }

/** Renders the brand's templates in memory and decides which files change. Writes nothing. */
export function renderFor(s: Settings): RenderResult {
  const templates = s.templates.dir ? loadTemplateDir(s.templates.dir) : bundledTemplates()
  const rendered = renderTemplates(templates, s.ctx)
  const states = readStates(s.templates.out, rendered)
  const writes: Step[] = planWrites(rendered, states).map((w) => ({
    kind: 'write', why: `render ${w.relPath}`, path: path.join(s.templates.out, w.relPath), content: w.content, mode: w.mode, reason: w.reason,
  }))
  return { rendered, states, writes }
}
