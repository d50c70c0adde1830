// prune --registry: the key tags (skip/bykey.ts) beyond the newest
// [registry] keep per image are untagged before the garbage collection, so
// the images only they held are freed. The registry is stopped meanwhile:
// the tags are read and removed in its volume, where a tag is a folder whose
// link file was written when the tag last was (a reuse rewrites it). Only
// key tags (`k-` + 16 hex) and their time tags (`-t<seconds>`) are touched;
// the current tags keep their images.
import type { Runner } from '../docker/runner.ts'
import type { StepOf } from '../plan/types.ts'
import { keyTagOf } from '../project/names.ts'

const ROOT = '/var/lib/registry/docker/registry/v2/repositories'
// a fixed script (no input in it): every key tag's link file with its time
const LIST = `cd ${ROOT} 2>/dev/null && find . -path '*/_manifests/tags/k-*/current/link' -exec stat -c '%Y %n' {} + || true`

/** A throwaway container of the registry's image on its volume, no network, running `entrypoint args`. */
const inVolume = (volume: string, image: string, entrypoint: string, args: string[]) => [
  'run',
  '--rm',
  '--network',
  'none',
  '-v',
  `${volume}:/var/lib/registry`,
  '--entrypoint',
  entrypoint,
  image,
  ...args,
]

/** The docker command that lists the key tags in the registry's volume. */
export function listKeyTagsArgv(volume: string, image: string): string[] {
  return inVolume(volume, image, '/bin/sh', ['-c', LIST])
}

/**
 * From `stat` lines (`<mtime> ./<repo>/_manifests/tags/<tag>/current/link`):
 * the tag folders to remove. Per repo, the keys beyond the newest `keep` (a
 * key's time: its newest tag's) lose their key tag and time tags; a kept key
 * keeps its key tag and newest time tag (older ones name earlier builds).
 */
export function staleKeyTags(listing: string, keep: number): string[] {
  const byRepo = new Map<string, Map<string, { t: number; tags: string[] }>>()
  for (const line of listing.split('\n')) {
    const m = /^(\d+) \.\/([a-z0-9][a-z0-9._/-]*)\/_manifests\/tags\/([^/]+)\/current\/link$/.exec(line.trim())
    const k = m ? keyTagOf(m[3]) : null
    if (!m || !k || m[2].split('/').includes('..')) continue
    const keys = byRepo.get(m[2]) ?? byRepo.set(m[2], new Map()).get(m[2])!
    const e = keys.get(k.keyTag) ?? keys.set(k.keyTag, { t: 0, tags: [] }).get(k.keyTag)!
    e.t = Math.max(e.t, Number(m[1]))
    e.tags.push(m[3])
  }
  const out: string[] = []
  for (const [repo, keys] of [...byRepo].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // time tags whose key tag is gone name no key: they go, and take no place among the kept
    const orphan = ([key, e]: [string, { tags: string[] }]) => !e.tags.includes(key)
    for (const [, e] of [...keys].filter(orphan))
      for (const tag of [...e.tags].sort()) out.push(`${ROOT}/${repo}/_manifests/tags/${tag}`)
    const sorted = [...keys].filter((x) => !orphan(x)).sort(([a, x], [b, y]) => y.t - x.t || (a < b ? -1 : 1))
    for (const [i, [key, e]] of sorted.entries()) {
      const times = e.tags.filter((t) => t !== key).sort((a, b) => keyTagOf(b)!.time! - keyTagOf(a)!.time!)
      const drop = i < keep ? times.slice(1) : e.tags
      for (const tag of [...drop].sort()) out.push(`${ROOT}/${repo}/_manifests/tags/${tag}`)
    }
  }
  return out
}

/** Runs a drop-key-tags step; says how many it untagged. */
export async function dropKeyTags(runner: Runner, st: StepOf<'drop-key-tags'>): Promise<string> {
  const list = await runner.run(st.list, { capture: true, env: st.env, cwd: st.cwd })
  const stale = staleKeyTags(list.stdout, st.keep)
  if (stale.length) await runner.run(inVolume(st.volume, st.image, '/bin/rm', ['-rf', ...stale]), { env: st.env, cwd: st.cwd })
  return `untagged ${stale.length} key tag(s) beyond the newest ${st.keep} key(s) per image`
}
