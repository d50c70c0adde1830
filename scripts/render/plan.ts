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

export interface RenderResult { rendered: Rendered[]; states: Map<string, string | null>; writes: Step[] }

export function renderFor(s: Settings): RenderResult {
  const templates = s.templates.dir ? loadTemplateDir(s.templates.dir) : bundledTemplates()
  const rendered = renderTemplates(templates, s.ctx)
  const states = readStates(s.templates.out, rendered)
  const writes: Step[] = planWrites(rendered, states).map((w) => ({
    kind: 'write', why: `render ${w.relPath}`, path: path.join(s.templates.out, w.relPath), content: w.content, mode: w.mode, reason: w.reason,
  }))
  return { rendered, states, writes }
}

/**
 * Runs `use` on the given project files as they WILL be after rendering: a
 * generated file whose content changes is put in a temp folder, so read-only
 * questions (bake --print, compose config) see the new content before anything is written.
 */
export async function withRendered<T>(s: Settings, r: RenderResult, files: string[], use: (paths: string[]) => Promise<T>): Promise<T> {
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
  try { return await use(paths) } finally { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }) }
}
