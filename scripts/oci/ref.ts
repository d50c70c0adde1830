// Image references and names (pure).
import { UsageError } from '../errors.ts'

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
}
export const INDEX_TYPES = [MT.ociIndex, MT.dockerList]
export const MANIFEST_TYPES = [MT.ociManifest, MT.dockerManifest]
export const ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ')
/** Media types we copy as opaque blobs (layers, configs, attestations). */
export function knownBlobType(mt: string): boolean {
  return (
    /^application\/vnd\.(oci\.image\.(layer|config)|docker\.(image\.rootfs|container\.image)|in-toto|buildkit\.cacheconfig)/.test(
      mt,
    ) ||
    mt.startsWith('application/vnd.oci.empty') ||
    mt === 'application/vnd.in-toto+json'
  )
}

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const REPO_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`)
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/

export function checkRepo(name: string, what = 'name'): string {
  if (!REPO_RE.test(name) || name.length > 255)
    throw new UsageError(
      `${what} ${JSON.stringify(name)} is not a valid repository name (lowercase letters, digits, and . _ - between them; / between parts)`,
    )
  return name
}
export function checkTag(tag: string): string {
  if (!TAG_RE.test(tag))
    throw new UsageError(`tag ${JSON.stringify(tag)} is not a valid tag (letters, digits, _ . -; at most 128)`)
  return tag
}
export function checkDigest(d: string, where: string): string {
  if (!DIGEST_RE.test(d)) throw new UsageError(`${where}: ${JSON.stringify(d)} is not a sha256 digest`)
  return d
}

export interface Ref {
  registry: string
  repo: string
  tag: string | null
  digest: string | null
}

/** `host[:port]/path/name[:tag][@digest]`; Docker Hub names get docker.io and library/. */
export function parseRef(s: string): Ref {
  let rest = s
  let digest: string | null = null
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = checkDigest(rest.slice(at + 1), s)
    rest = rest.slice(0, at)
  }
  let tag: string | null = null
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = checkTag(rest.slice(colon + 1))
    rest = rest.slice(0, colon)
  }
  const slash = rest.indexOf('/')
  const first = slash >= 0 ? rest.slice(0, slash) : ''
  let registry = 'docker.io'
  let repo = rest
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first
    repo = rest.slice(slash + 1)
  }
  if (registry === 'docker.io' && !repo.includes('/')) repo = `library/${repo}`
  checkRepo(repo, `image ${JSON.stringify(s)}:`)
  if (!tag && !digest) tag = 'latest'
  return { registry, repo, tag, digest }
}

/** Loopback registries speak plain HTTP (as BuildKit and dockerd assume). */
export function registryBase(registry: string, insecure = false): string {
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry
  const loop = /^(127\.|localhost(:|$)|\[::1\])/.test(host)
  return `${loop || insecure ? 'http' : 'https'}://${host}`
}

/** The project's repository for an imported image: `<slug>-<name>` unless it already starts so. */
export function projectRepo(slug: string, name: string): string {
  const base = name.split('/').pop()!
  return checkRepo(base.startsWith(`${slug}-`) ? base : `${slug}-${base}`)
}

export type Kind = 'function' | 'base' | 'control' | 'cache' | 'other'
/** `cachePrefix`: the repository prefix the project's registry caches live under ([cache] ref_prefix without its host). */
export function imageKindOf(slug: string, repo: string, cachePrefix: string | null = `${slug}-cache`): Kind {
  if (cachePrefix && repo.startsWith(`${cachePrefix}/`)) return 'cache'
  if (!repo.startsWith(`${slug}-`)) return 'other'
  const rest = repo.slice(slug.length + 1)
  // fn-<name> from the Dockerfile glob; lambda-<name> from ESB deploy artifacts
  if (rest.startsWith('fn-') || (rest.startsWith('lambda-') && rest !== 'lambda-base')) return 'function'
  if (/-base$/.test(rest)) return 'base'
  return 'control'
}
