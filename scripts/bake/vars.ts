// Bake variables the project's bake files declare. An existing ESB bake file
// tags `${REGISTRY}<slug>-<target>:latest`: docker esb sets REGISTRY (and
// TAG, <PREFIX>_TAG, <PREFIX>_REGISTRY) when, and only when, they are declared.
import fs from 'node:fs'
import type { Settings } from '../project/config.ts'
import type { Env } from '../plan/types.ts'

/** `variable "NAME"` (or `variable NAME`) blocks of HCL files, `variable` keys of JSON ones. Reads files. */
export function declaredVariables(files: string[]): string[] {
  const out = new Set<string>()
  for (const f of files) {
    let text: string
    try {
      text = fs.readFileSync(f, 'utf8')
    } catch {
      continue
    }
    if (f.endsWith('.json')) {
      try {
        for (const k of Object.keys((JSON.parse(text) as { variable?: object }).variable ?? {})) out.add(k)
      } catch {
        /* bake reports it */
      }
    } else {
      // HCL takes the label quoted or bare: `variable "TAG" {}`, `variable TAG {}`
      for (const m of text.matchAll(/^\s*variable\s+(?:"([A-Za-z_][A-Za-z0-9_]*)"|([A-Za-z_][A-Za-z0-9_]*)\s*\{)/gm))
        out.add(m[1] ?? m[2])
    }
  }
  return [...out].sort()
}

/** Values for the declared registry/tag variables. Pure. */
export function bakeVariableEnv(s: Settings, declared: string[]): Env {
  const want: Env = {
    REGISTRY: `${s.registry.buildAddress}/`,
    TAG: s.tag,
    [`${s.prefix}_REGISTRY`]: `${s.registry.buildAddress}/`,
    [`${s.prefix}_TAG`]: s.tag,
  }
  return Object.fromEntries(Object.entries(want).filter(([k]) => declared.includes(k)))
}
