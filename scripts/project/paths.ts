// A repo's own files (esb.toml, .env, templates) must not make docker esb
// write outside the repo: folders they name, and files rendered through
// symlinks, must resolve inside the project. Paths the user gives on the
// command line (--out, --templates) are the user's choice and are not confined.
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../errors.ts'
import type { Settings } from './config.ts'
import { realInside, realish } from './realpath.ts'

export { realInside, realish } from './realpath.ts'

/** The first existing part of `p` (itself or a parent) that is not a folder, after symlinks; null if none. */
export function notFolder(p: string): string | null {
  for (let cur = path.resolve(p); ; cur = path.dirname(cur)) {
    try {
      fs.lstatSync(cur)
    } catch {
      if (path.dirname(cur) === cur) return null
      continue
    }
    // there: a folder, or a link to one, is fine; a file or a dangling link is not
    try {
      return fs.statSync(cur).isDirectory() ? null : cur
    } catch {
      return cur
    }
  }
}

/** Folders docker esb writes into, named by the project's files: each must be inside the project. */
export function confinePaths(s: Settings): void {
  const given = s.templates.given
  const tf = 'esb.toml'
  const check = (p: string, what: string, strict: boolean, fix: string) => {
    if (!realInside(s.projectDir, p, strict))
      throw new UsageError(
        `${tf}: ${what} ${p} is outside the project ${s.projectDir}${strict ? ' (or is the project itself)' : ''}; ${fix}`,
      )
  }
  // the bake gets --allow fs.write for this folder: never the project itself or anything above it
  check(s.cache.dir, '[cache] dir', true, 'name a folder inside the project, e.g. leave it out for the default')
  if (!given.out)
    check(s.templates.out, '[templates] out', false, 'name a folder inside the project, or give --out on the command line')
  // a file where a folder is to be made would stop a run half way, after other files were written
  const folders: [string, string][] = [
    [s.cache.dir, `${tf}: [cache] dir`],
    [s.templates.out, given.out ? '--out' : `${tf}: [templates] out`],
  ]
  for (const [p, what] of folders) {
    const file = notFolder(p)
    if (file)
      throw new UsageError(
        `${what} ${p}${file === p ? ' is not a folder' : `: ${file} is not a folder`}; name a folder, or move that file away`,
      )
  }
  // bake and compose read these files themselves: the repo's config names only its own
  for (const f of s.bake.files)
    check(path.resolve(s.projectDir, f), '[bake] files entry', false, 'name a bake file inside the project')
  for (const f of s.compose.files)
    check(
      path.resolve(s.projectDir, f.replaceAll('{mode}', s.mode)),
      '[compose] files entry',
      false,
      'name a compose file inside the project',
    )
  if (!given.templates && s.templates.dir)
    check(s.templates.dir, '[templates] dir', false, 'name a folder inside the project, or give --templates on the command line')
  if (s.builder.generateConfig)
    check(s.builder.buildkitdConfig, 'the buildkitd config', false, 'set BUILDKITD_CONFIG to a file inside the project')
}

/** Every file in a template folder, followed through symlinks, must stay in that folder. */
export function checkTemplateTree(dir: string): void {
  // called for [templates] dir only (not --templates): say so before walking it
  let st: fs.Stats | null = null
  try {
    st = fs.statSync(dir)
  } catch {
    /* missing: said below */
  }
  if (!st?.isDirectory())
    throw new UsageError(
      `esb.toml: [templates] dir ${dir} ${st ? 'is not a folder' : 'does not exist'}; name a folder of *.tmpl files inside the project`,
    )
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isSymbolicLink() && !realInside(dir, p))
        throw new UsageError(
          `template ${p} is a symlink to ${realish(p)}, outside the template folder ${dir}; copy the file in instead`,
        )
      if (e.isDirectory()) walk(p)
    }
  }
  walk(dir)
}
