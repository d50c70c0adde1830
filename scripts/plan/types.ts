// A plan: what a command will do, as plain data. Planners (bake/, compose/,
// builder/, registry/, prune/, render/) return steps; plan/execute.ts runs
// them; plan/show.ts prints them for --dry-run.
import type { MetadataTargets } from '../report/metadata.ts'
import type { Env } from '../docker/runner.ts'
import type { ProgressMode } from '../report/mode.ts'
import type { OutsideImages, RegistrySpec, ServiceRecords, StatCache, TargetInputs } from './records.ts'

export type { Env }

export interface CacheGen {
  target: string
  dir: string
  gen: string
}

export type Step =
  /** a file we generate (rendered template, bake/compose override) */
  | { kind: 'write'; why: string; path: string; content: string; mode: number | null; reason: 'new' | 'changed' }
  /** folders that must exist (reports, cache folders) */
  | { kind: 'mkdir'; why: string; paths: string[] }
  /** a docker invocation: argv after `docker` (global flags are added by the runner) */
  | {
      kind: 'docker'
      why: string
      argv: string[]
      env: Env
      cwd: string
      /** targets: what this bake builds, when it names targets (one target's steps carry no target name) */
      report?: {
        command: string
        file: string
        final?: boolean
        targets?: string[]
        progress?: ProgressMode
        metadataFile?: string
        builder?: string
      }
      /** the builder this call builds on (held shared while it runs) */
      builder?: string
    }
  /** create the builder unless `inspect` shows it exists with the same fingerprint */
  | {
      kind: 'ensure-builder'
      why: string
      name: string
      driver: string
      hint: string
      inspect: string[]
      create: string[]
      remove: string[]
      fingerprint: string
      stateFile: string
      env: Env
      /** made early (builder/early.ts): only a missing builder is created; anything else is left to the build's own step */
      createOnly?: boolean
    }
  /** start the registry unless it already answers; then wait for GET /v2/ == 200 */
  | {
      kind: 'ensure-registry'
      why: string
      url: string
      port: number
      timeoutMs: number
      up: string[]
      env: Env
      cwd: string
      containerName: string
      composeProject: string
      /** the host address it must be published on ([registry] bind) */
      bind: string
      /** the compose override `up` names (written before it runs): the registry's ports on `bind` only */
      override: { path: string; content: string }
      /** where the id of a container of another compose project it starts as it is is recorded (registry/owner.ts) */
      adopted: string
    }
  /** the build registry ([registry] build_address) answers and takes the user's credentials */
  | { kind: 'check-registry'; why: string; registry: RegistrySpec }
  /** copy images (repo:tag) from the build registry into the local one: digests unchanged, missing blobs only; `background`: while the next steps run */
  | { kind: 'copy-images'; why: string; from: RegistrySpec; to: string; images: string[]; background?: boolean }
  /** write a bake file (phase 2) or compose override whose base contexts are pinned to the digests the base bake pushed */
  | { kind: 'pin-bases'; why: string; path: string; json: object; metadataFile: string; refs: Record<string, string> }
  /** remove local cache generations that are not current (and not younger than minAgeMs), and old run folders */
  | { kind: 'prune-local'; why: string; cacheDir: string; runsDir: string; minAgeMs: number }
  /** remove this run's own files */
  | { kind: 'cleanup'; why: string; paths: string[] }
  /** --metadata-file: bake's metadata of every target, built or skipped (report/metadata.ts) */
  | { kind: 'write-metadata'; why: string; path: string; bakeFiles: string[]; targets: MetadataTargets }
  /** after a bake: record each built target's input key with the digest bake pushed (skip/) */
  | {
      kind: 'record-inputs'
      why: string
      dir: string
      metadataFile: string
      records: Record<string, { tag: string; key: string; inputs: TargetInputs }>
    }
  /** point each target's tag at the image the build registry holds under its key (skip/bykey.ts), then record it as built here */
  | {
      kind: 'reuse-by-key'
      why: string
      registry: RegistrySpec
      images: { target: string; repo: string; ref: string; digest: string; keyTag: string }[]
      dir: string
      records: Record<string, { tag: string; key: string; inputs: TargetInputs }>
    }
  /** after a bake: tag each image it built with its shared key, for any machine that computes the same key */
  | {
      kind: 'publish-keys'
      why: string
      registry: RegistrySpec
      metadataFile: string
      keys: { target: string; repo: string; key: string }[]
    }
  /** prune --shared: delete docker esb's key tags beyond the newest `keep` per image in the build registry, and the images only they named (prune/shared.ts) */
  | {
      kind: 'delete-manifests'
      why: string
      registry: RegistrySpec
      deletions: { repo: string; digest: string; note: string; tags: string[] }[]
      keep: number
      /** what the registry's garbage collector frees at most */
      bytes: number
    }
  /** prune --registry, the registry stopped: untag the key tags beyond the newest `keep` per image (prune/keytags.ts) */
  | {
      kind: 'drop-key-tags'
      why: string
      list: string[]
      volume: string
      image: string
      keep: number
      env: Env
      cwd: string
      /** asked while planning (prune/shared-run.ts localKeyPrune): keys beyond keep, and what the GC frees with them */
      beyond?: { count: number; bytes: number }
    }
  /** after compose up --build: record each service's input key with the id of the image the engine now holds (compose/skip.ts) */
  | {
      kind: 'record-services'
      why: string
      dir: string
      records: ServiceRecords
      inspect: string[]
      ps: string[]
      stack: { file: string; project: string; config: string }
    }
  /** keep the context files' stat cache for the next skip check */
  | { kind: 'save-stat-cache'; why: string; dir: string; cache: StatCache }
  /** before a bake: hard-link each target's current local cache blobs into this run's export folder */
  | { kind: 'seed-cache'; why: string; gens: CacheGen[] }
  /** swap the local cache `current` symlink of each target to this run's export */
  | { kind: 'promote-cache'; why: string; gens: CacheGen[] }

export type StepOf<K extends Step['kind']> = Extract<Step, { kind: K }>

export interface Plan {
  command: string
  project: string
  mode: string
  env: Env
  /** per target (bake) or per service (compose): where its cache comes from and goes to */
  caches: Record<string, { from: string[]; to: string[] }>
  steps: Step[]
  /** where each env value came from (flag, variable and file, esb.toml, default) */
  envSources?: Record<string, string>
  /** targets skipped as unchanged, and why the others are rebuilt (build, up's bases) */
  skip?: SkipInfo
  /** one line each, said before the plan runs (e.g. a [bake.arg_hashes] file that is missing) */
  notes?: string[]
}

export interface SkipInfo {
  skipped: string[]
  rebuild: Record<string, string[]>
  reportFile: string
  command: string
  /** one-line notes (registries that did not answer) */
  notes?: string[]
  /** images read from outside the project's registry, and the targets each one decides */
  outside?: OutsideImages
  /** of `skipped`: target -> where its image was taken from (`k-… (built on main at …)`) */
  reused?: Record<string, string>
}

/** A unique id for one run's files (`.<slug>/runs/<id>`, cache generations). */
export function runId(): string {
  return `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`
}
