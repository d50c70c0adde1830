// The image repositories a project's build pushes, as `build` plans them:
// every bake target and every function (Dockerfile glob and deploy
// artifacts), by the tag each is pushed as. prune --shared deletes only in
// these: a catalog prefix (`<slug>-`) would also name a longer slug's
// project (`acme-web-...` for `acme`).
import type { Runner } from '../docker/runner.ts'
import type { Settings } from '../project/config.ts'
import { renderForStack } from '../render/plan.ts'
import { functionDockerfiles } from '../functions/discover.ts'
import { artifactManifests, artifactTargets } from '../functions/artifact.ts'
import { onProjectRegistry } from '../skip/images.ts'
import { bakeInputs } from './inspect.ts'
import { defaultGroups } from './phases.ts'
import { effectiveTargets } from './override.ts'
import { allFunctions } from './plan.ts'

/** Repository names (no registry address) on the build registry; `grants`: folders outside the project an artifact entry may name. */
export async function projectRepos(s: Settings, runner: Runner, grants: string[] = []): Promise<string[]> {
  const bake = await bakeInputs(s, runner, renderForStack(s), defaultGroups(s, false))
  const fns = allFunctions({
    settings: s,
    functionDockerfiles: functionDockerfiles(s),
    artifactFunctions: artifactTargets(s, artifactManifests(s), grants),
  })
  const { tags } = effectiveTargets(s, bake.print, fns)
  const repos = Object.values(tags).flatMap((t) => onProjectRegistry(s, t)?.[0] ?? [])
  return [...new Set(repos)].sort()
}
