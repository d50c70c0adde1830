// Brand derivation: one brand string gives every name the templates use.
// The rules are the ones existing ESB repos already use; they match the
// existing ESB branding tool so outputs stay byte-identical.
import { BrandError } from '../errors.ts'

export { BrandError }

export type BrandContext = Record<string, string>

const SLUG_RE = /^[a-z0-9][a-z0-9-]*$/
const ENV_PREFIX_RE = /^[A-Z][A-Z0-9_]*$/

export function slugOf(brand: string): string {
  return brand
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

/**
 * Longest slug accepted: `<slug>-infra-registry` (the registry container, a
 * DNS name on its network) must stay within DNS's 63-character label limit,
 * and `<slug>-buildx`, `<slug>-<target>` image names and `.<slug>/` with it.
 */
export const MAX_SLUG = 40

export function envPrefixOf(brand: string): string {
  return brand
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
}

/** Validates a brand and derives the placeholder context. `source` names where the brand came from. */
export function deriveBrand(raw: string, source = '--brand'): BrandContext {
  const brand = typeof raw === 'string' ? raw.trim() : ''
  if (!brand) throw new BrandError(`${source}: brand must be a non-empty string (e.g. brand = "acme")`)
  const slug = slugOf(brand)
  if (!slug) throw new BrandError(`${source}: brand ${JSON.stringify(brand)} must include at least one alphanumeric character`)
  if (slug.length > MAX_SLUG)
    throw new BrandError(
      `${source}: brand ${JSON.stringify(brand.length > 24 ? brand.slice(0, 24) + '...' : brand)} gives a ${slug.length}-character slug; use a brand whose slug has at most ${MAX_SLUG} characters (the registry container <slug>-infra-registry must fit a 63-character DNS name)`,
    )
  if (!SLUG_RE.test(slug))
    throw new BrandError(
      `${source}: brand ${JSON.stringify(brand)} gives slug ${JSON.stringify(slug)}, which must match ${SLUG_RE.source}`,
    )
  const prefix = envPrefixOf(brand)
  if (!prefix || !/^[A-Z]/.test(prefix))
    throw new BrandError(
      `${source}: brand ${JSON.stringify(brand)} must start with a letter (its env prefix ${JSON.stringify(prefix)} must match ${ENV_PREFIX_RE.source})`,
    )
  if (!ENV_PREFIX_RE.test(prefix))
    throw new BrandError(
      `${source}: brand ${JSON.stringify(brand)} gives env prefix ${JSON.stringify(prefix)}, which must match ${ENV_PREFIX_RE.source}`,
    )
  return {
    CLI_NAME: slug,
    SLUG: slug,
    ENV_PREFIX: prefix,
    ENV_PREFIX_VAR: '${' + prefix,
    // Not in the contract's table of 22, but the existing branding tool
    // defines it (= SLUG) and its templates may use it.
    IMAGE_PREFIX: slug,
    LABEL_PREFIX: `com.${slug}`,
    HOME_DIR: `.${slug}`,
    OUTPUT_DIR: `.${slug}`,
    STAGING_DIR: '.staging',
    ROOT_CA_MOUNT_ID: `${slug}_root_ca`,
    ROOT_CA_CERT_FILENAME: 'rootCA.crt',
    RUNTIME_CONTAINER_PREFIX: slug,
    RUNTIME_NAMESPACE: slug,
    RUNTIME_CGROUP_PARENT: slug,
    RUNTIME_CNI_NAME: `${slug}-net`,
    RUNTIME_CNI_BRIDGE: `${slug}0`,
    RUNTIME_CNI_DIR: `/run/${slug}/cni`,
    RUNTIME_RESOLV_CONF_PATH: `/run/containerd/${slug}/resolv.conf`,
    RUNTIME_LABEL_ENV: `${slug}_env`,
    RUNTIME_LABEL_FUNCTION: `${slug}_function`,
    RUNTIME_LABEL_CREATED_BY: 'created_by',
    RUNTIME_LABEL_CREATED_BY_VALUE: `${slug}-agent`,
    RUNTIME_CGROUP_LEAF: 'runtime-node',
  }
}

/**
 * Warnings about a valid brand: letters and digits outside ASCII (`ñandú`)
 * are dropped from the slug, so say which and what slug results.
 */
export function brandWarnings(raw: string, source = '--brand'): string[] {
  const brand = raw.trim()
  const out: string[] = []
  const dropped = [...new Set(brand.match(/[^\p{ASCII}]/gu) ?? [])].filter((ch) => /[\p{L}\p{N}]/u.test(ch))
  if (dropped.length) {
    const ascii = brand.normalize('NFD').replace(/\p{M}/gu, '')
    const hint = slugOf(ascii) && /^\p{ASCII}*$/u.test(ascii) ? `the brand ${JSON.stringify(ascii)}` : 'an ASCII brand'
    out.push(
      `brand ${JSON.stringify(brand)} (from ${source}) gives slug ${JSON.stringify(slugOf(brand))}: ${dropped.join(' ')} ${dropped.length > 1 ? 'are' : 'is'} not ASCII and dropped; use ${hint} to choose the slug yourself`,
    )
  }
  // Linux interface names hold 15 bytes: containerd mode's CNI bridge would fail to come up
  const bridge = `${slugOf(brand)}0`
  if (bridge.length > MAX_IFNAME)
    out.push(
      `brand ${JSON.stringify(brand)} (from ${source}): containerd mode's CNI bridge RUNTIME_CNI_BRIDGE=${bridge} is ${bridge.length} characters, over Linux's ${MAX_IFNAME}; use a brand whose slug has at most ${MAX_IFNAME - 1} characters for containerd mode`,
    )
  return out
}

const MAX_IFNAME = 15
