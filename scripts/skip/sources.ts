// What a Dockerfile reads from its build contexts: per context (the main one
// is `.`, named ones by name), the source patterns its COPY/ADD and RUN
// --mount=type=bind read, or all of a context with the reason its sources
// cannot be read statically. Sources are Go filepath.Match patterns relative
// to the context root (`**` is not special); a match that is a folder takes
// everything below it. Pure.
import { cleanSource, compileSource } from './files.ts'

export interface Sources {
  /** context -> source patterns, cleaned (`.`: all of it) */
  reads: Record<string, string[]>
  /** context -> why all of it is keyed; `*`: every context */
  whole: Record<string, string>
}

type Lookup = (name: string) => string | null | undefined

/** `$X`, `${X}`, `${X:-w}`, `${X-w}`, `${X:+w}`, `${X+w}`; null when a variable has no known value. */
function expand(s: string, look: Lookup): string | null {
  let unknown = false
  const out = s.replace(
    /\$\{(\w+)(?:(:?[-+])([^}]*))?\}|\$(\w+)|\$\{[^}]*\}?/g,
    (m, a?: string, op?: string, w?: string, b?: string) => {
      const v = a || b ? look((a ?? b)!) : null
      if (v === null || v === undefined) {
        unknown = true
        return m
      }
      if (!op) return v
      const set = op.startsWith(':') ? v !== '' : true
      return op.endsWith('-') ? (set ? v : w!) : set ? w! : ''
    },
  )
  return unknown ? null : out
}

/** A shell-form word: quotes removed, variables expanded (not in single quotes); null if it cannot be read statically. */
function word(w: string, look: Lookup, escape: string): string | null {
  let out = ''
  let i = 0
  while (i < w.length) {
    const c = w[i]
    if (c === escape) return null
    if (c === "'" || c === '"') {
      const q = w.indexOf(c, i + 1)
      const seg = w.slice(i + 1, q)
      const e = q < 0 || seg.includes(escape) ? null : c === "'" ? seg : expand(seg, look)
      if (e === null) return null
      out += e
      i = q + 1
      continue
    }
    let j = i
    while (j < w.length && w[j] !== "'" && w[j] !== '"' && w[j] !== escape) j++
    const e = expand(w.slice(i, j), look)
    if (e === null) return null
    out += e
    i = j
  }
  return out
}

