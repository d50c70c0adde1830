// [functions]: where function targets come from (their Dockerfiles, a glob)
// and the deploy artifact manifest(s). Pure.
import type { Section } from '../schema.ts'

/** artifact: deploy artifact manifest(s), a path or glob ([functions] artifact); null: the contract's default location */
export interface FunctionsSettings {
  dockerfiles: string
  artifact: string | null
}

export function resolveFunctions(f: Section<'functions'>): FunctionsSettings {
  return { dockerfiles: f.dockerfiles ?? 'functions/*/Dockerfile', artifact: f.artifact ?? null }
}
