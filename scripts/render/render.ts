// Branding renderer: pure functions that render templates, decide what to
// write and print drift. files.ts applies the decision.
import path from 'node:path'
import { createTwoFilesPatch } from 'diff'
import { UsageError } from '../errors.ts'
import type { BrandContext } from '../project/brand.ts'

export interface Template {
  /** path relative to the template root, with the `.tmpl` suffix */
  relPath: string
  content: string
  /** where the template came from, for error messages */
  source: string
}

export interface Rendered {
  /** output path relative to the output dir */
  relPath: string
  content: string
  template: string
}

const PLACEHOLDER_RE = /\{\{\s*([A-Z0-9_]+)\s*\}\}/g
// Anything still shaped like a placeholder after rendering, e.g. `{{ foo }}`.
const LEFTOVER_RE = /\{\{\s*([A-Z0-9_]+)\s*\}\}/

// `{{` then a name: what a placeholder, or a misspelled or unterminated one, starts with.
const OPENING_RE = /\{\{([ \t]*)([A-Za-z0-9_]+)([ \t]*)(\}\})?/g

/**
 * Refuses what looks like a placeholder gone wrong: a known key in another
 * case or spacing (`{{ slug }}`, `{{Slug}`) and an unterminated `{{SLUG` (no
 * `}}` left on its line). Other `{{` (Go/Helm templates: `{{.Name}}`,
 * `{{ lower }}`) pass through.
 */
function checkPlaceholders(text: string, ctx: BrandContext, where: string, withLine: boolean): void {
  for (const m of text.matchAll(OPENING_RE)) {
    const [all, , name, , close] = m
    const key = name.toUpperCase()
    if (close && name === key) continue // {{KEY}}: rendered (or an unknown-key error) below
    const at = withLine ? `${where}:${text.slice(0, m.index).split('\n').length}` : where
    const rest = text.slice(m.index + all.length).split('\n')[0]
    if (Object.hasOwn(ctx, key))
      throw new UsageError(`${at}: ${JSON.stringify(all)} is not a placeholder; write {{${key}}} (upper case, closed with }})`)
    if (!close && name === key && /[A-Z]/.test(name) && !rest.includes('}}'))
      throw new UsageError(
        `${at}: unterminated placeholder ${JSON.stringify(all)}; close it with }} (known: ${Object.keys(ctx).join(', ')})`,
      )
  }
}

/** `where` names the template for messages; `withLine`: add the line (false for a one-line output path). */
export function renderString(text: string, ctx: BrandContext, where: string, withLine = true): string {
  checkPlaceholders(text, ctx, where, withLine)
  const out = text.replace(PLACEHOLDER_RE, (_m, key: string) => {
    if (!Object.hasOwn(ctx, key))
      throw new UsageError(`${where}: unknown template key {{${key}}} (known: ${Object.keys(ctx).join(', ')})`)
    return ctx[key]
  })
  const left = LEFTOVER_RE.exec(out)
  if (left)
    throw new UsageError(
      `${where}: placeholder ${left[0]} is still present after rendering (a brand value must not contain a placeholder)`,
    )
  return out
}

/** Same newline handling as the reference tool (Python universal newlines). */
function normaliseNewlines(s: string): string {
  return s.replace(/\r\n?/g, '\n')
}

/** Renders every template; refuses output paths that escape the output dir. */
export function renderTemplates(templates: Template[], ctx: BrandContext): Rendered[] {
  const seen = new Map<string, string>()
  const out = templates.map((t) => {
    const relOut = renderString(t.relPath.replace(/\.tmpl$/, ''), ctx, `${t.source} (path)`, false)
    const norm = path.posix.normalize(relOut.split(path.sep).join('/'))
    if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../') || norm === '.') {
      throw new UsageError(
        `${t.source}: output path ${JSON.stringify(relOut)} is outside the output dir; template paths must be relative and stay inside it`,
      )
    }
    if (seen.has(norm)) throw new UsageError(`${t.source}: renders to ${norm}, same as ${seen.get(norm)}; rename one template`)
    seen.set(norm, t.source)
    return { relPath: norm, content: renderString(normaliseNewlines(t.content), ctx, t.source), template: t.source }
  })
  // a file and a folder of one name cannot both be written: refused before anything is
  for (const [p, src] of seen) {
    for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) {
      if (seen.has(d))
        throw new UsageError(
          `${src}: renders to ${p}, inside ${d}, which ${seen.get(d)} renders to as a file; rename one template`,
        )
    }
  }
  return out
}

export interface WriteAction {
  relPath: string
  content: string
  /** mode for new files; existing files keep theirs */
  mode: number | null
  reason: 'new' | 'changed'
}

export function newFileMode(relPath: string): number {
  return relPath.endsWith('.sh') ? 0o755 : 0o644
}

/** Decides what to write: only new or changed files. */
export function planWrites(rendered: Rendered[], states: Map<string, string | null>): WriteAction[] {
  const out: WriteAction[] = []
  for (const r of rendered) {
    const cur = states.get(r.relPath) ?? null
    if (cur === r.content) continue
    out.push({
      relPath: r.relPath,
      content: r.content,
      mode: cur === null ? newFileMode(r.relPath) : null,
      reason: cur === null ? 'new' : 'changed',
    })
  }
  return out
}

/** Unified diff current -> generated for each drifted file. */
export function driftDiffs(rendered: Rendered[], states: Map<string, string | null>): { relPath: string; diff: string }[] {
  const out = []
  for (const r of rendered) {
    const cur = states.get(r.relPath) ?? null
    if (cur === r.content) continue
    const patch = createTwoFilesPatch(
      `current/${r.relPath}`,
      `generated/${r.relPath}`,
      cur ?? '',
      r.content,
      cur === null ? '(missing)' : '',
      '',
      { context: 3 },
    )
    // drop jsdiff's "Index:"/"====" preamble; keep ---/+++ and hunks
    out.push({
      relPath: r.relPath,
      diff: patch
        .split('\n')
        .filter((l, i) => i > 1 || !(l.startsWith('Index:') || l.startsWith('===')))
        .join('\n'),
    })
  }
  return out
}
