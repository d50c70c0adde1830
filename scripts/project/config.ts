// Settings: what esb.toml, config/branding.yaml, env files, the process
// environment and flags say, merged in that order of strength:
//   flags > process env > env files > esb.toml > branding.yaml > defaults.
// read.ts reads the files; resolveSettings() here is pure and unit-tested:
// it checks esb.toml against the schema, then each section has its own
// resolver (sections/), in the order their errors are reported.
import { brandWarnings, deriveBrand, envPrefixOf, type BrandContext } from './brand.ts'
import { checkToml, type EsbToml, type Mode } from './schema.ts'
import type { Inputs } from './read.ts'
import { lookupOf } from './lookup.ts'
import { brandNames } from './names.ts'
import { resolveBrand, resolveTop } from './sections/top.ts'
import { resolveRegistry, type RegistrySettings } from './sections/registry.ts'
import { resolveBuilder, type BuilderSettings } from './sections/builder.ts'
import { resolveCache, type CacheSettings } from './sections/cache.ts'
import { resolveTemplates, type TemplatesSettings } from './sections/templates.ts'
import { resolveBake, type BakeSettings } from './sections/bake.ts'
import { resolveFunctions, type FunctionsSettings } from './sections/functions.ts'
import { resolveCompose, type ComposeSettings } from './sections/compose.ts'

export type { Mode } from './schema.ts'
export type { Flags, Inputs } from './read.ts'
export { MODES } from './schema.ts'

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
  /** CERT_DIR for the stack: the environment's, else an env file's, else ./.<slug>/certs */
  certDir: string
  /** [registry]: sections/registry.ts */
  registry: RegistrySettings
  /** [builder]: sections/builder.ts */
  builder: BuilderSettings
  /** [cache]: sections/cache.ts */
  cache: CacheSettings
  /** [templates]: sections/templates.ts */
  templates: TemplatesSettings
  /** [bake]: sections/bake.ts */
  bake: BakeSettings
  /** [functions]: sections/functions.ts */
  functions: FunctionsSettings
  /** [compose]: sections/compose.ts */
  compose: ComposeSettings
  /** variables from env files, passed on to docker children */
  fileVars: Record<string, string>
  /** the env file each of fileVars came from */
  fileOf: Record<string, string>
  /** things to tell the user once, on stderr (e.g. a brand whose slug drops characters) */
  warnings: string[]
  /** where each main value came from (a flag, a variable and its file, esb.toml, a default) */
  sources: Record<string, string>
}

export function resolveSettings(inp: Inputs): Settings {
  const { toml, projectDir } = inp
  const t: EsbToml = toml ? checkToml(toml.file, toml.data, toml.text) : {}
  const l = lookupOf(inp)

  const { brand, brandSource } = resolveBrand(inp, t, l.tf)
  const ctx = deriveBrand(brand, brandSource)
  const slug = ctx.SLUG
  const nm = brandNames(ctx)
  const prefix = ctx.ENV_PREFIX

  const top = resolveTop(l, t, prefix, nm)
  const { mode } = top
  const { registry, portWhere } = resolveRegistry(l, t.registry ?? {}, { prefix, mode, nm })
  const { builder, nameWhere } = resolveBuilder(l, t.builder ?? {}, nm)
  const cache = resolveCache(l, t.cache ?? {}, { prefix, nm, buildAddress: registry.buildAddress })
  const certDir = l.pick(undefined, '', ['CERT_DIR'], undefined, '', nm.certDir)
  return {
    projectDir,
    brand: brand.trim(),
    brandSource,
    ctx,
    slug,
    prefix,
    mode,
    env: top.env,
    tag: top.tag,
    projectName: top.projectName,
    certDir: certDir.value,
    registry,
    builder,
    cache,
    templates: resolveTemplates(l, t.templates ?? {}),
    bake: resolveBake(l, t.bake ?? {}),
    functions: resolveFunctions(t.functions ?? {}),
    compose: resolveCompose(t.compose ?? {}),
    fileVars: l.fileVars,
    fileOf: l.fileOf,
    warnings: brandWarnings(brand, brandSource),
    sources: {
      brand: brandSource,
      mode: top.sources.mode,
      env: top.sources.env,
      tag: top.sources.tag,
      projectName: top.sources.projectName,
      registryPort: portWhere,
      builder: nameWhere,
      certDir: certDir.where,
    },
  }
}

/** The `<PREFIX>_REPO` variable to look at before the project is known (brand from --brand, else esb). */
export function repoEnvName(flagBrand: string | undefined): string {
  return `${flagBrand ? envPrefixOf(flagBrand) || 'ESB' : 'ESB'}_REPO`
}
