// The push guard: every way a build could leave the project, checked before
// anything runs (and in the dry run). Images and registry caches go only to
// the project's registry (or a [bake] push_allow prefix); files (`local`,
// `tar`, `oci`, `docker` with dest=) only inside the project. Reads only the
// file system (realpath of what exists); throws one UsageError line.
import fs from 'node:fs'
import path from 'node:path'
import { UsageError } from '../errors.ts'
import type { Settings } from '../project/config.ts'
import type { BakeFile, BakeTarget } from '../docker/bakefile.ts'

/**
 * An output or cache entry as attributes: bake's CSV (`type=tar,dest=x`, `-o path`, `-o -`) or --print's object.
 * `cache`: a cache-to/cache-from entry, where buildx reads a bare value as `type=registry,ref=<value>`.
 */
export function outputAttrs(v: unknown, mode: 'output' | 'cache' = 'output'): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toLowerCase(), String(x)]))
  const t = String(v)
  if (!t.includes('=') && mode === 'cache') return { type: 'registry', ref: t }
  if (!t.includes('=')) return t === '-' ? { type: 'tar', dest: '-' } : { type: 'local', dest: t }
  const out: Record<string, string> = {}
  // CSV: a quoted field may hold commas (name="a,b")
  for (const field of t.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const f = field.replace(/"/g, '')
    const i = f.indexOf('=')
    out[(i < 0 ? f : f.slice(0, i)).trim().toLowerCase()] = i < 0 ? '' : f.slice(i + 1)
  }
  return out
}

const show = (o: Record<string, string>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')

/** The prefixes a build may push images and caches to: the project's registries, then [bake] push_allow. */
export function pushPrefixes(s: Settings): string[] {
  return [...new Set([`${s.registry.buildAddress}/`, `${s.registry.localAddress}/`, ...s.bake.pushAllow])]
}

/** An entry ending in `/` is a prefix; any other matches the whole host or path component (`x`: `x` and `x/...`). */
export const pushAllowed = (s: Settings, ref: string) =>
  pushPrefixes(s).some((p) => p !== '' && (p.endsWith('/') ? ref.startsWith(p) : ref === p || ref.startsWith(p + '/')))

/** Go's strconv.ParseBool true, as buildx and BuildKit read `push=`. */
export const goTrue = (v: string | undefined) => v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)

const realOr = (p: string) => {
  try {
    return fs.realpathSync(p)
  } catch {
    return path.resolve(p)
  }
}

/** Where a path really points: each existing component through realpath (so `..` after a symlink is the OS's), the rest as named. */
export function realTarget(base: string, p: string): string {
  let cur = path.isAbsolute(p) ? '/' : realOr(base)
  const parts = p.split(/[/\\]+/).filter((x) => x !== '' && x !== '.')
  for (let i = 0; i < parts.length; i++) {
    const next = parts[i] === '..' ? path.dirname(cur) : path.join(cur, parts[i])
    try {
      cur = fs.realpathSync(next)
    } catch {
      return path.resolve(next, ...parts.slice(i + 1))
    }
  }
  return cur
}

/** True when `p` (relative to the project, or absolute) stays inside the project once symlinks are resolved. */
export function insideProject(s: Settings, p: string): boolean {
  const root = realOr(s.projectDir)
  const real = realTarget(s.projectDir, p)
  return real === root || real.startsWith(root + path.sep)
}

/** `.git/` (a hook there runs on the next commit) or docker esb's state folder `.<slug>/`, when `p` is in one; else null. */
function keptDir(s: Settings, p: string): string | null {
  const rel = path.relative(realOr(s.projectDir), realTarget(s.projectDir, p)).split(path.sep)[0]
  if (rel === '.git') return "the project's .git/ (git runs hooks from it)"
  return rel === `.${s.slug}` ? `docker esb's state folder .${s.slug}/` : null
}

const notOurs = (s: Settings) =>
  `which is not on the project's registry ${s.registry.buildAddress}; fix its name, or allow the prefix with [bake] push_allow in esb.toml`

/** What is wrong with one output of a target (null: it may run). `push`: --push was given. */
export function outputProblem(s: Settings, o: Record<string, string>, push = false): string | null {
  const type = o.type ?? (o.dest ? 'local' : '')
  const names = (o.name ?? '').split(',').filter(Boolean)
  const fix = 'remove it from the bake file, or point dest= at a folder inside the project'
  switch (type) {
    case 'image':
    case 'registry': {
      if (type === 'registry' || goTrue(o.push) || push)
        for (const n of names) if (!pushAllowed(s, n)) return `would push ${n}, ${notOurs(s)}`
      return null
    }
    case 'local':
    case 'tar':
    case 'oci':
    case 'docker': {
      if (o.dest === '-') return `writes to stdout, where docker esb prints its report; ${fix}`
      if (o.dest !== undefined && !insideProject(s, o.dest))
        return `writes ${realTarget(s.projectDir, o.dest)}, outside the project ${s.projectDir}; ${fix}`
      const kept = o.dest === undefined ? null : keptDir(s, o.dest)
      if (kept) return `writes into ${kept}; ${fix}`
      // a load into another engine than the one docker esb talks to
      if (type === 'docker' && o.context !== undefined)
        return `loads into docker context ${o.context}, not the engine docker esb uses; remove context= from it`
      return null
    }
    case 'cacheonly':
      return null
    default:
      return `is of type ${type || '(none)'}, which docker esb cannot check; use type=image with push=true (the project's registry) or a dest= inside the project`
  }
}

