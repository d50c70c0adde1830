// docker esb render: render the brand's templates, or check them for drift (--check).
import path from 'node:path'
import type { CommandSpec } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { checkOwnership, renderFor } from '../render/plan.ts'
import { driftDiffs } from '../render/render.ts'
import { Executor } from '../run/execute.ts'

export const render: CommandSpec = {
  name: 'render',
  usage: '[--brand B] [--templates DIR] [--out DIR] [--check] [--force]',
  summary: "Render the brand's templates (docker-compose.*.yml, docker-bake.hcl, meta/meta.go, ...)",
  details:
    'Only files whose content changed are written; existing files keep their mode. A file that docker esb did\nnot write (no generator header, not what it last wrote) is never overwritten unless --force.\n--check writes nothing, prints a unified diff (current -> generated) per drifted file and exits 1.',
  flags: [
    ['--templates DIR', 'template folder (default: [templates] dir in esb.toml, else the bundled set)'],
    ['--out DIR', 'output folder (default: the project root)'],
    ['--check', 'compare only; exit 1 on drift (for CI)'],
    ['--force', 'overwrite files docker esb did not write'],
  ],
  strings: ['templates', 'out'],
  booleans: ['check', 'force'],
  common: true,
  async run({ flags, io, runner }) {
    const s = settingsFrom(flags, io)
    const r = renderFor(s)
    const rel = (p: string) => path.relative(io.cwd, p) || '.'
    if (flags.check) {
      const diffs = driftDiffs(r.rendered, r.states)
      for (const d of diffs) io.out(`Diff for ${rel(path.join(s.templates.out, d.relPath))}:\n${d.diff}\n`)
      if (diffs.length) {
        io.err(
          `docker esb: ${diffs.length} of ${r.rendered.length} generated files are out of date for brand ${JSON.stringify(s.brand)} (from ${s.sources.brand}); the diffs above show what rendering would change\n`,
        )
        return 1
      }
      io.err(`${r.rendered.length} generated files up to date (brand ${s.brand})\n`)
      return 0
    }
    checkOwnership(r, s, !!flags.force)
    await new Executor(runner).execute({
      command: 'render',
      project: s.projectDir,
      mode: s.mode,
      env: {},
      caches: {},
      steps: r.writes,
    })
    const files = r.writes.filter(
      (w) => w.kind === 'write' && r.rendered.some((x) => path.join(s.templates.out, x.relPath) === w.path),
    )
    for (const w of files) if (w.kind === 'write') io.err(`${w.reason === 'new' ? 'created' : 'updated'} ${rel(w.path)}\n`)
    io.err(
      `brand ${s.brand} (${s.slug}/${s.prefix}, from ${s.sources.brand}): ${files.length} written, ${r.rendered.length - files.length} unchanged\n`,
    )
  },
}
