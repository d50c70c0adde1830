// The shapes of bake files as JSON: what `docker buildx bake --print` and
// `--metadata-file` give, and what docker esb generates. Parsed at the edge (bake/inspect.ts).

export interface BakeTarget {
  context?: string
  dockerfile?: string
  contexts?: Record<string, string>
  tags?: string[]
  args?: Record<string, string | null>
  labels?: Record<string, string | null>
  /** `"type=image,push=true"`, or `{ type, push }` as buildx's --print gives it */
  output?: (string | Record<string, string>)[]
  /** `"id=x,src=path"`, or `{ id, src }` as buildx 0.29's --print gives it */
  secret?: (string | Record<string, string>)[]
  target?: string
  platforms?: string[]
  'cache-from'?: string[]
  'cache-to'?: string[]
  [key: string]: unknown
}

export interface BakeGroup {
  targets?: string[]
}

export interface BakeFile {
  group?: Record<string, BakeGroup>
  target: Record<string, BakeTarget>
}

/** `--metadata-file` content: per target, the pushed digest among others. */
export type BakeMetadata = Record<string, { 'containerimage.digest'?: string } | undefined>

/** Checks the parts of `bake --print` JSON docker esb reads; the rest passes through. */
export function parseBakeFile(v: unknown, where: string): BakeFile {
  const o = (typeof v === 'object' && v !== null ? v : null) as Record<string, unknown> | null
  if (!o) throw new Error(`${where}: not a JSON object`)
  const target = (o.target ?? {}) as Record<string, BakeTarget>
  const group = (o.group ?? undefined) as Record<string, BakeGroup> | undefined
  if (typeof target !== 'object' || Array.isArray(target)) throw new Error(`${where}: "target" is not an object`)
  return { target, ...(group ? { group } : {}) }
}
