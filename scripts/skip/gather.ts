// Reads what decides each target's result from disk: its bake definition,
// Dockerfile, the context files its .dockerignore lets in and its sources
// read (skip/sources.ts), named contexts (folders, other targets, images)
// and the images its Dockerfile names.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { BakeTarget } from '../docker/bakefile.ts'
import { contextFiles, ignoreFileFor, type StatCache } from './files.ts'
import { dockerfileRefs } from './dockerfile.ts'
import { secretInputs } from './secrets.ts'
import { dockerfileSources } from './sources.ts'
import type { Gathered } from './keys.ts'

const REMOTE = /^(https?:\/\/|git@|git:\/\/|ssh:\/\/|oci-layout:\/\/)/i
/** Definition keys that are not part of the result (cache flags change every run). */
const NOT_RESULT = new Set(['cache-from', 'cache-to', 'context', 'contexts', 'dockerfile', 'args', 'description'])

function argsOf(def: BakeTarget): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(def.args ?? {})) if (typeof v === 'string') out[k] = v
  return out
}

/** One target's inputs. `projectDir`: where bake resolves relative paths; `saltDir`: where the secret salt is (skip/secrets.ts). */
export function gatherTarget(projectDir: string, def: BakeTarget, cache: StatCache, saltDir?: string): Gathered {
  const definition = Object.fromEntries(Object.entries(def).filter(([k]) => !NOT_RESULT.has(k)))
  const args = argsOf(def)
  const g: Gathered = { definition, args, dockerfile: '', files: {}, targets: {}, images: [], syntax: null, never: null }
  const ctx = typeof def.context === 'string' ? def.context : '.'
  if (REMOTE.test(ctx)) return { ...g, never: `its context ${ctx} is remote` }
  if (def['no-cache'] === true) return { ...g, never: 'it sets no-cache' }
  const ctxDir = path.resolve(projectDir, ctx)
  const inline = typeof def['dockerfile-inline'] === 'string' ? def['dockerfile-inline'] : null
  const dfPath = inline === null ? path.resolve(ctxDir, def.dockerfile ?? 'Dockerfile') : null
  let text: string
  try {
    text = inline ?? fs.readFileSync(dfPath!, 'utf8')
  } catch {
    return { ...g, never: `its Dockerfile ${dfPath} cannot be read` }
  }
  g.dockerfile = crypto.createHash('sha256').update(text).digest('hex')
  // each secret file it mounts, as a salted HMAC of its content
  const secrets = secretInputs(projectDir, def, saltDir)
  if (secrets.never) return { ...g, never: secrets.never }
  Object.assign(g.files, secrets.files)
  if (Object.keys(secrets.shared).length) g.sharedSecrets = secrets.shared
  // only what the Dockerfile reads (COPY/ADD, RUN --mount) is keyed; all of a context it cannot read statically
  const src = dockerfileSources(text, args, Object.keys(def.contexts ?? {}))
  const reads = (name: string): string[] => {
    const why = src.whole[name] ?? src.whole['*']
    if (why) (g.notes ??= []).push(`keys all of context ${name} (${why})`)
    return why ? ['.'] : (src.reads[name] ?? [])
  }
  try {
    for (const [p, h] of Object.entries(contextFiles(ctxDir, ignoreFileFor(ctxDir, dfPath), cache, reads('.'))))
      g.files[`.:${p}`] = h
  } catch (e) {
    return { ...g, never: `its context ${ctx} cannot be read (${(e as Error).message})` }
  }
  const images: string[] = []
  for (const [name, v] of Object.entries(def.contexts ?? {})) {
    if (typeof v !== 'string') continue
    if (v.startsWith('target:')) g.targets[name] = v.slice(7)
    else if (v.startsWith('docker-image://')) {
      images.push(v.slice(15))
      ;(g.imageContexts ??= {})[name] = v.slice(15)
    } else if (REMOTE.test(v) || /^[a-z][a-z0-9+.-]*:\/\//i.test(v))
      return { ...g, never: `its context ${name} (${v}) is remote` }
    else {
      // a named local folder (no ignore file): what the Dockerfile reads of it; not keyed when it reads nothing
      const pats = reads(name)
      if (!pats.length) continue
      try {
        for (const [p, h] of Object.entries(contextFiles(path.resolve(projectDir, v), null, cache, pats)))
          g.files[`${name}:${p}`] = h
      } catch (e) {
        return { ...g, never: `its context ${name} cannot be read (${(e as Error).message})` }
      }
    }
  }
  const refs = dockerfileRefs(text, args, Object.keys(def.contexts ?? {}))
  if (refs.never) return { ...g, never: refs.never }
  g.images = [...new Set([...images, ...refs.images])].sort()
  // a BUILDKIT_SYNTAX build arg wins over the directive in BuildKit
  g.syntax = args.BUILDKIT_SYNTAX || refs.syntax
  g.stages = refs.stages
  return g
}
