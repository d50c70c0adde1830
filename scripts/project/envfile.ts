// Reads a .env file exactly as `docker compose` does: a port of compose-go
// v2.9.1 (what compose 2.40 ships) dotenv/parser.go, with the ${...} rules of
// template/template.go in envtemplate.ts. The stack reads the same file through compose, so
// any other reading would give docker esb different values. Where compose
// fails, or would silently make a variable with an empty name, we throw one
// UsageError line naming file:line and the fix.
import { UsageError } from '../errors.ts'
import { quote, substitute, TemplateError, type Lookup } from './envtemplate.ts'

export { substitute, type Lookup } from './envtemplate.ts'

// Go's unicode.IsSpace (JS's \s differs: it has U+FEFF and lacks U+0085).
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/
// compose's isSpace: the blanks it skips around names and after '=' (no line break).
const BLANK = /[\t\v\f\r \u0085\u00a0]/
// Go's \s, which is what `^export\s+` means there.
const EXPORT = /^export[\t\n\f\r ]+/
const NAME_CHAR = /[\p{L}\p{N}_.\-[\]]/u
// Escapes compose expands in double quotes; others (\x41, \u00e9, \c...) stay as written.
const ESCAPE = /\\(?:[abcfnrtv$"\\]|0\d{0,3})/g
const ESCAPED: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' }

const trimEnd = (s: string): string => {
  let end = s.length
  while (end > 0 && SPACE.test(s[end - 1])) end--
  return s.slice(0, end)
}

/** compose's \0NNN is Go's \NNN: three octal digits up to 0377, else it keeps `\` + the digits. */
function expandEscapes(s: string): string {
  return s.replace(ESCAPE, (m) => {
    if (m === '\\$') return '$$' // a literal $ for the interpolation step
    if (m[1] !== '0') return ESCAPED[m[1]] ?? m
    const digits = m.slice(2)
    const code = /^[0-7]{3}$/.test(digits) ? parseInt(digits, 8) : 256
    return code < 256 ? String.fromCharCode(code) : `\\${digits}`
  })
}

/**
 * The variables a .env file sets, as `docker compose` reads them; `lookup` is
 * the environment compose runs in. Throws a one-line UsageError (file:line).
 * `lines` gets the line of each name's last assignment (a bare `NAME` is none).
 */
export function parseEnvFile(
  file: string,
  text: string,
  lookup: Lookup = () => undefined,
  lines: Record<string, number> = {},
): Record<string, string> {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text
  // compose reads the file more than once. Before anything else it puts the
  // file's COMPOSE_* values into its own environment (ignoring errors)...
  let early = new Map<string, string>()
  try {
    early = readOnce(file, src, lookup)
  } catch {
    /* the next reading reports it */
  }
  const env: Lookup = (name) => lookup(name) ?? (name.startsWith('COMPOSE_') ? early.get(name) : undefined)
  // ...then reads the values, then reads it again with those values in its
  // environment, which fails `${A:?}` when a later line empties A.
  const vars = readOnce(file, src, env, false, lines)
  readOnce(file, src, (name) => env(name) ?? vars.get(name), true)
  for (const [k, v] of early) if (k.startsWith('COMPOSE_') && lookup(k) === undefined) vars.set(k, v)
  return Object.fromEntries(vars)
}

function readOnce(
  file: string,
  src: string,
  lookup: Lookup,
  again = false,
  lines: Record<string, number> = {},
): Map<string, string> {
  const vars = new Map<string, string>()
  const get: Lookup = (name) => lookup(name) ?? vars.get(name)
  let pos = 0
  let line = 1
  let quoteClosedOn = 0 // line of the last closing quote, for hints about text after it
  const fail = (at: number, what: string, fix: string): never => {
    throw new UsageError(`${file}:${at}: ${what}; ${fix}`)
  }
  const expand = (value: string, at: number): string => {
    try {
      return substitute(value, get)
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e
      if (again)
        return fail(
          at,
          `${e.what} by the end of the file, where compose checks ${quote(value)} again`,
          'do not empty or unset it on a later line',
        )
      return fail(at, `${e.what} in the value ${quote(value)}`, e.fix)
    }
  }

  for (;;) {
    // Skip blank space, line breaks and # comments up to the next statement.
    while (pos < src.length && SPACE.test(src[pos])) if (src[pos++] === '\n') line++
    if (pos >= src.length) break
    if (src[pos] === '#') {
      const nl = src.indexOf('\n', pos)
      if (nl < 0) break
      pos = nl
      continue
    }
    const at = line
    const eol = src.indexOf('\n', pos)
    const lineText = src.slice(pos, eol < 0 ? undefined : eol)
    const afterQuote = at === quoteClosedOn ? ' (compose reads text after a closing quote as the next NAME=value)' : ''
    const notKeyValue = (problem: string): string => `not a KEY=VALUE line: ${quote(lineText)}: ${problem}${afterQuote}`

    // The name runs up to '=', ':' (YAML style) or a line break (NAME alone).
    if (EXPORT.test(src.slice(pos, pos + 16))) {
      pos += 6
      while (pos < src.length && BLANK.test(src[pos])) pos++
      if (pos >= src.length) fail(at, notKeyValue("'export' with no name"), 'write export NAME=value or remove it')
    }
    let end = pos
    let sep = ''
    while (end < src.length) {
      const ch = String.fromCodePoint(src.codePointAt(end) ?? 0)
      if (ch === '=' || ch === ':' || ch === '\n') {
        sep = ch
        break
      }
      if (!BLANK.test(ch) && !NAME_CHAR.test(ch)) {
        fail(
          at,
          notKeyValue(`a name cannot hold ${quote(ch)}`),
          afterQuote
            ? 'write a quote inside a quoted value as \\\' or \\"'
            : 'fix it or comment it out with # (names have letters, digits and _ . - [ ])',
        )
      }
      end += ch.length
    }
    // compose would read a last line without '=' as the value of a nameless variable
    if (!sep)
      fail(
        at,
        notKeyValue("no '=' and no line break after it"),
        'write NAME=value, or end the file with a line break to take NAME from the environment',
      )
    const name = trimEnd(src.slice(pos, end))
    if (name.includes(' ')) fail(at, notKeyValue('a name cannot hold a space'), 'fix it or comment it out with #')
    pos = end + 1
    if (sep === '\n') {
      // NAME alone: taken from the environment (or an earlier line), else left unset
      line++
      const v = get(name)
      if (v !== undefined) vars.set(name, v)
      continue
    }
    if (name === '') fail(at, notKeyValue(`no name before '${sep}'`), 'write NAME=value')
    while (pos < src.length && BLANK.test(src[pos])) pos++

    const q = src[pos]
    if (q !== '"' && q !== "'") {
      // Unquoted: to the end of the line, minus a ' #' comment and trailing space.
      let nl = src.indexOf('\n', pos)
      if (nl < 0) nl = src.length
      const raw = src.slice(pos, nl)
      const hash = raw.indexOf(' #')
      vars.set(name, expand(trimEnd(hash < 0 ? raw : raw.slice(0, hash)), at))
      lines[name] = at
      pos = nl + 1
      line++
      continue
    }
    // Quoted, maybe over several lines. A backslash before the quote drops;
    // any other backslash stays for expandEscapes (double quotes only).
    let value = ''
    let escaped = false
    let i = pos + 1
    for (; i < src.length; i++) {
      const c = src[i]
      if (c === '\n') line++
      if (c === q && !escaped) break
      if (c === '\\' && !escaped) {
        escaped = true
        continue
      }
      if (escaped && c !== q) value += '\\'
      escaped = false
      value += c
    }
    if (i >= src.length)
      fail(
        at,
        `${q === '"' ? 'double' : 'single'}-quoted value of ${name} is never closed`,
        `end it with ${q} (write ${q} inside it as \\${q})`,
      )
    vars.set(name, q === '"' ? expand(expandEscapes(value), at) : value)
    lines[name] = at
    pos = i + 1
    quoteClosedOn = line
  }
  return vars
}
