// Settings for unit tests, resolved the way a command resolves them
// (resolveSettings, pure), from a project that exists only in memory at /p
// or from a temp project on disk; and the temp folders tests make.
// Every folder lives under os.tmpdir(), which test/run.mjs points at one
// folder per layer and removes afterwards.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { resolveSettings, type Inputs, type Settings } from '../../scripts/project/config.ts'
import { parseToml } from '../../scripts/project/read.ts'

/** The project folder of in-memory projects: nothing is read from or written there. */
export const PROJECT = '/p'

/** The inputs of a project with no esb.toml, branding file, env file, variable or flag; `over` replaces any of them. */
export function inputs(over: Partial<Inputs> = {}): Inputs {
  return { projectDir: PROJECT, flags: {}, processEnv: {}, toml: null, brandingYaml: null, envFiles: [], ...over }
}

/** esb.toml with this text, as read from `dir`. */
export function tomlIn(text: string, dir = PROJECT): NonNullable<Inputs['toml']> {
  const file = path.join(dir, 'esb.toml')
  return { file, data: parseToml(file, text), text }
}

/** Settings of the in-memory project at /p: defaults, or what `over` gives. */
export function settings(over: Partial<Inputs> = {}): Settings {
  return resolveSettings(inputs(over))
}

/** Settings of the in-memory project at /p (or `over.projectDir`) whose esb.toml is `text`. */
export function tomlSettings(text: string, over: Partial<Omit<Inputs, 'toml'>> = {}): Settings {
  return settings({ ...over, toml: tomlIn(text, over.projectDir ?? PROJECT) })
}

/** A new empty folder under the temp folder. */
export function tempDir(prefix = 'esb-unit-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** Removes folders a test made (missing ones too). */
export function removeTemp(...dirs: string[]): void {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
}

/**
 * The settings of the project in `dir` whose esb.toml is `text`: the file is
 * written there (text null: no esb.toml, none written), then resolved.
 */
export function projectSettings(dir: string, text: string | null, over: Partial<Omit<Inputs, 'toml' | 'projectDir'>> = {}) {
  if (text === null) return settings({ ...over, projectDir: dir })
  fs.writeFileSync(path.join(dir, 'esb.toml'), text)
  return tomlSettings(text, { ...over, projectDir: dir })
}

/** A temp project (a new folder, with esb.toml when `text` is given) and its settings; `remove` deletes the folder. */
export function tempProject(
  text: string | null = null,
  over: Partial<Omit<Inputs, 'toml' | 'projectDir'>> = {},
  prefix = 'esb-project-',
): { dir: string; settings: Settings; remove: () => void } {
  const dir = tempDir(prefix)
  return { dir, settings: projectSettings(dir, text, over), remove: () => removeTemp(dir) }
}
