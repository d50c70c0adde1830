// What a plan says about the skip (skipped targets, why the others are
// rebuilt, notes, the outside images), for its log lines and report. Pure.
import type { SkipInfo } from '../plan/types.ts'
import type { SkipPlan } from '../skip/check.ts'

/** What a plan says about the skip, for its log lines and report. */
export function skipInfo(skip: SkipPlan | undefined, reportFile: string, command: string): SkipInfo | undefined {
  if (!skip) return undefined
  const extra = {
    ...(skip.notes?.length ? { notes: skip.notes } : {}),
    ...(skip.outside && Object.keys(skip.outside).length ? { outside: skip.outside } : {}),
  }
  return { skipped: Object.keys(skip.skip).sort(), rebuild: skip.rebuild, reportFile, command, ...extra }
}
