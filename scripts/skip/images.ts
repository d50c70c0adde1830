// The digests of every image a set of targets reads: pinned ones as written,
// the project registry's by a HEAD there, every other registry's through the
// resolver (skip/resolve.ts). An outside image that cannot be asked (offline)
// is keyed with the digest the last build recorded, and the plan says so;
// with --pull it stops the build instead.
import type { Settings } from '../project/config.ts'
import { pushRef } from '../functions/targets.ts'
import type { RegistryClient } from '../oci/client.ts'
import { EsbError } from '../errors.ts'
import { pinnedDigest, type Resolution, type Resolver } from './resolve.ts'
import type { Gathered, InputRecord } from './keys.ts'

/** `host/repo:tag` or `host/repo@digest` on the project's registry -> [repo, ref]; null elsewhere. */
export function onProjectRegistry(s: Settings, ref: string): [string, string] | null {
  const local = pushRef(s, ref) ?? (ref.startsWith(`${s.registry.buildAddress}/`) ? ref : null)
  if (!local) return null
  const rest = local.slice(s.registry.buildAddress.length + 1)
  const at = rest.indexOf('@')
  if (at > 0) return [rest.slice(0, at), rest.slice(at + 1)]
  const colon = rest.lastIndexOf(':')
  return colon > rest.lastIndexOf('/') ? [rest.slice(0, colon), rest.slice(colon + 1)] : [rest, 'latest']
}

/** The digest the project's registry holds at ref (pinned: as written), or null. */
export async function headDigest(client: RegistryClient, s: Settings, ref: string): Promise<string | null> {
  const digest = pinnedDigest(ref)
  if (digest) return digest
  const r = onProjectRegistry(s, ref)
  if (!r) return null
  try {
    return await client.manifestDigest(r[0], r[1])
  } catch {
    return null
  }
}

/** What one outside image resolved to, and who reads it. */
export interface OutsideImage extends Resolution {
  /** the digest came from the last build's record: the registry did not answer */
  last?: boolean
}

export interface ImageDigests {
  digests: Record<string, string | null>
  /** why an image has no digest */
  why: Record<string, string>
  /** every image outside the project's registry (the frontend included), as resolved */
  outside: Record<string, OutsideImage>
  /** one-line notes for the plan (an offline registry, digests of the last build) */
  notes: string[]
}

/** Every image and frontend the gathered targets read, to digests. `records`: the last build's, for offline fallback. */
export async function imageDigests(
  s: Settings,
  gathered: Gathered[],
  project: RegistryClient,
  resolver: Resolver | null,
  records: (InputRecord | null)[],
  pull = false,
): Promise<ImageDigests> {
  const refs = [...new Set(gathered.flatMap((g) => [...g.images, ...(g.syntax ? [g.syntax] : [])]))].sort()
  const mine = refs.filter((r) => onProjectRegistry(s, r))
  const others = refs.filter((r) => !onProjectRegistry(s, r))
  const [own, resolved] = await Promise.all([
    Promise.all(mine.map(async (r) => [r, await headDigest(project, s, r)] as const)),
    resolver
      ? resolver.resolveAll(others)
      : Promise.resolve(
          Object.fromEntries(
            others.map((r) => {
              const d = pinnedDigest(r)
              return [r, { digest: d, via: d ? 'pinned' : 'not asked' }]
            }),
          ) as Record<string, Resolution>,
        ),
  ])
  const out: ImageDigests = { digests: Object.fromEntries(own), why: {}, outside: {}, notes: [] }
  // the last build's digests, by image (a frontend is recorded as frontend:<ref>)
  const last: Record<string, string> = {}
  for (const rec of records) for (const [k, d] of Object.entries(rec?.inputs.deps ?? {})) last[k.replace(/^frontend:/, '')] ??= d
  const offline: string[] = []
  for (const r of others) {
    const res = resolved[r]
    if (res.digest) {
      out.outside[r] = res
      out.digests[r] = res.digest
      continue
    }
    if (pull)
      throw new EsbError(
        `--pull: image ${r} cannot be resolved (${res.error ?? res.via}); check the registry or its mirror in the builder's buildkitd.toml, or build without --pull to use the digests of the last build`,
      )
    if (last[r]) {
      out.outside[r] = { ...res, digest: last[r], last: true }
      out.digests[r] = last[r]
      offline.push(r)
    } else {
      out.outside[r] = res
      out.digests[r] = null
      out.why[r] = res.error ?? res.via
    }
  }
  if (offline.length)
    out.notes.push(
      `not reachable now, keyed with the digests of the last build: ${offline.join(', ')} (${resolved[offline[0]].error ?? 'no answer'}); --pull refuses that`,
    )
  return out
}
