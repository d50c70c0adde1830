// Settings: what esb.toml, config/branding.yaml, env files, the process
// environment and flags say, merged in that order of strength:
//   flags > process env > env files > esb.toml > branding.yaml > defaults.
// loadInputs() reads files; resolveSettings() is pure and unit-tested.
import fs from 'node:fs'
import path from 'node:path'
import TOML from '@iarna/toml'
import { YAML, dotenv } from 'zx'
import { UsageError } from './errors.ts'
import { deriveBrand, envPrefixOf, type BrandContext } from './brand.ts'

export type Mode = 'docker' | 'containerd'
export const MODES: Mode[] = ['docker', 'containerd']
export const CONFIG_FILE = 'esb.toml'
export const BRANDING_FILE = 'config/branding.yaml'

type Kind = 'string' | 'port' | 'bool' | 'strings' | 'mode' | 'cachemode'
/** Every key esb.toml accepts: section -> key -> kind. '' is the top level. */
export const SCHEMA: Record<string, Record<string, Kind>> = {
  '': { brand: 'string', mode: 'mode', env: 'string', tag: 'string', project_name: 'string', env_files: 'strings' },
  registry: { port: 'port', bind: 'string', image: 'string', container_name: 'string', runtime_address: 'string' },
  builder: { name: 'string', image: 'string', driver_opts: 'strings', buildkitd_config: 'string', mirrors: 'strings', gc_keep: 'string' },
  cache: { local: 'bool', dir: 'string', registry: 'bool', ref_prefix: 'string', mode: 'cachemode' },
  templates: { dir: 'string', out: 'string' },
  bake: { files: 'strings', groups: 'strings', provenance: 'bool' },
  functions: { dockerfiles: 'string' },
}
const EXPECT: Record<Kind, string> = {
  string: 'a string', port: 'an integer port 1-65535', bool: 'true or false', strings: 'a list of strings',
  mode: '"docker" or "containerd"', cachemode: '"max" or "min"',
}

export interface Flags {
  brand?: string
  mode?: string
  env?: string
  tag?: string
  envFiles?: string[]
  templates?: string
  out?: string
  provenance?: boolean
}

export interface Inputs {
  projectDir: string
  flags: Flags
  processEnv: Record<string, string | undefined>
  /** parsed esb.toml (null when absent) and its text, for line numbers */
  toml: { file: string; data: Record<string, any>; text: string } | null
  brandingYaml: { file: string; brand: string } | null
  /** env files in the order they apply (later wins) */
  envFiles: { file: string; vars: Record<string, string> }[]
}

export interface Settings {
  projectDir: string
  brand: string
  brandSource: string
  ctx: BrandContext
  slug: string
  prefix: string
  mode: Mode
  env: string
  tag: string
  projectName: string
  registry: {
    port: number
    bind: string
    image: string
    containerName: string
    /** where builds push and bases come from: always host-reachable */
    buildAddress: string
    /** CONTAINER_REGISTRY: where the runtime pulls functions */
    runtimeAddress: string
    runtimeInsecure: boolean
    composeProject: string
  }
  builder: {
    name: string
    image: string | null
    driverOpts: string[]
    buildkitdConfig: string
    /** true when docker esb writes buildkitd.toml itself (no BUILDKITD_CONFIG / [builder] buildkitd_config) */
    generateConfig: boolean
    /** registry mirrors for docker.io, e.g. ["127.0.0.1:5010"] */
    mirrors: string[]
    /** BuildKit GC: space kept for the cache */
    gcKeep: string
  }
  cache: { local: boolean; dir: string; registry: boolean; refPrefix: string; mode: 'max' | 'min' }
  templates: { dir: string | null; out: string }
  bake: { files: string[]; groups: string[]; provenance: boolean }
  functions: { dockerfiles: string }
  /** variables from env files, passed on to docker children */
  fileVars: Record<string, string>
}

// ---------- reading ----------

