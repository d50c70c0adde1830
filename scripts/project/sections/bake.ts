// [bake]: the bake files and groups `build` runs, provenance, where builds
// may push besides the project's registry, skipping unchanged targets, and
// the image timestamps (SOURCE_DATE_EPOCH). Pure.
import { UsageError } from '../../errors.ts'
import type { Lookup, Picked } from '../lookup.ts'
import type { Section } from '../schema.ts'

export interface BakeSettings {
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

/**
 * Image timestamps (config and history) from SOURCE_DATE_EPOCH, 0 unless set:
 * a step whose result BuildKit loads from an imported cache otherwise gets a
 * new time, so a base rebuilt from a shared cache on a fresh runner got a new
 * digest and every child built on it missed its cache (bench/ciwarm.mjs).
 */
export function sourceDateEpoch(p: Picked): string {
  if (!/^\d{1,12}$/.test(p.value))
    throw new UsageError(
      `${p.where}: SOURCE_DATE_EPOCH ${JSON.stringify(p.value)} is not a number of seconds since 1970; give e.g. 0 or $(git log -1 --format=%ct)`,
    )
  return p.value
}

export function resolveBake(l: Lookup, bk: Section<'bake'>): BakeSettings {
  return {
    files: bk.files ?? ['docker-bake.hcl'],
    groups: bk.groups ?? ['default'],
    provenance: l.flags.provenance ?? bk.provenance ?? false,
    pushAllow: bk.push_allow ?? [],
    skip: bk.skip ?? true,
    sourceDateEpoch: sourceDateEpoch(
      l.pick(undefined, '', ['SOURCE_DATE_EPOCH'], bk.source_date_epoch, `${l.tf}: key 'bake.source_date_epoch'`, '0'),
    ),
  }
}
