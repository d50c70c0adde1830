// Settings: what esb.toml, config/branding.yaml, env files, the process
// environment and flags say, merged in that order of strength:
//   flags > process env > env files > esb.toml > branding.yaml > defaults.
// read.ts reads the files; resolveSettings() here is pure and unit-tested.
import path from 'node:path'
import { UsageError } from '../errors.ts'
import { brandWarnings, deriveBrand, envPrefixOf, type BrandContext } from './brand.ts'
import { cacheModes, checkToml, lineOf, MODES, sourceDateEpoch, type CacheModes, type EsbToml, type Mode } from './schema.ts'
import { CONFIG_FILE, type Inputs } from './read.ts'
import { builderDriver, type BuilderDriver } from './sections/builder.ts'
import { branchOf } from './branch.ts'
import { sharedCaches } from './sections/cache.ts'
import { buildRegistrySettings, type BuildRegistrySettings } from './sections/registry.ts'
import { brandNames, loopbackRegistry, RUNTIME_REGISTRY_ALIAS, DEFAULT_REGISTRY_IMAGE, DEFAULT_REGISTRY_PORT } from './names.ts'

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
  /** buildAddress, build: sections/registry.ts */
  registry: BuildRegistrySettings & {
    port: number
    bind: string
    image: string
    containerName: string
    /** the project's own registry on this host (127.0.0.1:<port>): import, export, images, the runtime */
    localAddress: string
    /** CONTAINER_REGISTRY: where the runtime pulls functions */
    runtimeAddress: string
    runtimeInsecure: boolean
    composeProject: string
    /** the registry's data volume */
    volume: string
  }
  builder: {
    name: string
    /** which buildx driver (sections/builder.ts) */
    driver: BuilderDriver
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
  cache: {
    local: boolean
    dir: string
    registry: boolean
    refPrefix: string
    mode: CacheModes
    from: string[]
    to: string | null
    branch: string
  }
  templates: {
    dir: string | null
    out: string
    given: { out: boolean; templates: boolean }
    /** which templates render (names or globs of output paths); null: all */
    files: string[] | null
    /** render before build/up ([templates] render; default: when [templates] dir or files is set) */
    render: boolean
  }
  bake: {
    files: string[]
    groups: string[]
    provenance: boolean
    /** tag prefixes outside the project's registry that builds may push to */
    pushAllow: string[]
    /** skip targets whose inputs, image and cache are unchanged ([bake] skip; off with --no-skip) */
    skip: boolean
    /** SOURCE_DATE_EPOCH for builds: image timestamps from it, so digests depend on content only */
    sourceDateEpoch: string
  }
  /** artifact: deploy artifact manifest(s), a path or glob ([functions] artifact); null: the contract's default location */
  functions: { dockerfiles: string; artifact: string | null }
  /** files: extra compose files after docker-compose.<mode>.yml; `{mode}` is replaced by the mode */
  compose: { files: string[] }
  /** variables from env files, passed on to docker children */
  fileVars: Record<string, string>
  /** the env file each of fileVars came from */
  fileOf: Record<string, string>
  /** things to tell the user once, on stderr (e.g. a brand whose slug drops characters) */
  warnings: string[]
  /** where each main value came from (a flag, a variable and its file, esb.toml, a default) */
  sources: Record<string, string>
}

function parsePort(where: string, v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || Number(v) > 65535)
    throw new UsageError(`${where} is ${JSON.stringify(v)}; expected an integer port 1-65535`)
  return Number(v)
}

function parseMode(where: string, v: string): Mode {
  if (!MODES.includes(v as Mode)) throw new UsageError(`${where} is ${JSON.stringify(v)}; expected "docker" or "containerd"`)
  return v as Mode
}

