// Rendering as a plan: the brand's templates rendered in memory, and the
// write steps for files whose content changes. Writes nothing.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import type { Step } from '../plan/types.ts'
import { loadTemplateDir, bundledTemplates } from './templates.ts'
import { renderTemplates, planWrites, type Rendered } from './render.ts'
import { readStates } from './files.ts'
import { recordWrites, refusedWrites, selectFiles, type Written } from './ownership.ts'
import { statePaths } from '../project/names.ts'
import { UsageError } from '../errors.ts'
import { checkTemplateTree } from '../project/paths.ts'

export interface RenderResult {
  rendered: Rendered[]
  states: Map<string, string | null>
  /** the rendered files to write, then the updated record of what docker esb wrote */
  writes: Step[]
  /** files that would change but are not docker esb's to overwrite */
  refused: string[]
}

/** What docker esb last wrote where (`.<slug>/written.json`); paths relative to the output dir. */
export function readWritten(s: Settings): Written {
  try {
    return JSON.parse(fs.readFileSync(statePaths(s.projectDir, s.ctx.HOME_DIR).written, 'utf8')) as Written
  } catch {
    return {}
  }
}

/** Renders the selected templates in memory and decides what to write. Reads only. */
export function renderFor(s: Settings): RenderResult {
  if (s.templates.dir && !s.templates.given.templates) checkTemplateTree(s.templates.dir)
  const templates = s.templates.dir ? loadTemplateDir(s.templates.dir) : bundledTemplates()
  const rendered = selectFiles(renderTemplates(templates, s.ctx), s.templates.files)
  // the record of what was written goes to .<slug>/written.json: an output on its way would fail the run half way
  const record = statePaths(s.projectDir, s.ctx.HOME_DIR).written
  const clash = rendered.find((x) => {
    const p = path.join(s.templates.out, x.relPath)
    return p === record || record.startsWith(p + path.sep)
  })
  if (clash)
    throw new UsageError(
      `${clash.template}: renders to ${path.join(s.templates.out, clash.relPath)}, where docker esb keeps its record ${record}; rename the template`,
    )
  if (s.templates.files && rendered.length === 0)
    throw new UsageError(
      `esb.toml: [templates] files ${JSON.stringify(s.templates.files)} selects no template; name rendered output paths like "docker-bake.hcl" or "docker-compose.*.yml"`,
    )
  const states = readStates(s.templates.out, rendered)
  const actions = planWrites(rendered, states)
  const written = readWritten(s)
  const refused = refusedWrites(
    actions.map((a) => ({ relPath: a.relPath, current: states.get(a.relPath) ?? null })),
    written,
  )
  const writes: Step[] = actions.map((w) => ({
    kind: 'write',
    why: `render ${w.relPath}`,
    path: path.join(s.templates.out, w.relPath),
    content: w.content,
    mode: w.mode,
    reason: w.reason,
  }))
  if (actions.length) {
    const record = recordWrites(written, actions)
    writes.push({
      kind: 'write',
      why: 'record what docker esb wrote (it never overwrites files it did not write)',
      path: statePaths(s.projectDir, s.ctx.HOME_DIR).written,
      content: JSON.stringify(record, null, 2) + '\n',
      mode: 0o644,
      reason: 'changed',
    })
  }
  return { rendered, states, writes, refused }
}

/** Stops before anything is written when a file that is not docker esb's would change. */
export function checkOwnership(r: RenderResult, s: Settings, force: boolean): void {
  if (force || r.refused.length === 0) return
  const shown = r.refused
    .slice(0, 4)
    .map((f) => path.join(path.relative(s.projectDir, s.templates.out), f))
    .join(', ')
  throw new UsageError(
    `refusing to overwrite ${shown}${r.refused.length > 4 ? ` and ${r.refused.length - 4} more` : ''}: not written by docker esb (no generator header); set [templates] files in esb.toml to leave them out, or run 'docker esb render --force' to overwrite`,
  )
}

/** The render result build/up use: nothing unless the project asks for rendering. */
export function renderForStack(s: Settings): RenderResult {
  if (!s.templates.render) return { rendered: [], states: new Map(), writes: [], refused: [] }
  const r = renderFor(s)
  checkOwnership(r, s, false)
  return r
}

/**
 * Runs `use` on the given project files as they WILL be after rendering: a
 * generated file whose content changes is put in a temp folder, so read-only
 * questions (bake --print, compose config) see the new content before anything is written.
 */
export async function withRendered<T>(
  s: Settings,
  r: RenderResult,
  files: string[],
  use: (paths: string[]) => Promise<T>,
): Promise<T> {
  let tmp: string | null = null
  const paths = files.map((f) => {
    const abs = path.resolve(s.projectDir, f)
    const hit = r.rendered.find((x) => path.join(s.templates.out, x.relPath) === abs)
    if (!hit || r.states.get(hit.relPath) === hit.content) return abs
    tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'docker-esb-plan-'))
    const p = path.join(tmp, path.basename(abs))
    fs.writeFileSync(p, hit.content)
    return p
  })
  try {
    return await use(paths)
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
  }
}
