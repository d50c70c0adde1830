// docker esb images: what the project's registry holds.
import { FORMAT_FLAG, type CommandSpec } from './types.ts'
import { settingsFrom } from '../project/context.ts'
import { INDEX_TYPES, imageKindOf } from '../oci/ref.ts'
import { blobsOf, mediaTypeOf } from '../oci/copy.ts'
import { localCachePrefix, localRegistry } from '../oci/local.ts'
import { keyTagOf } from '../project/names.ts'
import { mib } from '../report/meter.ts'

export const imagesCmd: CommandSpec = {
  name: 'images',
  usage: '[--format json|table] [--all]',
  summary: "List what the project's registry holds: repository, tag, digest, size, kind",
  flags: [
    FORMAT_FLAG,
    ['--json', 'as JSON'],
    ['--all', "also repositories that are not the project's, and the key tags (k-<hex>, k-<hex>-t<time>) images are reused by"],
  ],
  strings: ['format'],
  booleans: ['all'],
  common: true,
  async run(c) {
    const s = settingsFrom(c.flags, c.io)
    const reg = await localRegistry(s, c.runner.signal)
    // caches live under [cache] ref_prefix; only those in this registry are listed as caches
    const cachePrefix = localCachePrefix(s)
    const rows: { repository: string; tag: string; digest: string; size: number; kind: string; platforms: number }[] = []
    for (const repo of await reg.catalog()) {
      const kind = imageKindOf(s.slug, repo, cachePrefix)
      if (kind === 'other' && !c.flags.all) continue
      for (const tag of await reg.tags(repo)) {
        // key tags (and their time tags) are more names of an image built with those inputs (skip/bykey.ts)
        if (keyTagOf(tag) && !c.flags.all) continue
        const m = await reg.manifest(repo, tag)
        if (!m) continue
        let size = m.bytes.length
        let platforms = 1
        if (INDEX_TYPES.includes(mediaTypeOf(m))) {
          platforms = 0
          for (const d of m.json.manifests ?? []) {
            const child = await reg.manifest(repo, d.digest)
            if (!child) continue
            if (d.platform?.os !== 'unknown') platforms++
            size += child.bytes.length + blobsOf(child, reg.name).reduce((a, b) => a + b.size, 0)
          }
        } else {
          size += blobsOf(m, reg.name).reduce((a, b) => a + b.size, 0)
        }
        rows.push({ repository: `${s.registry.localAddress}/${repo}`, tag, digest: m.digest, size, kind, platforms })
      }
    }
    if (c.flags.json) {
      c.io.out(JSON.stringify(rows, null, 2) + '\n')
      return
    }
    const w = Math.max(10, ...rows.map((r) => r.repository.length))
    c.io.out(`${'REPOSITORY'.padEnd(w)}  ${'TAG'.padEnd(16)}  ${'DIGEST'.padEnd(19)}  ${'SIZE'.padStart(10)}  KIND\n`)
    for (const r of rows)
      c.io.out(
        `${r.repository.padEnd(w)}  ${r.tag.padEnd(16)}  ${r.digest.slice(0, 19)}  ${mib(r.size).padStart(10)}  ${r.kind}\n`,
      )
  },
}