/** Finds the line a key is on, for messages (the TOML parser gives none for valid files). */
export function lineOf(text: string, section: string, key: string): number | null {
  const lines = text.split(/\r?\n/)
  let cur = ''
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim()
    const sec = /^\[\s*([^\]]+?)\s*\]/.exec(l)
    if (sec) { cur = sec[1]; continue }
    if (cur === section && new RegExp(`^["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*=`).test(l)) return i + 1
  }
  return null
}

export function parseToml(file: string, text: string): Record<string, any> {
  try {
    return TOML.parse(text) as Record<string, any>
  } catch (e: any) {
    const msg = String(e.message).split('\n')[0].replace(/ at row \d+, col \d+, pos \d+:?$/, '')
    const where = typeof e.line === 'number' ? `:${e.line + 1}` : ''
    throw new UsageError(`${file}${where}: malformed TOML: ${msg}; fix the syntax (see https://toml.io)`)
  }
}

/** `brand: acme` (comments and quotes allowed), as the ESB branding tool reads it. */
export function parseBrandingYaml(file: string, text: string): string {
  let doc: any
  try {
    doc = YAML.parse(text)
  } catch (e: any) {
    const line = e.linePos?.[0]?.line
    throw new UsageError(`${file}${line ? `:${line}` : ''}: malformed YAML: ${String(e.message).split('\n')[0]}; write it as \`brand: acme\``)
  }
  if (doc === null || typeof doc !== 'object' || !('brand' in doc)) throw new UsageError(`${file}: missing key 'brand'; write it as \`brand: acme\``)
  const v = doc.brand
  if ((typeof v !== 'string' && typeof v !== 'number') || String(v).trim() === '') throw new UsageError(`${file}: key 'brand' must be a non-empty string, like \`brand: acme\``)
  return String(v)
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (e: any) {
    throw new UsageError(`${file}: cannot read ${what} (${e.code ?? e.message}); check the path and its permissions`)
  }
}

export function parseEnvFile(file: string, text: string): Record<string, string> {
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim()
    if (!l || l.startsWith('#')) continue
    if (!/^(export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=/.test(l)) throw new UsageError(`${file}:${i + 1}: not a KEY=VALUE line: ${JSON.stringify(l.slice(0, 60))}; fix or comment it out with #`)
  }
  return dotenv.parse(text)
}

/** Reads the files the settings depend on. Only reads; never writes. */
export function loadInputs(projectDir: string, flags: Flags, processEnv: Record<string, string | undefined>): Inputs {
  const tomlFile = path.join(projectDir, CONFIG_FILE)
  let toml: Inputs['toml'] = null
  if (fs.existsSync(tomlFile)) {
    const text = readText(tomlFile, 'the project config')
    toml = { file: tomlFile, data: parseToml(tomlFile, text), text }
  }
  const yFile = path.join(projectDir, BRANDING_FILE)
  const brandingYaml = fs.existsSync(yFile) ? { file: yFile, brand: parseBrandingYaml(yFile, readText(yFile, 'the branding file')) } : null

  const files: string[] = []
  const dotEnv = path.join(projectDir, '.env')
  if (fs.existsSync(dotEnv)) files.push(dotEnv)
  const fromToml = toml?.data.env_files
  if (Array.isArray(fromToml)) for (const f of fromToml) if (typeof f === 'string') files.push(path.resolve(projectDir, f))
  for (const f of flags.envFiles ?? []) files.push(path.resolve(f))
  const envFiles = files.map((file) => ({ file, vars: parseEnvFile(file, readText(file, 'env file')) }))
  return { projectDir, flags, processEnv, toml, brandingYaml, envFiles }
}

// ---------- deciding ----------

