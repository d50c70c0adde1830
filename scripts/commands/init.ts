// docker esb init: start a new project with esb.toml and the bundled templates
// rendered for its brand. Refuses to overwrite anything that exists.
import fs from 'node:fs'
import path from 'node:path'
import type { CommandSpec } from './types.ts'
import { UsageError } from '../errors.ts'
import { settingsFrom } from '../project/context.ts'
import { CONFIG_FILE } from '../project/read.ts'
import { renderFor } from '../render/plan.ts'
import { Executor } from '../run/execute.ts'
import type { Step } from '../plan/types.ts'

/** The esb.toml init writes. Pure. */
export function initToml(brand: string): string {
  return [
    // a JSON string is a TOML basic string, except that TOML also wants DEL escaped
    `brand = ${JSON.stringify(brand).replace(/\x7f/g, '\\u007f')}`,
    '',
    '# build/up render the bundled templates for the brand before they run',
    '[templates]',
    'render = true',
    '',
  ].join('\n')
}

export const init: CommandSpec = {
  name: 'init',
  usage: '--brand B [-C DIR] [--dry-run]',
  summary: 'Start a new project: esb.toml and the bundled templates rendered for the brand (never overwrites)',
  flags: [['--dry-run', 'list the files it would write']],
  strings: [],
  booleans: [],
  common: true,
  async run(c) {
    if (!c.flags.brand) throw new UsageError("'docker esb init' needs --brand B (e.g. --brand acme)")
    const s = settingsFrom(c.flags, c.io)
    const tomlPath = path.join(s.projectDir, CONFIG_FILE)
    const r = renderFor(s)
    const taken = [tomlPath, ...r.rendered.map((x) => path.join(s.templates.out, x.relPath))].filter((p) => fs.existsSync(p))
    if (taken.length)
      throw new UsageError(
        `init writes only new files, and ${taken.map((p) => path.relative(c.io.cwd, p) || p).join(', ')} already exist(s); remove them or run init in an empty folder`,
      )
    const steps: Step[] = [
      { kind: 'write', why: 'project config', path: tomlPath, content: initToml(s.brand), mode: 0o644, reason: 'new' },
      ...r.writes,
    ]
    if (c.flags['dry-run']) {
      for (const st of steps) if (st.kind === 'write') c.io.out(`write ${st.path}\n`)
      return 0
    }
    await new Executor(c.runner).execute({ command: 'init', project: s.projectDir, mode: s.mode, env: {}, caches: {}, steps })
    c.io.err(
      `initialised ${s.projectDir} for brand ${s.brand}: ${CONFIG_FILE} and ${r.rendered.length} rendered files; next: docker esb build\n`,
    )
  },
}
