// A first build makes its builder while the registry starts (about a second
// each on a cold machine, one after the other before): nothing was recorded
// yet, so every target builds and needs the builder. Decides only; the
// registry's first steps run it (run/plan-run.ts registryFirst).
import fs from 'node:fs'
import type { Settings } from '../project/config.ts'
import type { Env, Step } from '../plan/types.ts'
import { builderConfigWrites, ensureBuilderStep, type BuilderInputs } from './plan.ts'

export interface EarlyBuilderFacts {
  /** buildx's store lists the builder (builder/inspect.ts storedBuilder) */
  stored: boolean
  /** no skip record yet, or --no-skip: every target will build */
  buildsAll: boolean
}

/**
 * The steps to run now (docker esb's buildkitd.toml, then ensure-builder
 * that only creates: a builder found is left to the build's own step), or
 * none. Only a docker-container builder that does not exist, and only
 * when every target builds and builds push to the local registry (a shared
 * build registry may hold the images already). The build's plan writes the
 * same buildkitd.toml again (unchanged) and finds the builder made.
 */
export function earlyBuilderSteps(s: Settings, b: BuilderInputs, env: Env, f: EarlyBuilderFacts): Step[] {
  if (s.builder.driver.kind !== 'docker-container' || f.stored || !f.buildsAll || s.registry.build) return []
  return [...builderConfigWrites(s, b), { ...ensureBuilderStep(s, b, env), createOnly: true }]
}

/** No skip record in the inputs folder (skip/state.ts): nothing was built here yet. */
export function noRecords(inputsDir: string): boolean {
  try {
    return !fs.readdirSync(inputsDir).some((f) => f.endsWith('.json'))
  } catch {
    return true
  }
}
