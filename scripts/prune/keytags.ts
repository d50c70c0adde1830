// prune --registry: the key tags (skip/bykey.ts) beyond the newest
// [registry] keep per image are untagged before the garbage collection, so
// the images only they held are freed. The registry is stopped meanwhile:
// the tags are read and removed in its volume, where a tag is a folder whose
// link file was written when the tag last was (a reuse rewrites it). Only
// `k-` + 16 hex tags are touched; the current tags keep their images.
import type { Runner } from '../docker/runner.ts'
import type { StepOf } from '../plan/types.ts'
import { isKeyTag } from '../project/names.ts'

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

/** From `stat` lines (`<mtime> ./<repo>/_manifests/tags/<tag>/current/link`): the tag folders to remove, all but the newest `keep` per repo. */
export function staleKeyTags(listing: string, keep: number): string[] {
  const byRepo = new Map<string, { t: number; tag: string }[]>()
  for (const line of listing.split('\n')) {
    const m = /^(\d+) \.\/([a-z0-9][a-z0-9._/-]*)\/_manifests\/tags\/([^/]+)\/current\/link$/.exec(line.trim())
    if (!m || !isKeyTag(m[3]) || m[2].split('/').includes('..')) continue
    const list = byRepo.get(m[2]) ?? byRepo.set(m[2], []).get(m[2])!
    list.push({ t: Number(m[1]), tag: m[3] })
  }
  const out: string[] = []
  for (const [repo, tags] of [...byRepo].sort(([a], [b]) => (a < b ? -1 : 1))) {
    tags.sort((a, b) => b.t - a.t || (a.tag < b.tag ? -1 : 1))
    for (const x of tags.slice(keep)) out.push(`${ROOT}/${repo}/_manifests/tags/${x.tag}`)
  }
  return out
}

/** Runs a drop-key-tags step; says how many it untagged. */
export async function dropKeyTags(runner: Runner, st: StepOf<'drop-key-tags'>): Promise<string> {
  const list = await runner.run(st.list, { capture: true, env: st.env, cwd: st.cwd })
  const stale = staleKeyTags(list.stdout, st.keep)
  if (stale.length) await runner.run(inVolume(st.volume, st.image, '/bin/rm', ['-rf', ...stale]), { env: st.env, cwd: st.cwd })
  return `untagged ${stale.length} key tag(s) beyond the newest ${st.keep} per image`
}
