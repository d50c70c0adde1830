// Branding renderer. Pure functions decide (render, compare, diff); the
// single writer at the bottom applies the decision.
import fs from 'node:fs'
import path from 'node:path'
import { createTwoFilesPatch } from 'diff'
import { UsageError } from './errors.ts'
import type { BrandContext } from './brand.ts'

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

export function renderString(text: string, ctx: BrandContext, where: string): string {
  const out = text.replace(PLACEHOLDER_RE, (_m, key: string) => {
    if (!Object.hasOwn(ctx, key)) throw new UsageError(`${where}: unknown template key {{${key}}} (known: ${Object.keys(ctx).join(', ')})`)
    return ctx[key]
  })
  const left = LEFTOVER_RE.exec(out)
  if (left) throw new UsageError(`${where}: placeholder ${left[0]} is still present after rendering (a brand value must not contain a placeholder)`)
  return out
}

/** Same newline handling as the reference tool (Python universal newlines). */
function normaliseNewlines(s: string): string {
  return s.replace(/\r\n?/g, '\n')
}

/** Renders every template; refuses output paths that escape the output dir. */
export function renderTemplates(templates: Template[], ctx: BrandContext): Rendered[] {
  const seen = new Map<string, string>()
  return templates.map((t) => {
    const relOut = renderString(t.relPath.replace(/\.tmpl$/, ''), ctx, `${t.source} (path)`)
    const norm = path.posix.normalize(relOut.split(path.sep).join('/'))
    if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../') || norm === '.') {
      throw new UsageError(`${t.source}: output path ${JSON.stringify(relOut)} is outside the output dir; template paths must be relative and stay inside it`)
    }
    if (seen.has(norm)) throw new UsageError(`${t.source}: renders to ${norm}, same as ${seen.get(norm)}; rename one template`)
    seen.set(norm, t.source)
    return { relPath: norm, content: renderString(normaliseNewlines(t.content), ctx, t.source), template: t.source }
  })
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
    out.push({ relPath: r.relPath, content: r.content, mode: cur === null ? newFileMode(r.relPath) : null, reason: cur === null ? 'new' : 'changed' })
  }
  return out
}

/** Unified diff current -> generated for each drifted file. */
export function driftDiffs(rendered: Rendered[], states: Map<string, string | null>): { relPath: string; diff: string }[] {
  const out = []
  for (const r of rendered) {
    const cur = states.get(r.relPath) ?? null
    if (cur === r.content) continue
    const patch = createTwoFilesPatch(`current/${r.relPath}`, `generated/${r.relPath}`, cur ?? '', r.content, cur === null ? '(missing)' : '', '', { context: 3 })
    // drop jsdiff's "Index:"/"====" preamble; keep ---/+++ and hunks
    out.push({ relPath: r.relPath, diff: patch.split('\n').filter((l, i) => i > 1 || !(l.startsWith('Index:') || l.startsWith('==='))).join('\n') })
  }
  return out
}

// ---- file system side ----

/** Resolves `rel` under `root` and refuses symlinks that lead outside it. */
export function safeJoin(root: string, rel: string): string {
  const full = path.resolve(root, rel)
  const realRoot = realPathOfNearest(path.resolve(root))
  const realFull = realPathOfNearest(full)
  if (realFull !== realRoot && !realFull.startsWith(realRoot + path.sep)) {
    throw new UsageError(`${rel}: output would land outside ${root} (through a symlink); remove the link or choose another --out`)
  }
  return full
}

/** Real path of p, resolving symlinks of the deepest part that exists. */
function realPathOfNearest(p: string): string {
  let probe = p
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe)
  return path.join(fs.realpathSync(probe), path.relative(probe, p))
}

export function readStates(outDir: string, rendered: Rendered[]): Map<string, string | null> {
  const m = new Map<string, string | null>()
  for (const r of rendered) {
    const p = safeJoin(outDir, r.relPath)
    let cur: string | null = null
    try { cur = fs.readFileSync(p, 'utf8') } catch (e: any) { if (e.code !== 'ENOENT') throw new UsageError(`${p}: cannot read (${e.code}); fix its permissions`) }
    m.set(r.relPath, cur)
  }
  return m
}

/** Writes one file (absolute path) like applyWrites; mode null keeps an existing file's mode. */
export function writeFileAtomic(file: string, content: string, mode: number | null = 0o644): void {
  applyWrites(path.dirname(file), [{ relPath: path.basename(file), content, mode, reason: 'changed' }])
}

/** Writes each file through a temp file + rename, so a reader never sees half a file. */
export function applyWrites(outDir: string, actions: WriteAction[]): void {
  for (const a of actions) {
    const p = safeJoin(outDir, a.relPath)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    const mode = a.mode ?? (fs.statSync(p).mode & 0o7777)
    const tmp = `${p}.esb-tmp-${process.pid}`
    fs.writeFileSync(tmp, a.content, { mode })
    fs.chmodSync(tmp, mode)
    fs.renameSync(tmp, p)
  }
}
