// What a Dockerfile pulls in from outside its context: its `# syntax=`
// frontend, base images (FROM, COPY --from, RUN --mount from=), and what
// makes its result unknowable without building (ADD of a URL or git repo). Pure.

export interface DockerfileRefs {
  /** image references outside the build: not stages, not named contexts, not scratch */
  images: string[]
  /** the `# syntax=` frontend image as written, or null (the builder's own) */
  syntax: string | null
  /** the build stages' names (`FROM x AS name`), lowercased: a named context of that name would replace the stage */
  stages: string[]
  /** why this Dockerfile must always be built, or null */
  never: string | null
}

/** `${X}`, `${X:-d}`, `$X` from build args and the global ARG defaults. */
function expand(v: string, args: Record<string, string>): string {
  return v.replace(
    /\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g,
    (_m, a: string | undefined, d: string | undefined, b: string | undefined) => {
      const k = (a ?? b)!
      const x = args[k]
      return x !== undefined && x !== '' ? x : (d ?? '')
    },
  )
}

/** Joins continuation lines; drops comments (the `# syntax=` directive is read apart). */
function instructions(text: string): string[] {
  const out: string[] = []
  let cur = ''
  for (const raw of text.split(/\r?\n/)) {
    const l = raw.trim()
    if (!cur && (l.startsWith('#') || !l)) continue
    if (l.endsWith('\\')) {
      cur += l.slice(0, -1) + ' '
      continue
    }
    out.push(cur + l)
    cur = ''
  }
  if (cur.trim()) out.push(cur)
  return out
}

/**
 * The `# syntax=` parser directive as BuildKit reads it (frontend/dockerfile/parser/directives.go):
 * only in the leading `# key=value` lines (after a BOM or `#!` line); any other line ends them.
 */
function syntaxDirective(text: string): string | null {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  if (lines[0]?.startsWith('#!')) lines.shift()
  for (const l of lines) {
    if (!l.startsWith('#')) return null
    const m = /^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(l.slice(1).trimStart())
    if (!m || !['syntax', 'escape', 'check'].includes(m[1].toLowerCase())) return null
    if (m[1].toLowerCase() === 'syntax') return m[2]
  }
  return null
}

export function dockerfileRefs(
  text: string,
  buildArgs: Record<string, string | null | undefined>,
  namedContexts: string[],
): DockerfileRefs {
  const syntax = syntaxDirective(text)
  const args: Record<string, string> = {}
  const given: Record<string, string> = {}
  for (const [k, v] of Object.entries(buildArgs)) if (typeof v === 'string') given[k] = v
  const stages = new Set<string>()
  const images = new Set<string>()
  const contexts = new Set(namedContexts)
  let inStage = false
  const external = (ref: string) => {
    if (!ref || ref === 'scratch' || stages.has(ref.toLowerCase()) || contexts.has(ref) || /^\d+$/.test(ref)) return
    images.add(ref)
  }
  for (const ins of instructions(text)) {
    const [word, ...rest] = ins.split(/\s+/)
    const cmd = word.toUpperCase()
    const line = rest.join(' ')
    if (cmd === 'ARG' && !inStage) {
      // global ARGs: defaults for FROM lines, overridden by build args
      for (const a of line.split(/\s+/)) {
        const m = /^(\w+)(?:=(.*))?$/.exec(a)
        if (m) args[m[1]] = given[m[1]] ?? expand((m[2] ?? '').replace(/^["']|["']$/g, ''), args)
      }
    } else if (cmd === 'FROM') {
      inStage = true
      const parts = line.split(/\s+/).filter((p) => !p.startsWith('--'))
      external(expand(parts[0] ?? '', { ...args }))
      if (parts[1]?.toUpperCase() === 'AS' && parts[2]) stages.add(parts[2].toLowerCase())
    } else if (cmd === 'COPY' || cmd === 'ADD' || cmd === 'RUN') {
      for (const m of line.matchAll(/--(?:from|mount=\S*?from)=([^\s,]+)/g)) external(m[1])
      if (cmd === 'ADD' && /(^|\s)(https?:\/\/|git@|git:\/\/)\S+/.test(line.replace(/--\S+/g, '')))
        return { images: [], syntax: null, stages: [], never: 'it ADDs from a URL or git repository' }
    }
  }
  return { images: [...images].sort(), syntax, stages: [...stages].sort(), never: null }
}
