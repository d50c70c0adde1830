// The ${...} rules of compose-go v2.9.1 template/template.go, as compose
// applies them to .env values (envfile.ts) and docker esb to [bake.args].

/** Values from outside the file; compose asks these BEFORE earlier lines of the file. */
export type Lookup = (name: string) => string | undefined

// template.DefaultPattern: $$, $NAME, ${NAME[op arg]} or an invalid "${". Go's
// '.' is [^\n], and its (?i) also folds ſ and the Kelvin sign into s and k.
const ID = '[_a-z\\u017f\\u212a][_a-z0-9\\u017f\\u212a]*'
const TEMPLATE = new RegExp(`\\$(?:\\$|${ID}|\\{(?:${ID}(?::?[-+?][^\\n]*)?\\}|))`, 'gi')
const BRACED = new RegExp(`^\\$\\{(${ID})(?:(:?[-+?])([^\\n]*))?\\}$`, 'i')

/** A malformed or failing ${...}: what is wrong and how to fix it. */
export class TemplateError extends Error {
  constructor(
    readonly what: string,
    readonly fix: string,
  ) {
    super(what)
  }
}

export const quote = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s)

/** Index of the '}' closing the first '{' (compose skips the character after each '{'). */
function closingBrace(s: string): number {
  let open = 0
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '}' && --open === 0) return i
    if (s[i] === '{') {
      open++
      i++
    }
  }
  return -1
}

/** template.Substitute: $$ -> $, $NAME / ${NAME} -> value or "", ${NAME:-x} and friends. */
export function substitute(text: string, get: Lookup): string {
  return text.replace(TEMPLATE, (match) => {
    if (match === '$$') return '$'
    if (match[1] !== '{') return get(match.slice(1)) ?? ''
    // The match runs to the line's last '}'; compose cuts it at the brace that
    // closes this one and substitutes what follows on its own.
    const end = closingBrace(match)
    const head = end < 0 ? match : match.slice(0, end + 1)
    const m = BRACED.exec(head)
    if (!m) throw new TemplateError(`invalid ${quote(match)}`, 'write ${NAME}, ${NAME:-default}, or $$ for a literal $')
    const [, name, op, arg] = m
    const found = get(name)
    const value = found ?? ''
    if (op === undefined) return value
    const alt = substitute(arg, get) // compose expands it even when it is not used
    const set = found !== undefined && (value !== '' || !op.startsWith(':'))
    let out: string
    if (op.endsWith('-')) out = set ? value : alt
    else if (op.endsWith('+')) out = set ? alt : value
    else if (set) out = value
    else
      throw new TemplateError(
        `required variable ${name} is ${found === undefined ? 'not set' : 'empty'}${alt ? ` (${quote(alt)})` : ''}`,
        'set it earlier in the file or in the environment',
      )
    return out + substitute(end < 0 ? '' : match.slice(end + 1), get)
  })
}