/** What is wrong with one cache export (null: fine): registry refs on the project's registry or push_allow; local folders inside. */
export function cacheToProblem(s: Settings, o: Record<string, string>): string | null {
  switch (o.type ?? '') {
    case 'registry':
      return o.ref === undefined || pushAllowed(s, o.ref) ? null : `would push a cache to ${o.ref}, ${notOurs(s)}`
    case 'local':
      return o.dest === undefined || insideProject(s, o.dest)
        ? null
        : `writes ${realTarget(s.projectDir, o.dest)}, outside the project ${s.projectDir}; point dest= inside the project`
    case 'inline':
      return null
    default:
      return `exports a cache of type ${o.type || '(none)'}, which leaves the project; use type=registry on the project's registry (or a [bake] push_allow prefix)`
  }
}

/** One target of the resolved definition: its tags, outputs and cache exports. */
export function checkTarget(s: Settings, t: string, def: BakeTarget, push = false): void {
  for (const tag of def.tags ?? []) if (!pushAllowed(s, tag)) throw new UsageError(`target ${t} would push ${tag}, ${notOurs(s)}`)
  for (const raw of def.output ?? []) {
    const o = outputAttrs(raw)
    const why = outputProblem(s, o, push)
    if (why) throw new UsageError(`target ${t}: output ${show(o)} ${why}`)
  }
  for (const raw of def['cache-to'] ?? []) {
    const o = outputAttrs(raw, 'cache')
    const why = cacheToProblem(s, o)
    if (why) throw new UsageError(`target ${t}: cache-to ${show(o)} ${why}`)
  }
}

/**
 * Push guard over the resolved definition: the project's `bake --print`
 * with docker esb's override laid over it (per attribute, the later file
 * winning, as bake merges), and the flags given after `--`.
 */
export function checkBakeRun(s: Settings, print: BakeFile, override: BakeFile, extraArgs: string[]): void {
  const known = [print, override].flatMap((f) => [...Object.keys(f.target ?? {}), ...Object.keys(f.group ?? {})])
  const { push } = checkBakeFlags(s, extraArgs, known)
  const names = [...new Set([...Object.keys(print.target ?? {}), ...Object.keys(override.target)])].sort()
  for (const t of names) checkTarget(s, t, { ...(print.target?.[t] ?? {}), ...(override.target[t] ?? {}) }, push)
}

/** Bake flags that take a value (the next argument, or `=value`). */
const VALUED = ['--set', '-o', '--output', '--progress', '--provenance', '--sbom', '--call', '--list', '--builder']
const PLAIN = ['--push', '--load', '--no-cache', '--pull', '--print', '--check', '--debug']
/** Flags docker esb does not pass on: it sets them itself, or they would escape the guard. */
const REFUSED: Record<string, string> = {
  '-f': 'a bake file given after -- is not checked; list it in [bake] files in esb.toml',
  '--file': 'a bake file given after -- is not checked; list it in [bake] files in esb.toml',
  '--allow': "grant reads with docker esb's own --allow-read DIR (before --); docker esb grants the rest",
  '--metadata-file': "docker esb writes bake's metadata itself: give docker esb build --metadata-file FILE (before --)",
}

/**
 * The flags after `--` for bake: `--set` (tags, output, cache-to checked as
 * the definition's are), `-o/--output`, `--push`, `--load`; a positional must
 * be a target or group bake was asked about. Anything else is refused.
 */
export function checkBakeFlags(s: Settings, args: string[], known: string[]): { push: boolean } {
  const refuse = (a: string, why: string): never => {
    throw new UsageError(`flag ${a} after --: ${why}`)
  }
  const given: [string, string][] = []
  let push = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    const eq = a.startsWith('-') ? a.indexOf('=') : -1
    const name = eq > 0 ? a.slice(0, eq) : a
    if (REFUSED[name]) refuse(name, REFUSED[name])
    if (VALUED.includes(name)) {
      if (eq < 0 && i + 1 >= args.length) refuse(name, 'needs a value')
      given.push([name, eq > 0 ? a.slice(eq + 1) : args[++i]])
    } else if (PLAIN.includes(name)) {
      if (name === '--push') push = true
    } else if (a.startsWith('-'))
      refuse(name, 'docker esb passes on only flags it can check (--set, -o, --push, --load, --no-cache, --pull, --progress...)')
    else if (!known.includes(a))
      refuse(a, `${a} is not a target or group of this build; add its group to [bake] groups in esb.toml`)
  }
  for (const [flag, v] of given) {
    if (flag === '-o' || flag === '--output') {
      const o = outputAttrs(v)
      const why = outputProblem(s, o, push || o.type === 'registry')
      if (why) refuse(flag, `output ${show(o)} ${why}`)
    }
    if (flag !== '--set') continue
    const m = /^([^=]*?)\.([a-z-]+)(?:\.[^=+]*)?\+?=(.*)$/i.exec(v)
    if (!m) refuse(flag, `${JSON.stringify(v)} is not target.key=value`)
    const [, pattern, key, value] = m!
    const def: BakeTarget = {}
    if (key === 'tags') def.tags = value.split(',').filter(Boolean)
    else if (key === 'output') def.output = [value]
    else if (key === 'cache-to') def['cache-to'] = [value]
    else if (key === 'push' && goTrue(value)) push = true
    try {
      checkTarget(s, pattern, def, push)
    } catch (e) {
      refuse(`--set ${v}`, (e as Error).message)
    }
  }
  return { push }
}
