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
 * The ensure-builder step to run now (it only creates: a builder found is
 * left to the build's own step), or none. Only a docker-container builder
 * that does not exist, only when every target builds and builds push to the
 * local registry (a shared build registry may hold the images already), and
 * only when the buildkitd.toml it is made with is on disk as the build would
 * write it: nothing is written before the plan is known good (a bad esb.toml
 * or bake file must leave no file behind).
 */
export function earlyBuilderSteps(s: Settings, b: BuilderInputs, env: Env, f: EarlyBuilderFacts): Step[] {
  if (s.builder.driver.kind !== 'docker-container' || f.stored || !f.buildsAll || s.registry.build) return []
  // b holds the config file as it is on disk (builder/inspect.ts builderInputs)
  const stale = builderConfigWrites(s, b).some((w) => w.kind === 'write' && w.content !== b.buildkitdConfig)
  return stale ? [] : [{ ...ensureBuilderStep(s, b, env), createOnly: true }]
}

/** No skip record in the inputs folder (skip/state.ts): nothing was built here yet. */
export function noRecords(inputsDir: string): boolean {
  try {
    return !fs.readdirSync(inputsDir).some((f) => f.endsWith('.json'))
  } catch {
    return true
  }
}
