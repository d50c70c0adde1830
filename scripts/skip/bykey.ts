// Images addressed by their key: a build registry that holds a target's
// image under `k-<first 16 hex of its shared key>` lets any machine that
// computes the same key use that image instead of building it, so a fresh CI
// runner of an unchanged commit runs no bake.
//
// The shared key is the local key (skip/keys.ts) made the same on every
// machine: no tags (they name this machine's registry), the project folder
// and registry addresses replaced by placeholders, secrets keyed with a
// fixed HMAC key (skip/secrets.ts). An outside image keyed with the last
// build's digest (offline) gives no shared key: it is never published.
//
// The key tag is a second tag on the image itself (a manifest copy in its own
// repository: no blob moves, the image keeps its digest, and the registry's
// garbage collector keeps it as any tagged image), with a third that says
// when it was published (keyTimeTag: prune keeps the newest). Images other targets do
// not build on carry their full key and branch as labels (bake/bykey.ts), so
// no local state is needed to trust them: such a key tag is used only when
// the label matches the whole key. A base carries none (its children's
// caches would miss on a label change): its key tag is trusted as it is.
import type { RegistryClient } from '../oci/client.ts'
import { computeKeys, stableJson, type Gathered } from './keys.ts'
import { keyTag, keyTimeTag } from '../project/names.ts'

export { isKeyTag, keyTag } from '../project/names.ts'

export const KEY_LABEL = 'dev.docker-esb.key'
export const BRANCH_LABEL = 'dev.docker-esb.branch'

/** Replaces the registry addresses (and the project folder, as a whole path) in `text` by placeholders. */
function placeholders(registries: string[], projectDir?: string): (text: string) => string {
  // longest first: one address may hold another
  const regs = [...new Set(registries.filter(Boolean))].sort((a, b) => b.length - a.length)
  return (text) => {
    let t = regs.reduce((x, r) => x.split(r).join('<registry>'), text)
    if (projectDir) t = t.split(`"${projectDir}"`).join('"<project>"').split(`${projectDir}/`).join('<project>/')
    return t
  }
}

/** A target's inputs as any machine gathers them: nothing that names this machine. */
export function sharedGathered(g: Gathered, projectDir: string, registries: string[]): Gathered {
  const norm = placeholders(registries)
  const { tags: _tags, ...def } = g.definition
  return {
    ...g,
    definition: JSON.parse(placeholders(registries, projectDir)(stableJson(def))) as Record<string, unknown>,
    files: { ...g.files, ...(g.sharedSecrets ?? {}) },
    // an image on the project's registry is keyed by its digest, not by this machine's address for it
    images: g.images.map(norm),
    syntax: g.syntax ? norm(g.syntax) : g.syntax,
  }
}

/**
 * The shared key of every gathered target, or null (always built, or it
 * reads an outside image whose digest is not fresh: `digests` has only the
 * ones resolved now).
 */
export function sharedKeys(
  gathered: Record<string, Gathered>,
  digests: Record<string, string | null>,
  projectDir: string,
  registries: string[],
): Record<string, string | null> {
  const norm = placeholders(registries)
  const g = Object.fromEntries(Object.entries(gathered).map(([t, x]) => [t, sharedGathered(x, projectDir, registries)]))
  const d = Object.fromEntries(Object.entries(digests).map(([ref, v]) => [norm(ref), v]))
  return Object.fromEntries(Object.entries(computeKeys(g, d)).map(([t, k]) => [t, k.key]))
}

/** What a key tag names, once trusted. */
export interface KeyHit {
  /** the image's manifest digest */
  digest: string
  keyTag: string
  branch?: string
  /** the image config's creation time */
  created?: string
}

/** The labels an image built for `key` carries. Pure. */
export function keyLabels(key: string, branch?: string): Record<string, string> {
  return branch ? { [KEY_LABEL]: key, [BRANCH_LABEL]: branch } : { [KEY_LABEL]: key }
}

async function json(stream: AsyncIterable<Buffer>, max = 1 << 20): Promise<Record<string, unknown>> {
  let text = ''
  for await (const c of stream) {
    text += c
    if (text.length > max) throw new Error('image config larger than 1 MiB')
  }
  return JSON.parse(text) as Record<string, unknown>
}

/**
 * The image `repo` holds for `key`, or null: no key tag, an image whose key
 * label is not the whole key (16 hex of it collided, or the tag was made by
 * hand), or an image that cannot be read (a deleted manifest). A registry that does not answer:
 * null (build).
 */
export async function findByKey(client: RegistryClient, repo: string, key: string): Promise<KeyHit | null> {
  try {
    const m = await client.manifest(repo, keyTag(key))
    const cfg = m?.json.config
    if (!m || !cfg?.digest) return null
    const config = await json(await client.blob(repo, cfg.digest, cfg.size ?? null))
    const labels = ((config.config as Record<string, unknown> | undefined)?.Labels ?? {}) as Record<string, string>
    if (KEY_LABEL in labels && labels[KEY_LABEL] !== key) return null
    // a reproducible build's time is its SOURCE_DATE_EPOCH (0 says nothing)
    const created =
      typeof config.created === 'string' && !config.created.startsWith('1970-')
        ? config.created.replace(/\.\d+Z$/, 'Z')
        : undefined
    return { digest: m.digest, keyTag: keyTag(key), branch: labels[BRANCH_LABEL], created }
  } catch {
    return null
  }
}

/** Tags the image `digest` with its key, and with the key and the time (`now`) it is published. */
export async function publishKey(
  client: RegistryClient,
  repo: string,
  digest: string,
  key: string,
  now = new Date(),
): Promise<void> {
  const m = await client.manifest(repo, digest)
  if (!m) throw new Error(`${repo}@${digest} is no longer in the registry`)
  // the time first: a key tag is never there without it (prune would take it for the oldest)
  for (const ref of [keyTimeTag(key, now), keyTag(key)]) await client.pushManifest(repo, ref, m.mediaType, m.bytes)
}

/** Points `ref` at the image `digest` in the same repository: the manifest's exact bytes, no blob moves. */
export async function tagImage(client: RegistryClient, repo: string, digest: string, ref: string): Promise<void> {
  const m = await client.manifest(repo, digest)
  if (!m) throw new Error(`${repo}@${digest} is no longer in the registry`)
  await client.pushManifest(repo, ref, m.mediaType, m.bytes)
}
