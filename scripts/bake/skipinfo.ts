// What a plan says about the skip (skipped targets, why the others are
// rebuilt, notes, the outside images), for its log lines and report. Pure.
import type { SkipInfo } from '../plan/types.ts'
import type { SkipPlan } from '../skip/check.ts'
import type { KeyHit } from '../skip/bykey.ts'

/** What a plan says about the skip, for its log lines and report. */
export function skipInfo(skip: SkipPlan | undefined, reportFile: string, command: string): SkipInfo | undefined {
  if (!skip) return undefined
  const extra = {
    ...(skip.notes?.length ? { notes: skip.notes } : {}),
    ...(skip.outside && Object.keys(skip.outside).length ? { outside: skip.outside } : {}),
    ...(skip.byKey ? { reused: Object.fromEntries(Object.entries(skip.byKey).map(([t, h]) => [t, reusedFrom(h)])) } : {}),
  }
  return { skipped: Object.keys(skip.skip).sort(), rebuild: skip.rebuild, reportFile, command, ...extra }
}

/** `k-0123456789abcdef (built on main at 2026-12-05T10:00:00Z)` */
export function reusedFrom(h: KeyHit): string {
  const where = [h.branch ? `on ${h.branch}` : '', h.created ? `at ${h.created}` : ''].filter(Boolean).join(' ')
  return `${h.keyTag}${where ? ` (built ${where})` : ''}`
}
