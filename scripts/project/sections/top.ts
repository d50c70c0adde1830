// The top level of esb.toml: brand, mode, env, tag, project_name (env_files:
// read.ts). Each from a flag, the environment, env files or esb.toml. Pure.
import path from 'node:path'
import { UsageError } from '../../errors.ts'
import { CONFIG_FILE, type Inputs } from '../read.ts'
import { MODES, type EsbToml, type Mode } from '../schema.ts'
import type { Lookup } from '../lookup.ts'
import type { BrandNames } from '../names.ts'

/** Brand: flags > esb.toml > config/branding.yaml > what the generated files say > "esb". */
export function resolveBrand(inp: Inputs, t: EsbToml, tf: string): { brand: string; brandSource: string } {
  const { flags, brandingYaml, projectDir } = inp
  let brand = 'esb'
  let brandSource = 'default'
  const seen = inp.sightings ?? []
  if (seen.length) {
    const slugs = [...new Set(seen.map((x) => x.slug))]
    if (slugs.length === 1) {
      brand = slugs[0]
      brandSource = `the generated files (${seen.map((x) => x.file).join(', ')})`
    } else if (!brandingYaml && typeof t.brand !== 'string' && flags.brand === undefined) {
      throw new UsageError(
        `no brand is configured and the generated files disagree (${seen.map((x) => `${x.file}: ${x.slug}`).join(', ')}); set brand = "<your brand>" in ${path.join(projectDir, CONFIG_FILE)}`,
      )
    }
  }
  if (brandingYaml) {
    brand = brandingYaml.brand
    brandSource = brandingYaml.file
  }
  if (typeof t.brand === 'string') {
    brand = t.brand
    brandSource = `${tf}: key 'brand'`
  }
  if (flags.brand !== undefined) {
    brand = flags.brand
    brandSource = '--brand'
  }
  return { brand, brandSource }
}

function parseMode(where: string, v: string): Mode {
  if (!MODES.includes(v as Mode)) throw new UsageError(`${where} is ${JSON.stringify(v)}; expected "docker" or "containerd"`)
  return v as Mode
}

export interface TopSettings {
  mode: Mode
  env: string
  tag: string
  projectName: string
}

/** mode, env, tag, project_name; `sources`: where each came from. */
export function resolveTop(
  l: Lookup,
  t: EsbToml,
  prefix: string,
  nm: BrandNames,
): TopSettings & { sources: Record<keyof TopSettings, string> } {
  const { flags, pick, tf } = l
  const m = pick(flags.mode, '--mode', [`${prefix}_MODE`, 'MODE'], t.mode, `${tf}: key 'mode'`, 'docker')
  const mode = parseMode(m.where, m.value)
  const envPick = pick(flags.env, '--env', [`${prefix}_ENV`, 'ENV'], t.env, `${tf}: key 'env'`, 'default')
  const env = envPick.value
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(env))
    throw new UsageError(
      `${envPick.where}: env name ${JSON.stringify(env)} must be lowercase letters, digits, - or _ (it becomes part of the compose project name)`,
    )
  const tagPick = pick(flags.tag, '--tag', [`${prefix}_TAG`], t.tag, `${tf}: key 'tag'`, 'latest')
  const tag = tagPick.value
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag))
    throw new UsageError(
      `${tagPick.where}: tag ${JSON.stringify(tag)} is not a valid image tag (letters, digits, _ . -; at most 128)`,
    )
  const pn = pick(undefined, '', ['PROJECT_NAME'], t.project_name, `${tf}: key 'project_name'`, nm.projectName(env))
  const projectName = pn.value
  // as docker compose requires: checked here so a bad value fails with where it came from
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(projectName))
    throw new UsageError(
      `${pn.where} is ${JSON.stringify(projectName)}; a compose project name must be lowercase letters, digits, - or _, starting with a letter or digit (e.g. ${JSON.stringify(nm.projectName(env))})`,
    )
  return {
    mode,
    env,
    tag,
    projectName,
    sources: { mode: m.where, env: envPick.where, tag: tagPick.where, projectName: pn.where },
  }
}
