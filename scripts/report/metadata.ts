// `docker esb build --metadata-file FILE`: bake's metadata format
// (`containerimage.digest`, `image.name`, ...) for every target of the run,
// built or skipped, so a deploy step needs no second lookup. Built targets
// carry what bake wrote for them; skipped ones the digest the registry was
// checked to hold at their tag; reused ones (taken from the build registry
// by their key) that image's digest. `docker-esb.status` says which. Pure but
// for reading bake's own metadata files.
import fs from 'node:fs'

export type TargetMetadata = Record<string, unknown> & {
  'containerimage.digest'?: string
  'image.name': string
  'docker-esb.status': 'built' | 'skipped' | 'reused'
}

/** What each target of the run is: its pushed tag, and the digest it was skipped at (undefined: it went to bake). */
export interface MetadataTargets {
  [target: string]: { tag: string; skipped?: string; reused?: boolean }
}

/** Every target's entry; `bake`: the metadata files bake wrote, in phase order (a missing one counts as empty). */
export function runMetadata(
  targets: MetadataTargets,
  bake: Record<string, Record<string, unknown>>[],
): Record<string, TargetMetadata> {
  const out: Record<string, TargetMetadata> = {}
  // a target only bake knew of (a group docker esb could not list) is there as bake wrote it
  const named = new Set([...Object.keys(targets), ...bake.flatMap((f) => Object.keys(f))])
  for (const t of [...named].sort()) {
    const { tag, skipped, reused } = targets[t] ?? { tag: '' }
    if (skipped !== undefined) {
      out[t] = { 'containerimage.digest': skipped, 'image.name': tag, 'docker-esb.status': reused ? 'reused' : 'skipped' }
      continue
    }
    const own = bake.reduce<Record<string, unknown>>((m, f) => {
      const e = f[t]
      return e && typeof e === 'object' ? { ...m, ...(e as Record<string, unknown>) } : m
    }, {})
    out[t] = { 'image.name': tag, ...own, 'docker-esb.status': 'built' }
    if (!out[t]['image.name']) delete (out[t] as Record<string, unknown>)['image.name']
  }
  return out
}

/** A metadata file bake wrote, or nothing (not written: that phase did not run). */
export function readBakeMetadata(file: string): Record<string, Record<string, unknown>> {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Record<string, unknown>>) : {}
  } catch {
    return {}
  }
}
