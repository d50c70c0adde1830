// A plan: what a command will do, as plain data. Planners (bake/, compose/,
// builder/, registry/, prune/, render/) return steps; plan/execute.ts runs
// them; plan/show.ts prints them for --dry-run.
import type { Env } from '../docker/runner.ts'

export type { Env }

export interface CacheGen { target: string; dir: string; gen: string }

export type Step =
  /** a file we generate (rendered template, bake/compose override) */
  | { kind: 'write'; why: string; path: string; content: string; mode: number | null; reason: 'new' | 'changed' }
  /** folders that must exist (reports, cache folders) */
  | { kind: 'mkdir'; why: string; paths: string[] }
  /** a docker invocation: argv after `docker` (global flags are added by the runner) */
  | {
      kind: 'docker'; why: string; argv: string[]; env: Env; cwd: string
      report?: { command: string; file: string; final?: boolean }
      /** the builder this call builds on (held shared while it runs) */
      builder?: string
    }
  /** create the builder unless `inspect` shows it exists with the same fingerprint */
  | { kind: 'ensure-builder'; why: string; name: string; inspect: string[]; create: string[]; remove: string[]; bootstrap: string[]; fingerprint: string; stateFile: string; env: Env }
  /** start the registry unless it already answers; then wait for GET /v2/ == 200 */
  | { kind: 'ensure-registry'; why: string; url: string; port: number; timeoutMs: number; up: string[]; env: Env; cwd: string; containerName: string; composeProject: string }
  /** write a bake file (phase 2) or compose override whose base contexts are pinned to the digests the base bake pushed */
  | { kind: 'pin-bases'; why: string; path: string; json: object; metadataFile: string; refs: Record<string, string> }
  /** remove local cache generations that are not current (and not younger than minAgeMs), and old run folders */
  | { kind: 'prune-local'; why: string; cacheDir: string; runsDir: string; minAgeMs: number }
  /** remove this run's own files */
  | { kind: 'cleanup'; why: string; paths: string[] }
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
}

/** A unique id for one run's files (`.<slug>/runs/<id>`, cache generations). */
export function runId(): string {
  return `${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`
}
