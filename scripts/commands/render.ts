// docker esb render: render the brand's templates, or check them for drift (--check).
import path from 'node:path'
import type { CommandSpec } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { renderFor } from '../render/plan.ts'
import { driftDiffs } from '../render/render.ts'
import { applyWrites } from '../render/files.ts'

export const render: CommandSpec = {
  name: 'render',
  usage: '[--brand B] [--templates DIR] [--out DIR] [--check]',
  summary: "Render the brand's templates (docker-compose.*.yml, docker-bake.hcl, meta/meta.go, ...)",
  details: 'Only files whose content changed are written; existing files keep their mode.\n--check writes nothing, prints a unified diff (current -> generated) per drifted file and exits 1.',
  flags: [
    ['--templates DIR', 'template folder (default: [templates] dir in esb.toml, else the bundled set)'],
    ['--out DIR', 'output folder (default: the project root)'],
    ['--check', 'compare only; exit 1 on drift (for CI)'],
  ],
  strings: ['templates', 'out'],
  booleans: ['check'],
  common: true,
  async run({ flags, io }) {
    const s = settingsFrom(flags, io)
    const r = renderFor(s)
    const rel = (p: string) => path.relative(io.cwd, p) || '.'
    if (flags.check) {
      const diffs = driftDiffs(r.rendered, r.states)
      for (const d of diffs) io.out(`Diff for ${rel(path.join(s.templates.out, d.relPath))}:\n${d.diff}\n`)
      if (diffs.length) {
        io.err(`docker esb: ${diffs.length} of ${r.rendered.length} generated files are out of date for brand ${JSON.stringify(s.brand)}; run 'docker esb render'\n`)
        return 1
      }
      io.err(`${r.rendered.length} generated files up to date (brand ${s.brand})\n`)
      return 0
    }
    const writes = r.writes.flatMap((w) => (w.kind === 'write' ? [{ relPath: path.relative(s.templates.out, w.path), content: w.content, mode: w.mode, reason: w.reason }] : []))
    applyWrites(s.templates.out, writes)
    for (const w of writes) io.err(`${w.reason === 'new' ? 'created' : 'updated'} ${rel(path.join(s.templates.out, w.relPath))}\n`)
    io.err(`brand ${s.brand} (${s.slug}/${s.prefix}): ${writes.length} written, ${r.rendered.length - writes.length} unchanged\n`)
  },
}
