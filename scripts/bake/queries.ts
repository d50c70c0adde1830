// The kept answers of buildx (version, bake --print) for build and up
// (docker/queries.ts): where they live, and the plan step that keeps this run's.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { statePaths } from '../project/names.ts'
import { QueryCache } from '../docker/queries.ts'
import type { Plan } from '../plan/types.ts'
import { inputsDir } from '../skip/state.ts'

export function queryCache(s: Settings): QueryCache {
  return new QueryCache(path.join(inputsDir(statePaths(s.projectDir, s.ctx.HOME_DIR).state), 'queries.json'))
}

/** Keeps the answers this run used, before the run's own files are removed (nothing when unchanged). */
export function withQueryCache(plan: Plan, c: QueryCache): Plan {
  const content = c.content()
  if (content === null) return plan
  const at = plan.steps.findIndex((st) => st.kind === 'cleanup')
  const step = {
    kind: 'write' as const,
    why: "remember buildx's version and bake's definition for the same inputs (a no-op asks docker nothing)",
    path: c.file,
    content,
    mode: 0o644,
    reason: 'changed' as const,
  }
  const steps = [...plan.steps]
  steps.splice(at < 0 ? steps.length : at, 0, step)
  return { ...plan, steps }
}
