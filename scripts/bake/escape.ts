// Bake reads `${...}` and `%{...}` in the strings of a JSON bake file as HCL
// templates. Every string docker esb writes into its generated bake file
// (contexts, tags, labels, cache destinations: paths and names that come from
// the project) is escaped, so it arrives as written. Pure.
import type { BakeFile, BakeTarget } from '../docker/bakefile.ts'

/** `${` -> `$${`, `%{` -> `%%{`: the template sequences of HCL, doubled. */
export const hclString = (v: string): string => v.replace(/([$%])\{/g, '$1$1{')

const deep = (v: unknown): unknown => {
  if (typeof v === 'string') return hclString(v)
  if (Array.isArray(v)) return v.map(deep)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [hclString(k), deep(x)]))
  return v
}

/** The bake file as docker esb writes it: every attribute of every target escaped, except `args` (bake/override.ts escapes them). */
export function hclEscape(json: BakeFile): BakeFile {
  const target: Record<string, BakeTarget> = {}
  for (const [t, def] of Object.entries(json.target))
    target[t] = Object.fromEntries(Object.entries(def).map(([k, v]) => [k, k === 'args' ? v : deep(v)])) as BakeTarget
  return { ...json, target }
}
