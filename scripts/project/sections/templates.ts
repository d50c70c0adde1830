// [templates]: where the templates come from, where they render to, which of
// them render, and whether build/up render first. Flags win over esb.toml. Pure.
import path from 'node:path'
import type { Lookup } from '../lookup.ts'
import type { Section } from '../schema.ts'

export interface TemplatesSettings {
  dir: string | null
  out: string
  given: { out: boolean; templates: boolean }
  /** which templates render (names or globs of output paths); null: all */
  files: string[] | null
  /** render before build/up ([templates] render; default: when [templates] dir or files is set) */
  render: boolean
}

export function resolveTemplates(l: Lookup, tp: Section<'templates'>): TemplatesSettings {
  const { flags, projectDir } = l
  return {
    dir:
      flags.templates !== undefined
        ? path.resolve(flags.templates)
        : tp.dir !== undefined
          ? path.resolve(projectDir, tp.dir)
          : null,
    out: flags.out !== undefined ? path.resolve(flags.out) : path.resolve(projectDir, tp.out ?? '.'),
    files: tp.files ?? null,
    /** --out / --templates came from the command line (the user's own choice: not confined to the project) */
    given: { out: flags.out !== undefined, templates: flags.templates !== undefined },
    // build/up render only a project that asks for it: an existing repo's files are its own
    render: tp.render ?? (tp.dir !== undefined || tp.files !== undefined),
  }
}
