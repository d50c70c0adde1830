// What `up` is planned from: the settings, what compose and bake say, and the skip decisions.
import type { Settings } from '../project/config.ts'
import type { BuilderInputs } from '../builder/plan.ts'
import type { BakeFile } from '../docker/bakefile.ts'
import type { SkipPlan } from '../skip/check.ts'
import type { Step } from '../plan/types.ts'
import type { ProgressMode } from '../report/mode.ts'
import type { ComposeConfig } from './types.ts'
import type { ServiceSkip } from './skip.ts'

export interface UpPlanInputs {
  settings: Settings
  renderWrites: Step[]
  builder: BuilderInputs
  /** `docker compose config --format json` of the mode file */
  composeConfig: ComposeConfig
  runId: string
  extraArgs: string[]
  /** folders the user grants the base bake read access to */
  allowRead?: string[]
  localCaches?: string[]
  /** `docker buildx bake --print` when the project has a bake file: its bases are built first */
  bakePrint?: BakeFile
  /** the bases that are unchanged (skipped) and why the others are rebuilt */
  skip?: SkipPlan
  /** the docker config folder (credentials for [registry] build_address) */
  dockerConfigDir?: string
  /** bake variables the project's bake files declare (set for the base bake, as build does) */
  bakeVariables?: string[]
  buildxVersion?: string
  /** the services that are unchanged since compose built them (compose/skip.ts) */
  services?: ServiceSkip
  /** how build output is shown (report/mode.ts); default plain */
  progress?: ProgressMode
}
