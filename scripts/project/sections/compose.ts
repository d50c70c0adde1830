// [compose]: extra compose files for `up`/`down`. Pure.
import type { Section } from '../schema.ts'

/** files: extra compose files after docker-compose.<mode>.yml; `{mode}` is replaced by the mode */
export interface ComposeSettings {
  files: string[]
}

export function resolveCompose(c: Section<'compose'>): ComposeSettings {
  return { files: c.files ?? [] }
}
