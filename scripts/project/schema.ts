// The esb.toml schema: every key it accepts and the type of its value.
// A wrong key or type is a one-line error naming the file, line and key.
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

export type Kind = 'string' | 'port' | 'bool' | 'strings' | 'mode' | 'cachemode' | 'count'
/** Every key esb.toml accepts: section -> key -> kind. '' is the top level. */
export const SCHEMA: Record<string, Record<string, Kind>> = {
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
    push_allow: 'strings',
    skip: 'bool',
    source_date_epoch: 'string',
  },
  functions: { dockerfiles: 'string', artifact: 'string' },
  compose: { files: 'strings' },
}
/** esb.toml as checked by checkToml: every key optional, every value of its kind. */
export interface EsbToml {
  brand?: string
  mode?: Mode
  env?: string
  tag?: string
  project_name?: string
  env_files?: string[]
  registry?: {
    port?: number | string
    bind?: string
    image?: string
    container_name?: string
    runtime_address?: string
    build_address?: string
    build_ca?: string
    build_insecure?: boolean
  }
  builder?: {
    name?: string
    image?: string
    driver_opts?: string[]
    buildkitd_config?: string
    mirrors?: string[]
    gc_keep?: string
    [driverKey: string]: unknown
  }
  cache?: {
    local?: boolean
    dir?: string
    registry?: boolean
    ref_prefix?: string
    mode?: CacheMode | Partial<CacheModes>
    from?: string[]
    to?: string
  }
  templates?: { dir?: string; out?: string; files?: string[]; render?: boolean }
  bake?: {
    files?: string[]
    groups?: string[]
    provenance?: boolean
    push_allow?: string[]
    skip?: boolean
    source_date_epoch?: string
  }
  functions?: { dockerfiles?: string; artifact?: string }
  compose?: { files?: string[] }
}

/** One section of esb.toml (e.g. Section<'builder'>), empty when absent. */
export type Section<S extends Exclude<keyof EsbToml, 'brand' | 'mode' | 'env' | 'tag' | 'project_name' | 'env_files'>> =
  NonNullable<EsbToml[S]>

const EXPECT: Record<Kind, string> = {
  string: 'a string',
  port: 'an integer port 1-65535',
  bool: 'true or false',
  strings: 'a list of strings',
  mode: '"docker" or "containerd"',
  count: 'an integer >= 1',
  cachemode: '"max" or "min", or a table { bases = ..., control = ..., functions = ... } of those',
}

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
            `${at(k, kk)}: unknown key '${k}.${kk}'; known keys in [${k}]: ${Object.keys(SCHEMA[k]).join(', ')}`,
          )
        checkValue(`${at(k, kk)}: key '${k}.${kk}'`, kind, vv)
      }
      continue
    }
    const kind = SCHEMA[''][k]
    if (!kind)
      throw new UsageError(
        `${at('', k)}: unknown key '${k}'; known keys: ${[
          ...Object.keys(SCHEMA['']),
          ...Object.keys(SCHEMA)
            .filter(Boolean)
            .map((s) => `[${s}]`),
        ].join(', ')}`,
      )
    checkValue(`${at('', k)}: key '${k}'`, kind, v)
  }
  return data as EsbToml
}

function checkValue(where: string, kind: Kind, v: unknown): void {
  const ok =
    kind === 'string'
      ? typeof v === 'string'
      : kind === 'bool'
        ? typeof v === 'boolean'
        : kind === 'strings'
          ? Array.isArray(v) && v.every((x) => typeof x === 'string')
          : kind === 'port'
            ? Number.isInteger(Number(v)) &&
              typeof v !== 'boolean' &&
              Number(v) >= 1 &&
              Number(v) <= 65535 &&
              !(typeof v === 'string' && !/^\d+$/.test(v))
            : kind === 'mode'
              ? MODES.includes(v as Mode)
              : kind === 'count'
                ? Number.isInteger(v) && (v as number) >= 1
                : kind === 'cachemode'
                  ? isCacheMode(v) ||
                    (isTable(v) && Object.entries(v).every(([k, m]) => CACHE_KINDS.includes(k as CacheKind) && isCacheMode(m)))
                  : false
  if (!ok) throw new UsageError(`${where} is ${JSON.stringify(v)}; expected ${EXPECT[kind]}`)
}