function checkToml(toml: NonNullable<Inputs['toml']>): void {
  const { file, data, text } = toml
  const at = (section: string, key: string) => {
    const l = lineOf(text, section, key)
    return l ? `${file}:${l}` : file
  }
  for (const [k, v] of Object.entries(data)) {
    const isSection = Object.hasOwn(SCHEMA, k) && k !== ''
    if (isSection) {
      if (typeof v !== 'object' || Array.isArray(v) || v === null) throw new UsageError(`${at('', k)}: [${k}] must be a table, e.g. [${k}] on its own line`)
      for (const [kk, vv] of Object.entries(v)) {
        const kind = SCHEMA[k][kk]
        if (!kind) throw new UsageError(`${at(k, kk)}: unknown key '${k}.${kk}'; known keys in [${k}]: ${Object.keys(SCHEMA[k]).join(', ')}`)
        checkValue(`${at(k, kk)}: key '${k}.${kk}'`, kind, vv)
      }
      continue
    }
    const kind = SCHEMA[''][k]
    if (!kind) throw new UsageError(`${at('', k)}: unknown key '${k}'; known keys: ${[...Object.keys(SCHEMA['']), ...Object.keys(SCHEMA).filter(Boolean).map((s) => `[${s}]`)].join(', ')}`)
    checkValue(`${at('', k)}: key '${k}'`, kind, v)
  }
}

function checkValue(where: string, kind: Kind, v: unknown): void {
  const ok =
    kind === 'string' ? typeof v === 'string' :
    kind === 'bool' ? typeof v === 'boolean' :
    kind === 'strings' ? Array.isArray(v) && v.every((x) => typeof x === 'string') :
    kind === 'port' ? Number.isInteger(Number(v)) && typeof v !== 'boolean' && Number(v) >= 1 && Number(v) <= 65535 && !(typeof v === 'string' && !/^\d+$/.test(v)) :
    kind === 'mode' ? MODES.includes(v as Mode) :
    kind === 'cachemode' ? v === 'max' || v === 'min' : false
  if (!ok) throw new UsageError(`${where} is ${JSON.stringify(v)}; expected ${EXPECT[kind]}`)
}

function parsePort(where: string, v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`${where} is ${JSON.stringify(v)}; expected an integer port 1-65535`)
  return Number(v)
}

function parseMode(where: string, v: string): Mode {
  if (!MODES.includes(v as Mode)) throw new UsageError(`${where} is ${JSON.stringify(v)}; expected "docker" or "containerd"`)
  return v as Mode
}

