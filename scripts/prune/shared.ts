// prune --shared: a build registry docker esb does not run ([registry]
// build_address, shared by a team's machines and CI) keeps every key tag
// (skip/bykey.ts) builds publish. Here only what docker esb's own tags alone
// name goes: per image repository, the keys beyond the newest [registry] keep
// (by their time tags; a key without one counts as oldest), deleted by
// manifest digest, and only a digest every tag of which is such a key's tag
// or time tag (deleting a manifest untags all its tags: a current tag, or a
// kept key, keeps it). The registry's own garbage collector frees the blobs.
// Pure: shared-run.ts gathers the registry's state and deletes.
import { keyTagOf } from '../project/names.ts'

/** One image repository of the project: every tag and the manifest digest it names. */
export interface SharedRepo {
  repo: string
  tags: Record<string, string>
}

/** A manifest to delete, why, and the tags that named it when decided (deleted only while no other does). */
export interface SharedDeletion {
  repo: string
  digest: string
  note: string
  tags: string[]
}

/** Blob digest -> size, per `repo@manifest digest` (images, caches), as gathered. */
export type BlobsOf = Record<string, Record<string, number>>

export interface SharedPrune {
  deletions: SharedDeletion[]
  /** keys beyond keep (their tags go, or stay on an image something else names) */
  stale: number
  /** bytes of the blobs only the deleted manifests name: what the registry's garbage collector frees at most */
  bytes: number
}

const when = (t: number | null) =>
  t === null ? 'no publish time' : `published ${new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')}`

/** The keys of a repository (those whose key tag is there), newest first: key tag -> its newest time tag's time. */
function keysByAge(tags: string[]): [string, number | null][] {
  const keys = new Map<string, number | null>()
  for (const t of tags) if (keyTagOf(t)?.time === null) keys.set(t, null)
  for (const t of tags) {
    const k = keyTagOf(t)
    // a time tag whose key tag is gone names no key (its image goes unless something else names it)
    if (k?.time == null || !keys.has(k.keyTag)) continue
    keys.set(k.keyTag, Math.max(keys.get(k.keyTag) ?? 0, k.time))
  }
  return [...keys].sort(([a, x], [b, y]) => (y ?? -1) - (x ?? -1) || (a < b ? -1 : 1))
}

/** What prune --shared deletes, keeping the newest `keep` keys per repository. `caches`: `repo@digest` of the registry caches (their blobs stay). */
export function sharedPrune(repos: SharedRepo[], keep: number, blobs: BlobsOf = {}, caches: string[] = []): SharedPrune {
  const out: SharedDeletion[] = []
  const survivors = new Set<string>(caches)
  let stale = 0
  for (const r of [...repos].sort((a, b) => (a.repo < b.repo ? -1 : 1))) {
    const keys = keysByAge(Object.keys(r.tags))
    const old = new Map(keys.slice(keep))
    stale += old.size
    const byDigest = new Map<string, string[]>()
    for (const [t, d] of Object.entries(r.tags)) byDigest.set(d, [...(byDigest.get(d) ?? []), t])
    for (const [digest, tags] of [...byDigest].sort(([a], [b]) => (a < b ? -1 : 1))) {
      // only docker esb's tags name it, and no kept key's tag itself
      const ours = tags.map(keyTagOf)
      const gone = ours.every((k, i) => k && (old.has(k.keyTag) || tags[i] !== k.keyTag))
      if (!gone) {
        survivors.add(`${r.repo}@${digest}`)
        continue
      }
      const key = tags.map(keyTagOf).find((k) => old.has(k!.keyTag))?.keyTag
      const note = key ? `${key} (${when(old.get(key)!)})` : `older image of ${tags.join(', ')}`
      out.push({ repo: r.repo, digest, note, tags: [...tags].sort() })
    }
  }
  // a blob frees only when no manifest that stays names it (in any repository gathered)
  const stay = new Set([...survivors].flatMap((m) => Object.keys(blobs[m] ?? {})))
  const freed = new Map<string, number>()
  for (const d of out)
    for (const [b, n] of Object.entries(blobs[`${d.repo}@${d.digest}`] ?? {})) if (!stay.has(b)) freed.set(b, n)
  return { deletions: out, stale, bytes: [...freed.values()].reduce((a, b) => a + b, 0) }
}