export function resolveSettings(inp: Inputs): Settings {
  const { flags, processEnv, toml, brandingYaml, envFiles, projectDir } = inp
  const t: EsbToml = toml ? checkToml(toml.file, toml.data, toml.text) : {}
  const tf = toml?.file ?? CONFIG_FILE
  const keyAt = (section: string) => (k: string) => {
    const l = toml ? lineOf(toml.text, section, k) : null
    return l ? `${tf}:${l}` : tf
  }

  // Brand: flags > esb.toml > config/branding.yaml > what the generated files say > "esb".
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
  const ctx = deriveBrand(brand, brandSource)
  const slug = ctx.SLUG
  const nm = brandNames(ctx)
  const prefix = ctx.ENV_PREFIX

  // One lookup for a value that may come from flag, process env, env files, or toml.
  const fileVars: Record<string, string> = {}
  const fileOf: Record<string, string> = {}
  for (const f of envFiles)
    for (const [k, v] of Object.entries(f.vars)) {
      fileVars[k] = v
      fileOf[k] = f.file
    }
  // plain ENV/MODE are generic names (a shell may export ENV): used only when their value fits
  const fits = (n: string, v: string) =>
    n === 'ENV' ? /^[a-z0-9][a-z0-9_-]*$/.test(v) : n === 'MODE' ? MODES.includes(v as Mode) : true
  const fromEnv = (names: string[]): { value: string; where: string } | null => {
    for (const n of names) {
      const v = processEnv[n]
      if (v !== undefined && v !== '' && fits(n, v)) return { value: v, where: `environment variable ${n}` }
    }
    for (const n of names) {
      const v = fileVars[n]
      if (v !== undefined && v !== '') return { value: v, where: `${fileOf[n]}: ${n}` }
    }
    return null
  }
  const pick = (
    flag: string | undefined,
    flagName: string,
    envNames: string[],
    tomlVal: unknown,
    tomlWhere: string,
    dflt: string,
  ) => {
    if (flag !== undefined) return { value: flag, where: flagName }
    const e = fromEnv(envNames)
    if (e) return e
    if (tomlVal !== undefined) return { value: String(tomlVal), where: tomlWhere }
    return { value: dflt, where: 'default' }
  }

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

  const r = t.registry ?? {}
  const p = pick(undefined, '', ['PORT_REGISTRY'], r.port, `${tf}: key 'registry.port'`, String(DEFAULT_REGISTRY_PORT))
  const port = parsePort(p.where, p.value)
  const bind = pick(undefined, '', ['REGISTRY_BIND'], r.bind, `${tf}: key 'registry.bind'`, '127.0.0.1').value
  const localAddress = loopbackRegistry(port)
  const ba = pick(
    undefined,
    '',
    [`${prefix}_BUILD_REGISTRY`],
    r.build_address,
    `${tf}: key 'registry.build_address'`,
    localAddress,
  )
  const { buildAddress, build } = buildRegistrySettings(ba, localAddress, r, keyAt('registry'), projectDir)
  const runtimeDefault = mode === 'docker' ? localAddress : RUNTIME_REGISTRY_ALIAS
  const rt = pick(
    undefined,
    '',
    ['CONTAINER_REGISTRY'],
    r.runtime_address,
    `${tf}: key 'registry.runtime_address'`,
    runtimeDefault,
  )
  const runtimeAddress = rt.value
  if (/^localhost(:|$)/.test(runtimeAddress))
    throw new UsageError(`${rt.where}: ${runtimeAddress} uses localhost, which may resolve to ::1; use 127.0.0.1:${port}`)

  const b = t.builder ?? {}
  const bn = pick(undefined, '', ['BUILDX_BUILDER'], b.name, `${tf}: key 'builder.name'`, nm.builder)
  const builderName = bn.value
  const bkCfgSource = pick(
    undefined,
    '',
    ['BUILDKITD_CONFIG'],
    b.buildkitd_config,
    `${tf}: key 'builder.buildkitd_config'`,
    nm.buildkitdConfig,
  )
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
      image: r.image ?? DEFAULT_REGISTRY_IMAGE,
      containerName: pick(undefined, '', ['REGISTRY_CONTAINER_NAME'], r.container_name, '', nm.registryContainer).value,
      localAddress,
      buildAddress,
      build,
      runtimeAddress,
      runtimeInsecure: mode === 'containerd',
      composeProject: nm.registryComposeProject,
      volume: nm.registryVolume,
    },
    builder: {
      name: builderName,
      driver: builderDriver(b, keyAt('builder'), projectDir),
      image: b.image ?? null,
      driverOpts: b.driver_opts ?? [],
      buildkitdConfig: path.resolve(projectDir, bkCfg),
      generateConfig: bkCfgSource.where === 'default',
      mirrors: b.mirrors ?? [],
      gcKeep: b.gc_keep ?? '20GB',
    },
    cache: {
      local: c.local ?? true,
      dir: path.resolve(projectDir, c.dir ?? nm.cacheDir),
      registry: c.registry ?? true,
      refPrefix: c.ref_prefix ?? `${buildAddress}/${nm.cacheRepoPrefix}`,
      mode: cacheModes(c.mode),
      ...sharedCaches(c, tf, branchOf(projectDir, processEnv, prefix)),
    },
    templates: {
      dir:
        flags.templates !== undefined
          ? path.resolve(flags.templates)
          : tp.dir !== undefined
            ? path.resolve(projectDir, tp.dir)
            : null,
      out: flags.out !== undefined ? path.resolve(flags.out) : path.resolve(projectDir, tp.out ?? '.'),
      files: tp.files ?? null,
      /** --out / --templates came from the command line (the user's own choice: not confined to the project) */
      given: { out: flags.out !== undefined, templates: flags.templates !== undefined },
      // build/up render only a project that asks for it: an existing repo's files are its own
      render: tp.render ?? (tp.dir !== undefined || tp.files !== undefined),
    },
    bake: {
      files: bk.files ?? ['docker-bake.hcl'],
      groups: bk.groups ?? ['default'],
      provenance: flags.provenance ?? bk.provenance ?? false,
      pushAllow: bk.push_allow ?? [],
      skip: bk.skip ?? true,
      sourceDateEpoch: sourceDateEpoch(
        pick(undefined, '', ['SOURCE_DATE_EPOCH'], bk.source_date_epoch, `${tf}: key 'bake.source_date_epoch'`, '0'),
      ),
    },
    functions: { dockerfiles: t.functions?.dockerfiles ?? 'functions/*/Dockerfile', artifact: t.functions?.artifact ?? null },
    compose: { files: t.compose?.files ?? [] },
    fileVars,
    fileOf,
    warnings: brandWarnings(brand, brandSource),
    sources: {
      brand: brandSource,
      mode: m.where,
      env: envPick.where,
      tag: tagPick.where,
      projectName: pn.where,
      registryPort: p.where,
      builder: bn.where,
    },
  }
}

/** The `<PREFIX>_REPO` variable to look at before the project is known (brand from --brand, else esb). */
export function repoEnvName(flagBrand: string | undefined): string {
  return `${flagBrand ? envPrefixOf(flagBrand) || 'ESB' : 'ESB'}_REPO`
}
