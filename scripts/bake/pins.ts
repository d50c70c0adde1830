// The build uses exactly the digests its targets were keyed with: each
// outside image a target reads by tag becomes a named context
// `docker-image://<ref>@<digest>` (BuildKit's Dockerfile frontend takes a
// named context for a FROM, COPY --from or RUN --mount from= of that name),
// and a `# syntax=` frontend by tag becomes BUILDKIT_SYNTAX=<ref>@<digest>.
// Pure: the pins come from the skip check (skip/outside.ts).
import type { BakeFile } from '../docker/bakefile.ts'
import type { SkipPlan } from '../skip/check.ts'

/** Adds the pins of `targets` to the generated bake file (bake merges contexts and args key by key). */
export function applyPins(json: BakeFile, targets: string[], pins: SkipPlan['pins']): void {
  for (const t of targets) {
    const p = pins?.[t]
    if (!p) continue
    const def = (json.target[t] ??= {})
    if (Object.keys(p.contexts).length) def.contexts = { ...(def.contexts ?? {}), ...p.contexts }
    if (p.syntax) def.args = { ...(def.args ?? {}), BUILDKIT_SYNTAX: p.syntax }
  }
}
