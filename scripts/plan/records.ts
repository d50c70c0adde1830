// The data shapes plan steps carry (records written after a build, the
// stat cache, the build registry). Plain types, so that plan/ imports no planner.

/** What decides a target's result, as docker esb keys it (skip/keys.ts). */
export interface TargetInputs {
  definition: string
  args: Record<string, string>
  dockerfile: string
  files: Record<string, string>
  /** `target:<name>` -> that target's key; `<image ref>` -> its digest */
  deps: Record<string, string>
}

/** What compose built for a service, to skip it when unchanged (compose/skip.ts). */
export type ServiceRecords = Record<string, { tag: string; key: string; inputs: TargetInputs; image: string }>

/** Context file hashes by path, kept between runs so unchanged files are not re-read (skip/files.ts). */
export interface StatEntry {
  size: number
  mtimeMs: number
  /** changes on every write, also when the mtime is set back (cp -p, rsync --inplace, touch -r) */
  ctimeMs: number
  ino: number
  hash: string
}
export type StatCache = Record<string, StatEntry>

/** A registry a step talks to (registry/build.ts makes the client). */
export interface RegistrySpec {
  /** host[:port], as in image names */
  address: string
  /** http:// or https:// */
  base: string
  /** a private CA's PEM file ([registry] build_ca) */
  caFile: string | null
  /** where the address and the CA file were given (esb.toml:line, a variable), for messages */
  where: string | null
  caWhere: string | null
  /** the docker config folder whose credentials are used (those buildx hands to BuildKit); null: anonymous */
  configDir: string | null
}

/** Each image (or `# syntax=` frontend) read from outside the project's registry: its digest, where it was resolved, and the targets a bump would rebuild (skip/outside.ts). */
export type OutsideImages = Record<
  string,
  { digest: string | null; via: string; last?: boolean; frontend?: boolean; targets: string[] }
>