/** Splits on whitespace outside quotes. */
function words(s: string): string[] {
  return s.match(/(?:[^\s"']+|"[^"]*"?|'[^']*'?)+/g) ?? []
}

const READS = /^(?:onbuild\s+)?(?:run|copy|add)\s/i

/** Parser directives, then one string per instruction: continuations joined, comments and heredoc bodies dropped. */
function instructions(text: string): { list: string[]; escape: string; syntax: string | null } {
  const lines = text.split(/\r?\n/)
  let escape = '\\'
  let syntax: string | null = null
  for (const l of lines) {
    const m = /^#\s*(\w+)\s*=\s*(\S+)\s*$/.exec(l)
    if (!m) break
    if (m[1].toLowerCase() === 'escape') escape = m[2]
    if (m[1].toLowerCase() === 'syntax') syntax = m[2]
  }
  const list: string[] = []
  let cur = ''
  for (let i = 0; i < lines.length;) {
    const l = lines[i++].trim()
    if (!l || l.startsWith('#')) continue
    if (l.endsWith(escape)) {
      cur += l.slice(0, -1) + ' '
      continue
    }
    const full = cur + l
    cur = ''
    // each heredoc's body runs to its delimiter line (`<<-`: leading tabs aside)
    if (READS.test(full))
      for (const m of full.matchAll(/<<(-?)(["']?)([A-Za-z_]\w*)\2/g))
        while (i < lines.length) {
          const b = lines[i++]
          if ((m[1] ? b.replace(/^\t+/, '') : b) === m[3]) break
        }
    list.push(full)
  }
  if (cur.trim()) list.push(cur)
  return { list, escape, syntax }
}

export function dockerfileSources(
  text: string,
  buildArgs: Record<string, string | null | undefined>,
  namedContexts: string[],
): Sources {
  const out: Sources = { reads: {}, whole: {} }
  const whole = (ctx: string, why: string) => void (out.whole[ctx] ??= why)
  const { list, escape, syntax } = instructions(text)
  if (syntax && !/^(docker\.io\/)?docker\/dockerfile(-upstream)?([:@]|$)/.test(syntax))
    whole('*', `its # syntax= frontend ${syntax} may read any file`)
  const given: Record<string, string> = {}
  for (const [k, v] of Object.entries(buildArgs)) if (typeof v === 'string') given[k] = v
  const named = new Set(namedContexts)
  const stageEnv: Record<string, Record<string, string | null>> = {}
  // variables: null is declared with no known value, absent is unknown too
  const globals: Record<string, string | null> = {}
  let args: Record<string, string | null> | null = null
  let env: Record<string, string | null> = {}
  const look: Lookup = (k) => (args === null ? globals[k] : k in env ? env[k] : args[k])
  const unq = (s: string, json: boolean) => (json ? expand(s, look) : word(s, look, escape))
  /** what a --from names: a named context, '' (a stage or an image: no context), null (cannot be read) */
  const fromCtx = (v: string | undefined): string | null => {
    if (v === undefined) return '.'
    const x = word(v, look, escape)
    return x === null ? null : named.has(x) ? x : ''
  }
  const read = (ins: string, from: string | undefined, srcs: string[], json: boolean, parents: boolean) => {
    const ctx = fromCtx(from)
    if (ctx === null) return whole('*', `${ins} --from=${from} cannot be read statically`)
    if (!ctx) return
    for (const s of srcs) {
      const x = unq(s, json)
      if (x === null) return whole(ctx, `${ins} source ${s} cannot be read statically`)
      let p = cleanSource(x)
      // --parents keeps the same matches; from a `**` on, everything below is taken
      const cs = p.split('/')
      const k = cs.findIndex((c) => c.includes('**'))
      if (parents && k >= 0) p = cleanSource(cs.slice(0, k).join('/'))
      try {
        compileSource(p)
      } catch {
        return whole(ctx, `${ins} source ${s} is not a valid pattern`)
      }
      ;(out.reads[ctx] ??= []).push(p)
    }
  }
  const handle = (ins: string): void => {
    const [w0, ...rest] = ins.split(/\s+/)
    const cmd = w0.toUpperCase()
    const line = rest.join(' ')
    if (cmd === 'ONBUILD') return READS.test(line + ' ') ? handle(line) : undefined
    if (cmd === 'ARG') {
      const into = args ?? globals
      for (const a of words(line)) {
        const m = /^(\w+)(?:=(.*))?$/s.exec(a)
        if (!m) continue
        const dflt = m[2] === undefined ? undefined : word(m[2], look, escape)
        into[m[1]] = given[m[1]] ?? (dflt !== undefined ? dflt : args ? (globals[m[1]] ?? null) : null)
      }
    } else if (cmd === 'ENV' && args) {
      const ws = words(line)
      const pairs = ws.length && !ws[0].includes('=') ? [[ws[0], ws.slice(1).join(' ')]] : ws.map((p) => p.split(/=(.*)/s))
      for (const [k, v] of pairs) if (k) env[k] = word(v ?? '', look, escape)
    } else if (cmd === 'FROM') {
      const parts = words(line).filter((p) => !p.startsWith('--'))
      args = null // FROM sees the global ARGs only
      const base = word(parts[0] ?? '', look, escape)
      if (base === null) for (const n of named) whole(n, `FROM ${parts[0]} cannot be read statically`)
      else if (named.has(base)) whole(base, `FROM ${base} takes all of it`)
      env = base !== null && stageEnv[base.toLowerCase()] ? { ...stageEnv[base.toLowerCase()] } : {}
      args = {}
      const name = parts[1]?.toUpperCase() === 'AS' && parts[2] ? parts[2] : null
      if (name && named.has(name)) whole(name, `it replaces stage ${name}`)
      if (name) stageEnv[name.toLowerCase()] = env
    } else if ((cmd === 'COPY' || cmd === 'ADD') && args) {
      const m = /^((?:--\S+\s+)*)(.*)$/s.exec(line)!
      const flags = words(m[1])
      const from = flags.find((f) => f.startsWith('--from='))?.slice(7)
      let srcs = words(m[2])
      let json = false
      try {
        const j: unknown = JSON.parse(m[2])
        if (Array.isArray(j) && j.every((x) => typeof x === 'string')) [srcs, json] = [j as string[], true]
      } catch {
        /* the shell form */
      }
      if (srcs.length < 2) return whole(fromCtx(from) || '.', `${cmd} ${line} cannot be parsed`)
      srcs = srcs.slice(0, -1).filter((s) => !s.startsWith('<<') && !(cmd === 'ADD' && /^([a-z][a-z0-9+.-]*:\/\/|git@)/i.test(s)))
      read(
        cmd,
        from,
        srcs,
        json,
        flags.some((f) => /^--parents(=true)?$/.test(f)),
      )
    } else if (cmd === 'RUN' && args) {
      for (const f of words(/^((?:--\S+\s+)*)/.exec(line)![1])) {
        if (!f.startsWith('--mount=')) continue
        const o: Record<string, string> = {}
        for (const kv of f.slice(8).split(',')) o[kv.split('=')[0]] = kv.slice(kv.indexOf('=') + 1)
        const type = o.type ?? 'bind'
        // a cache mount seeded `from=` a context reads it like a bind mount
        if (type === 'bind' || (type === 'cache' && o.from !== undefined))
          read('RUN --mount', o.from, [o.source ?? o.src ?? '.'], false, false)
      }
    }
  }
  for (const ins of list) handle(ins)
  return out
}
