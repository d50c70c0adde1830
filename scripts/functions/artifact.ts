// The deploy artifact manifest (artifact.yml) an ESB repo's deploy tool
// writes: entries whose `functions/<name>/Dockerfile` build with the entry
// root as context, named by `<runtime_config_dir>/functions.yml`. Reads files
// and returns plain targets.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import YAML from 'yaml'
import { globbySync } from 'globby'
import { UsageError } from '../errors.ts'
import { checkLength, clip, cut, MAX_FILE_BYTES } from '../project/schema.ts'
import type { Settings } from '../project/config.ts'
import { lambdaBaseContexts, pushRef, type FunctionTarget } from './targets.ts'
import { checkFunctionName, checkImageName, readable } from './names.ts'
import { simpleGlob } from './glob.ts'
import { compareText } from '../sort.ts'

interface ArtifactManifest {
  schema_version?: unknown
  mode?: unknown
  env?: unknown
  artifacts?: { artifact_root?: unknown; runtime_config_dir?: unknown }[]
}
interface FunctionsYml {
  functions?: unknown
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Parsed manifests kept between runs by their text's hash (docker/queries.ts QueryCache): YAML's parser costs a no-op build ~15 ms. */
export interface ParsedMemo {
  get(parts: unknown[]): string | null
  set(parts: unknown[], answer: string): void
}

/** A manifest as a mapping; too big, not a file, malformed or not a mapping: one line naming it. */
function readYaml<T>(file: string, what: string, memo?: ParsedMemo): T {
  let text: string
  try {
    const st = fs.statSync(file)
    if (!st.isFile() || st.size > MAX_FILE_BYTES)
      throw new UsageError(
        `${file}: the ${what} is ${st.isFile() ? `${st.size} bytes, over the ${MAX_FILE_BYTES >> 20} MiB docker esb reads` : 'not a regular file'}; point [functions] artifact in esb.toml at the right file`,
      )
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    if (e instanceof UsageError) throw e
    throw new UsageError(`${file}: cannot read the ${what}; check [functions] artifact in esb.toml`)
  }
  const key = ['yaml', crypto.createHash('sha256').update(text).digest('hex')]
  const kept = memo?.get(key)
  // the same checks as a fresh parse follow: a kept answer is only ever a parse of this very text
  if (kept) return JSON.parse(kept) as T
  let doc: unknown
  try {
    doc = YAML.parse(text) ?? {}
  } catch (e) {
    throw new UsageError(`${file}: malformed YAML in the ${what}: ${String((e as Error).message).split('\n')[0]}`)
  }
  if (!isMap(doc)) throw new UsageError(`${file}: the ${what} is ${kindOf(doc)}; it must be a mapping (key: value lines)`)
  if (memo && jsonSafe(doc)) memo.set(key, JSON.stringify(doc))
  return doc as T
}

/** JSON holds it as it is (YAML may give .inf, .nan or dates): only then is a parse kept. */
function jsonSafe(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true
  if (typeof v === 'number') return Number.isFinite(v)
  if (Array.isArray(v)) return v.every(jsonSafe)
  if (isMap(v) && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).every(jsonSafe)
  return false
}

const kindOf = (v: unknown) => (Array.isArray(v) ? 'a list' : v === null ? 'empty' : `a ${typeof v}`)

/** `functions:` of a functions.yml: name -> its mapping (an empty entry is an empty mapping). */
function functionsOf(file: string, fy: FunctionsYml): [string, { image?: unknown }][] {
  if (fy.functions === undefined || fy.functions === null) return []
  if (!isMap(fy.functions))
    throw new UsageError(
      `${file}: key 'functions' is ${kindOf(fy.functions)}; it must be a mapping: write 'functions:', then '  <name>:' and '    image: <registry>/<name>:<tag>' under it`,
    )
  return Object.entries(fy.functions).map(([name, def]) => {
    if (def !== null && !isMap(def))
      throw new UsageError(
        `${file}: key 'functions.${cut(name)}' is ${kindOf(def)}; it must be a mapping: write '    image: <registry>/<name>:<tag>' under it`,
      )
    checkLength(`${file}: key 'functions.${cut(name)}'`, { [name]: def })
    return [name, def ?? {}]
  })
}

/** The manifests to read: [functions] artifact (path or glob), else the contract's default location when it exists. */
export function artifactManifests(s: Settings): string[] {
  if (s.functions.artifact) {
    // a folder is not expanded to every file below it (`/` would walk the disk); a path through a file matches nothing
    const found = (
      simpleGlob(s.projectDir, s.functions.artifact, { dot: true }) ??
      globbySync(s.functions.artifact, {
        cwd: s.projectDir,
        onlyFiles: true,
        dot: true,
        expandDirectories: false,
        suppressErrors: true,
      })
    )
      .sort()
      .map((f) => path.resolve(s.projectDir, f))
    if (!found.length)
      throw new UsageError(
        `esb.toml: [functions] artifact ${JSON.stringify(s.functions.artifact)} matches no file under ${s.projectDir}; point it at an artifact.yml`,
      )
    return found
  }
  const clean = (x: string) => x.replace(/[/\\]/g, '-')
  const dflt = path.join(s.projectDir, s.ctx.HOME_DIR, 'artifacts', clean(s.projectName), clean(s.env), 'artifact.yml')
  return fs.existsSync(dflt) ? [dflt] : []
}

/**
 * Every function of every entry of the manifests, as bake targets. Two functions with one image name are an error.
 * `grants`: folders the user lets bake read besides the project (an entry outside it must be in one).
 */
export function artifactTargets(s: Settings, manifests: string[], grants: string[] = [], memo?: ParsedMemo): FunctionTarget[] {
  const found: (FunctionTarget & { name: string; mode: string })[] = []
  for (const file of manifests) {
    const m = readYaml<ArtifactManifest>(file, 'deploy artifact manifest', memo)
    if (!Array.isArray(m.artifacts) || m.artifacts.length === 0)
      throw new UsageError(`${file}: 'artifacts' must be a non-empty list of entries with artifact_root and runtime_config_dir`)
    if (m.mode !== undefined && typeof m.mode !== 'string')
      throw new UsageError(`${file}: key 'mode' is ${clip(m.mode)}; it must be a string, e.g. mode: docker`)
    const mode = typeof m.mode === 'string' ? m.mode : 'default'
    m.artifacts.forEach((e, i) => {
      checkLength(`${file}: artifacts[${i}]`, e)
      if (typeof e?.artifact_root !== 'string' || typeof e.runtime_config_dir !== 'string')
        throw new UsageError(`${file}: artifacts[${i}] needs artifact_root and runtime_config_dir (strings)`)
      if (path.isAbsolute(e.runtime_config_dir) || e.runtime_config_dir.split(/[/\\]/).includes('..'))
        throw new UsageError(`${file}: artifacts[${i}].runtime_config_dir must be relative and stay inside the entry`)
      const root = path.resolve(path.dirname(file), e.artifact_root)
      if (!readable(s.projectDir, grants, root))
        throw new UsageError(
          `${file}: artifacts[${i}].artifact_root ${root} is outside the project; bake may read it only if you grant it: docker esb build --allow-read ${root} (or ${s.prefix}_ALLOW_READ)`,
        )
      const fnFile = path.join(root, e.runtime_config_dir, 'functions.yml')
      const fy = readYaml<FunctionsYml>(fnFile, 'functions.yml', memo)
      for (const [name, def] of functionsOf(fnFile, fy).sort(([a], [b]) => compareText(a, b))) {
        if (def.image !== undefined && typeof def.image !== 'string')
          throw new UsageError(
            `${fnFile}: key 'functions.${cut(name)}.image' is ${clip(def.image)}; it must be a string: image: <registry>/<name>:<tag>`,
          )
        checkFunctionName(fnFile, name, 'rename it in functions.yml')
        const dockerfile = path.join('functions', name, 'Dockerfile')
        let text: string
        try {
          text = fs.readFileSync(path.join(root, dockerfile), 'utf8')
        } catch {
          continue
        } // a function with no Dockerfile here is built elsewhere
        if (typeof def?.image !== 'string') throw new UsageError(`${fnFile}: functions.${name}.image must be an image reference`)
        checkImageName(`${fnFile}: functions.${name}.image`, def.image)
        const tag = pushRef(s, def.image)
        if (!tag)
          throw new UsageError(
            `${fnFile}: functions.${name}.image ${def.image} is not on the project's registry (${s.registry.runtimeAddress}), where function images must be; name it ${s.registry.runtimeAddress}/${def.image.split('/').pop()}`,
          )
        found.push({
          name,
          mode,
          target: `fn-${name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`,
          context: root,
          dockerfile,
          tag,
          contexts: lambdaBaseContexts(s, text),
          source: path.join(root, dockerfile),
        })
      }
    })
  }
  // one target name per function; the same function in several manifests (modes) gets the mode appended
  const count = new Map<string, number>()
  for (const f of found) count.set(f.target, (count.get(f.target) ?? 0) + 1)
  const byTag = new Map<string, string>()
  const targets = new Set<string>()
  return found.map(({ name: _n, mode, ...f }) => {
    const target = (count.get(f.target) ?? 0) > 1 ? `${f.target}-${mode}` : f.target
    if (targets.has(target))
      throw new UsageError(
        `two functions named ${f.target.slice(3)} in ${mode}-mode manifests (${f.source}); rename one in its functions.yml`,
      )
    targets.add(target)
    const other = byTag.get(f.tag)
    if (other)
      throw new UsageError(
        `functions ${other} and ${f.source} both map to image ${f.tag}; give them different names in functions.yml`,
      )
    byTag.set(f.tag, f.source)
    return { ...f, target }
  })
}
