// The esb.toml schema: every key it accepts and the kind of its value, in
// one place (SECTIONS); the EsbToml type derives from it and from the check
// of each kind. A wrong key or type is a one-line error naming the file, line and key.
import { UsageError } from '../errors.ts'

export type Mode = 'docker' | 'containerd'
export const MODES: Mode[] = ['docker', 'containerd']

/** Cache export mode per target kind (defaults and why: sections/cache.ts). */
export type CacheMode = 'max' | 'min'
export type CacheKind = 'bases' | 'control' | 'functions'
export type CacheModes = Record<CacheKind, CacheMode>
export const CACHE_KINDS: CacheKind[] = ['bases', 'control', 'functions']
const isCacheMode = (v: unknown): v is CacheMode => v === 'max' || v === 'min'
const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
/** The longest string value esb.toml, functions.yml and artifact.yml may hold (longer is a mistake, or a memory attack). */
export const MAX_VALUE_CHARS = 4096
/** The largest esb.toml, env file, functions.yml or artifact.yml docker esb reads: a larger one is refused before parsing. */
export const MAX_FILE_BYTES = 4 << 20
/** Text a message shows: at most 60 characters. */
export const cut = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s)
/** A value as a message shows it: JSON, at most 60 characters. */
export const clip = (v: unknown): string => cut(JSON.stringify(v) ?? String(v))
/** `where` is ...; throws when a string in v (lists and tables included) is longer than MAX_VALUE_CHARS. */
export function checkLength(where: string, v: unknown): void {
  const long = (x: unknown): number =>
    typeof x === 'string'
      ? x.length > MAX_VALUE_CHARS
        ? x.length
        : 0
      : typeof x === 'object' && x !== null
        ? Math.max(0, ...Object.entries(x).map(([k, y]) => Math.max(long(k), long(y))))
        : 0
  const n = long(v)
  if (n) throw new UsageError(`${where} holds a string of ${n} characters; the limit is ${MAX_VALUE_CHARS}: shorten it`)
}
/** A build arg's name, as bake and compose take it. */
export const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Each kind of value: its check (whose type guard gives the value's type) and the words an error expects. */
const KINDS = {
  string: { expect: 'a string', ok: (v: unknown): v is string => typeof v === 'string' },
  port: {
    expect: 'an integer port 1-65535 (unquoted, e.g. port = 5010)',
    ok: (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535,
  },
  bool: { expect: 'true or false', ok: (v: unknown): v is boolean => typeof v === 'boolean' },
  strings: {
    expect: 'a list of strings',
    ok: (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  },
  /** registry prefixes a build may push to: an empty one would allow every tag */
  prefixes: {
    expect: 'a list of registry prefixes, none empty, e.g. ["registry.example.com/team/"]',
    ok: (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string' && x.trim() !== ''),
  },
  mode: { expect: '"docker" or "containerd"', ok: (v: unknown): v is Mode => MODES.includes(v as Mode) },
  cachemode: {
    expect: '"max" or "min", or a table { bases = ..., control = ..., functions = ... } of those',
    ok: (v: unknown): v is CacheMode | Partial<CacheModes> =>
      isCacheMode(v) ||
      (isTable(v) && Object.entries(v).every(([k, m]) => CACHE_KINDS.includes(k as CacheKind) && isCacheMode(m))),
  },
  count: { expect: 'an integer >= 1', ok: (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 },
  /** a table NAME = "value" (build args); each entry is checked with its own message (checkArgTable) */
  argtable: {
    expect: 'a table of NAME = "value" strings, e.g. [bake.args] on its own line, then NAME = "value"',
    ok: (v: unknown): v is Record<string, string> =>
      isTable(v) && Object.entries(v).every(([k, x]) => ARG_NAME.test(k) && typeof x === 'string'),
  },
} satisfies Record<string, { expect: string; ok: (v: unknown) => boolean }>

export type Kind = keyof typeof KINDS
/** The type a value of a kind has once checked: what its check guards. */
type ValueOf<K extends Kind> = (typeof KINDS)[K]['ok'] extends (v: unknown) => v is infer T ? T : never

/** Every key esb.toml accepts: section -> key -> kind. '' is the top level. */
const SECTIONS = {
  '': { brand: 'string', mode: 'mode', env: 'string', tag: 'string', project_name: 'string', env_files: 'strings' },
  registry: {
    port: 'port',
    bind: 'string',
    image: 'string',
    container_name: 'string',
    runtime_address: 'string',
    build_address: 'string',
    build_ca: 'string',
    build_insecure: 'bool',
    keep: 'count',
  },
  builder: {
    name: 'string',
    image: 'string',
    driver_opts: 'strings',
    buildkitd_config: 'string',
    mirrors: 'strings',
    gc_keep: 'string',
    driver: 'string',
    endpoint: 'string',
    cacert: 'string',
    cert: 'string',
    key: 'string',
    servername: 'string',
    namespace: 'string',
    replicas: 'count',
    loadbalance: 'string',
    requests_cpu: 'string',
    requests_memory: 'string',
    limits_cpu: 'string',
    limits_memory: 'string',
    nodeselector: 'string',
  },
  cache: {
    local: 'bool',
    dir: 'string',
    registry: 'bool',
    ref_prefix: 'string',
    mode: 'cachemode',
    from: 'strings',
    to: 'string',
  },
  templates: { dir: 'string', out: 'string', files: 'strings', render: 'bool' },
  bake: {
    files: 'strings',
    groups: 'strings',
    provenance: 'bool',
    push_allow: 'prefixes',
    skip: 'bool',
    source_date_epoch: 'string',
    args: 'argtable',
    arg_hashes: 'argtable',
  },
  functions: { dockerfiles: 'string', artifact: 'string' },
  compose: { files: 'strings' },
} as const satisfies Record<string, Record<string, Kind>>

type Sections = typeof SECTIONS
/** One table as checked: every key optional, every value of its kind. */
type Table<T extends Record<string, Kind>> = { -readonly [K in keyof T]?: ValueOf<T[K]> }
/** esb.toml as checked by checkToml: the top-level keys, and each section as an optional table. */
export type EsbToml = Table<Sections['']> & { -readonly [S in Exclude<keyof Sections, ''>]?: Table<Sections[S]> }
/** One section of esb.toml (e.g. Section<'builder'>), empty when absent. */
export type Section<S extends Exclude<keyof Sections, ''>> = NonNullable<EsbToml[S]>

/** SECTIONS looked up by name (e.g. from a key in the file). */
export const SCHEMA: Record<string, Record<string, Kind>> = SECTIONS

/** Finds the line a key is on, for messages (the TOML parser gives none for valid files). */
export function lineOf(text: string, section: string, key: string): number | null {
  const lines = text.split(/\r?\n/)
  let cur = ''
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim()
    const sec = /^\[\s*([^\]]+?)\s*\]/.exec(l)
    if (sec) {
      cur = sec[1]
      continue
    }
    if (cur === section && new RegExp(`^["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`).test(l)) return i + 1
  }
  return null
}

/** Checks every key and value of a parsed esb.toml; returns it typed. */
export function checkToml(file: string, data: Record<string, unknown>, text: string): EsbToml {
  const at = (section: string, key: string) => {
    const l = lineOf(text, section, key)
    return l ? `${file}:${l}` : file
  }
  for (const [k, v] of Object.entries(data)) {
    const isSection = Object.hasOwn(SCHEMA, k) && k !== ''
    if (isSection) {
      if (typeof v !== 'object' || Array.isArray(v) || v === null)
        throw new UsageError(`${at('', k)}: [${k}] must be a table, e.g. [${k}] on its own line`)
      for (const [kk, vv] of Object.entries(v)) {
        const kind = SCHEMA[k][kk]
        if (!kind)
          throw new UsageError(
            `${at(k, kk)}: unknown key '${cut(`${k}.${kk}`)}'; known keys in [${k}]: ${Object.keys(SCHEMA[k]).join(', ')}`,
          )
        checkLength(`${at(k, kk)}: key '${k}.${kk}'`, vv)
        if (kind === 'argtable' && isTable(vv)) checkArgTable(file, text, k, kk, vv)
        checkValue(`${at(k, kk)}: key '${k}.${kk}'`, kind, vv)
      }
      continue
    }
    const kind = SCHEMA[''][k]
    if (!kind)
      throw new UsageError(
        `${at('', k)}: unknown key '${cut(k)}'; known keys: ${[
          ...Object.keys(SCHEMA['']),
          ...Object.keys(SCHEMA)
            .filter(Boolean)
            .map((s) => `[${s}]`),
        ].join(', ')}`,
      )
    checkLength(`${at('', k)}: key '${k}'`, v)
    checkValue(`${at('', k)}: key '${k}'`, kind, v)
  }
  // every key was checked above against SECTIONS, the type's own source
  return data as EsbToml
}

function checkValue(where: string, kind: Kind, v: unknown): void {
  // hasOwn: a key named like an Object method (e.g. 'constructor') finds no kind here and fails as before
  const k = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined
  if (k?.ok(v)) return
  // the fix for the common slips: a quoted port, an empty push_allow entry
  const fix =
    kind === 'port' && typeof v === 'string' && /^\d+$/.test(v.trim())
      ? `: write it unquoted, ${Number(v)}`
      : kind === 'prefixes' && Array.isArray(v) && v.some((x) => typeof x === 'string' && !x.trim())
        ? ': remove the empty entry (it would allow every tag)'
        : ''
  throw new UsageError(`${where} is ${clip(v)}; expected ${k?.expect}${fix}`)
}

/** Each entry of a table of build args (`[bake.args]`): its name and its string value, one line naming file:line and the key. */
function checkArgTable(file: string, text: string, section: string, key: string, v: Record<string, unknown>): void {
  for (const [name, x] of Object.entries(v)) {
    // [bake.args] NAME = ..., else args = { NAME = ... } under [bake]
    const l = lineOf(text, `${section}.${key}`, name) ?? lineOf(text, section, key)
    const where = `${l ? `${file}:${l}` : file}: key '${section}.${key}.${name}'`
    if (!ARG_NAME.test(name))
      throw new UsageError(
        `${where}: ${JSON.stringify(name)} is not a build arg name; use letters, digits and _ (${ARG_NAME.source})`,
      )
    if (typeof x !== 'string')
      throw new UsageError(`${where} is ${JSON.stringify(x)}; expected a string: write ${name} = ${JSON.stringify(String(x))}`)
  }
}
