// Reading the files the settings come from: esb.toml, config/branding.yaml,
// .env and other env files. Only reads; never writes.
import fs from 'node:fs'
import path from 'node:path'
import TOML from '@iarna/toml'
import YAML from 'yaml'
import { UsageError } from '../errors.ts'
import { brandSightings, type BrandSighting } from './detect.ts'
import { parseEnvFile } from './envfile.ts'
import { realInside } from './realpath.ts'
import { checkEnvFile } from './envpolicy.ts'
import { MAX_FILE_BYTES } from './schema.ts'

export const CONFIG_FILE = 'esb.toml'
export const BRANDING_FILE = 'config/branding.yaml'

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
  toml: { file: string; data: Record<string, unknown>; text: string } | null
  brandingYaml: { file: string; brand: string } | null
  /** the brand's slug as the generated files name it (used when no brand is configured) */
  sightings?: BrandSighting[]
  /** env files in the order they apply (later wins) */
  envFiles: { file: string; vars: Record<string, string> }[]
}

export function parseToml(file: string, text: string): Record<string, unknown> {
  try {
    return TOML.parse(text) as Record<string, unknown>
  } catch (err) {
    const e = err as { message?: string; line?: number }
    const msg = String(e.message)
      .split('\n')[0]
      .replace(/ at row \d+, col \d+, pos \d+:?$/, '')
    const where = typeof e.line === 'number' ? `:${e.line + 1}` : ''
    throw new UsageError(`${file}${where}: malformed TOML: ${msg}; fix the syntax (see https://toml.io)`)
  }
}

/** `brand: acme` (comments and quotes allowed), as the ESB branding tool reads it. */
export function parseBrandingYaml(file: string, text: string): string {
  let doc: unknown
  try {
    doc = YAML.parse(text)
  } catch (err) {
    const e = err as { message?: string; linePos?: { line?: number }[] }
    const line = e.linePos?.[0]?.line
    throw new UsageError(
      `${file}${line ? `:${line}` : ''}: malformed YAML: ${String(e.message).split('\n')[0]}; write it as \`brand: acme\``,
    )
  }
  if (doc === null || typeof doc !== 'object' || !('brand' in doc))
    throw new UsageError(`${file}: missing key 'brand'; write it as \`brand: acme\``)
  const v = doc.brand
  if ((typeof v !== 'string' && typeof v !== 'number') || String(v).trim() === '')
    throw new UsageError(`${file}: key 'brand' must be a non-empty string, like \`brand: acme\``)
  return String(v)
}

/** `from`: the file that named this one, so the error says where to fix the name. */
function readText(file: string, what: string, from?: string): string {
  const named = from ? `, named in ${from}` : ''
  let st: fs.Stats
  try {
    st = fs.statSync(file)
    // a device (a link to /dev/zero) or a huge file would fill memory: refused before reading
    if (st.isFile() && st.size <= MAX_FILE_BYTES) return fs.readFileSync(file, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new UsageError(`${file}: cannot read ${what} (${e.code ?? e.message})${named}; check the path and its permissions`)
  }
  throw new UsageError(
    st.isFile()
      ? `${file}: ${what} is ${st.size} bytes, over the ${MAX_FILE_BYTES >> 20} MiB docker esb reads${named}; point it at the right file, or shrink it`
      : `${file}: ${what} is not a regular file${named}; point it at a file`,
  )
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
  const brandingYaml = fs.existsSync(yFile)
    ? { file: yFile, brand: parseBrandingYaml(yFile, readText(yFile, 'the branding file')) }
    : null

  // each with who named it: an unreadable file's error then says where to fix it
  const files: { file: string; from?: string }[] = []
  const dotEnv = path.join(projectDir, '.env')
  if (fs.existsSync(dotEnv)) files.push({ file: dotEnv })
  const fromToml = toml?.data.env_files
  if (Array.isArray(fromToml))
    for (const f of fromToml)
      if (typeof f === 'string') {
        const file = path.resolve(projectDir, f)
        // the repo's own config reads only the repo's files; a file elsewhere is the user's to give (--env-file)
        if (!realInside(projectDir, file))
          throw new UsageError(
            `${tomlFile}: env_files entry ${JSON.stringify(f)} is outside the project ${projectDir}; name a file inside the project, or give it on the command line with --env-file`,
          )
        files.push({ file, from: `${tomlFile} env_files` })
      }
  for (const f of flags.envFiles ?? []) files.push({ file: path.resolve(f), from: '--env-file' })
  // as compose: $VAR in a file comes from the process environment, then from the files before it;
  // a name that would change how programs run here (PATH, LD_*, DOCKER_*...) stops the run (envpolicy.ts)
  const seen: Record<string, string> = {}
  const envFiles = files.map(({ file, from }) => {
    const lines: Record<string, number> = {}
    const vars = parseEnvFile(file, readText(file, 'env file', from), (n) => processEnv[n] ?? seen[n], lines)
    checkEnvFile(file, vars, lines)
    Object.assign(seen, vars)
    return { file, vars }
  })
  return { projectDir, flags, processEnv, toml, brandingYaml, envFiles, sightings: brandSightings(projectDir) }
}