export function resolveSettings(inp: Inputs): Settings {
  const { flags, processEnv, toml, brandingYaml, envFiles, projectDir } = inp
  if (toml) checkToml(toml)
  const t = toml?.data ?? {}
  const tf = toml?.file ?? CONFIG_FILE

  // Brand: flags > esb.toml > config/branding.yaml > "esb".
  let brand = 'esb'
  let brandSource = 'default'
  if (brandingYaml) { brand = brandingYaml.brand; brandSource = brandingYaml.file }
  if (typeof t.brand === 'string') { brand = t.brand; brandSource = `${tf}: key 'brand'` }
  if (flags.brand !== undefined) { brand = flags.brand; brandSource = '--brand' }
  const ctx = deriveBrand(brand, brandSource)
  const slug = ctx.SLUG
  const prefix = ctx.ENV_PREFIX

  // One lookup for a value that may come from flag, process env, env files, or toml.
  const fileVars: Record<string, string> = {}
  const fileOf: Record<string, string> = {}
  for (const f of envFiles) for (const [k, v] of Object.entries(f.vars)) { fileVars[k] = v; fileOf[k] = f.file }
  const fromEnv = (names: string[]): { value: string; where: string } | null => {
    for (const n of names) { const v = processEnv[n]; if (v !== undefined && v !== '') return { value: v, where: `environment variable ${n}` } }
    for (const n of names) { const v = fileVars[n]; if (v !== undefined && v !== '') return { value: v, where: `${fileOf[n]}: ${n}` } }
    return null
  }
  const pick = (flag: string | undefined, flagName: string, envNames: string[], tomlVal: unknown, tomlWhere: string, dflt: string) => {
    if (flag !== undefined) return { value: flag, where: flagName }
    const e = fromEnv(envNames)
    if (e) return e
    if (tomlVal !== undefined) return { value: String(tomlVal), where: tomlWhere }
    return { value: dflt, where: 'default' }
  }

  const m = pick(flags.mode, '--mode', [`${prefix}_MODE`], t.mode, `${tf}: key 'mode'`, 'docker')
  const mode = parseMode(m.where, m.value)
  const env = pick(flags.env, '--env', [`${prefix}_ENV`], t.env, `${tf}: key 'env'`, 'default').value
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(env)) throw new UsageError(`env name ${JSON.stringify(env)} must be lowercase letters, digits, - or _ (it becomes part of the compose project name)`)
  const tag = pick(flags.tag, '--tag', [`${prefix}_TAG`], t.tag, `${tf}: key 'tag'`, 'latest').value
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new UsageError(`tag ${JSON.stringify(tag)} is not a valid image tag (letters, digits, _ . -; at most 128)`)
  const projectName = pick(undefined, '', ['PROJECT_NAME'], t.project_name, `${tf}: key 'project_name'`, `${slug}-${env}`).value

  const r = t.registry ?? {}
  const p = pick(undefined, '', ['PORT_REGISTRY'], r.port, `${tf}: key 'registry.port'`, '5010')
  const port = parsePort(p.where, p.value)
  const bind = r.bind ?? '127.0.0.1'
  const buildAddress = `127.0.0.1:${port}`
  const runtimeDefault = mode === 'docker' ? buildAddress : 'registry:5010'
  const runtimeAddress = pick(undefined, '', ['CONTAINER_REGISTRY'], r.runtime_address, `${tf}: key 'registry.runtime_address'`, runtimeDefault).value
  if (/^localhost(:|$)/.test(runtimeAddress)) throw new UsageError(`CONTAINER_REGISTRY ${runtimeAddress} uses localhost, which may resolve to ::1; use 127.0.0.1:${port}`)

  const b = t.builder ?? {}
  const builderName = pick(undefined, '', ['BUILDX_BUILDER'], b.name, `${tf}: key 'builder.name'`, `${slug}-buildx`).value
  const bkCfgSource = pick(undefined, '', ['BUILDKITD_CONFIG'], b.buildkitd_config, `${tf}: key 'builder.buildkitd_config'`, `${ctx.HOME_DIR}/buildkitd.toml`)
  const bkCfg = bkCfgSource.value

  const c = t.cache ?? {}
  const tp = t.templates ?? {}
  const bk = t.bake ?? {}
  return {
    projectDir,
    brand: brand.trim(),
    brandSource,
    ctx,
    slug,
    prefix,
    mode,
    env,
    tag,
    projectName,
    registry: {
      port,
      bind,
      image: r.image ?? 'registry:2',
      containerName: pick(undefined, '', ['REGISTRY_CONTAINER_NAME'], r.container_name, '', `${slug}-infra-registry`).value,
      buildAddress,
      runtimeAddress,
      runtimeInsecure: mode === 'containerd',
      composeProject: `${slug}-infra`,
    },
    builder: {
      name: builderName,
      image: b.image ?? null,
      driverOpts: b.driver_opts ?? [],
      buildkitdConfig: path.resolve(projectDir, bkCfg),
      generateConfig: bkCfgSource.where === 'default',
      mirrors: b.mirrors ?? [],
      gcKeep: b.gc_keep ?? '20GB',
    },
    cache: {
      local: c.local ?? true,
      dir: path.resolve(projectDir, c.dir ?? `${ctx.HOME_DIR}/buildx-cache`),
      registry: c.registry ?? true,
      refPrefix: c.ref_prefix ?? `${buildAddress}/${slug}-cache`,
      mode: c.mode ?? 'max',
    },
    templates: {
      dir: flags.templates !== undefined ? path.resolve(flags.templates) : tp.dir !== undefined ? path.resolve(projectDir, tp.dir) : null,
      out: flags.out !== undefined ? path.resolve(flags.out) : path.resolve(projectDir, tp.out ?? '.'),
    },
    bake: { files: bk.files ?? ['docker-bake.hcl'], groups: bk.groups ?? ['default'], provenance: flags.provenance ?? bk.provenance ?? false },
    functions: { dockerfiles: t.functions?.dockerfiles ?? 'functions/*/Dockerfile' },
    fileVars,
  }
}

/** The `<PREFIX>_REPO` variable to look at before the project is known (brand from --brand, else esb). */
export function repoEnvName(flagBrand: string | undefined): string {
  return `${flagBrand ? envPrefixOf(flagBrand) || 'ESB' : 'ESB'}_REPO`
}
