// Where templates come from: a project's own folder, or the set bundled
// into dist/docker-esb at build time (esbuild defines __ESB_TEMPLATES__).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError } from '../errors.ts'
import type { Template } from './render.ts'
import { compareText } from '../sort.ts'

declare const __ESB_TEMPLATES__: Record<string, string> | undefined

/** What a path that is not a regular file is, for messages. */
export function fileKindOf(st: fs.Stats): string {
  return st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a folder' : st.isSocket() ? 'a socket' : 'a device'
}

/** Reads a template only if it is a regular file (after symlinks): a FIFO or device would block the read forever. */
function readRegular(file: string): string {
  const st = fs.statSync(file)
  if (!st.isFile())
    throw new UsageError(`template ${file} is not a regular file (${fileKindOf(st)}); replace it with a file or remove it`)
  return fs.readFileSync(file, 'utf8')
}

/** Reads every `*.tmpl` below dir (sorted, so output order is stable). */
export function loadTemplateDir(dir: string): Template[] {
  let st: fs.Stats
  try {
    st = fs.statSync(dir)
  } catch {
    throw new UsageError(
      `templates dir ${dir} does not exist; set [templates] dir in esb.toml or --templates to a folder of *.tmpl files`,
    )
  }
  if (!st.isDirectory())
    throw new UsageError(`templates dir ${dir} is not a folder; point --templates at a folder of *.tmpl files`)
  const out: Template[] = []
  const walk = (rel: string) => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => compareText(a.name, b.name))) {
      const r = rel ? `${rel}/${ent.name}` : ent.name
      if (ent.isDirectory()) walk(r)
      else if (ent.name.endsWith('.tmpl'))
        out.push({ relPath: r, content: readRegular(path.join(dir, r)), source: path.join(dir, r) })
    }
  }
  walk('')
  if (out.length === 0) throw new UsageError(`templates dir ${dir} holds no *.tmpl files`)
  return out
}

/** The bundled default set. In the bundle it is inlined; from source it is read from templates/. */
export function bundledTemplates(): Template[] {
  if (typeof __ESB_TEMPLATES__ !== 'undefined') {
    return Object.keys(__ESB_TEMPLATES__)
      .sort()
      .map((rel) => ({ relPath: rel, content: __ESB_TEMPLATES__![rel], source: `(bundled)/${rel}` }))
  }
  const here = path.dirname(fileURLToPath(import.meta.url))
  return loadTemplateDir(path.join(here, '..', '..', 'templates'))
}
