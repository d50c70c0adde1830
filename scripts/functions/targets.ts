// Function images as bake targets: from the Dockerfile glob (`fn-<name>`,
// FROM lambda-base) or from a deploy artifact manifest (the entry root as
// context, the image name its functions.yml gives). Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { imageRef, RUNTIME_REGISTRY_ALIAS } from '../project/names.ts'
import type { FunctionDef } from './discover.ts'

export interface FunctionTarget {
  target: string
  /** build context (relative to the project root, or absolute) */
  context: string
  /** relative to the context */
  dockerfile: string
  tag: string
  /** named contexts: FROM references that must resolve to the bases built in this run */
  contexts: Record<string, string>
  /** where it was declared, for messages */
  source: string
}

export function globTarget(s: Settings, f: FunctionDef): FunctionTarget {
  const target = `fn-${f.name}`
  return {
    target,
    context: path.dirname(f.dockerfile),
    dockerfile: path.basename(f.dockerfile),
    tag: imageRef(s.registry.buildAddress, s.slug, target, s.tag),
    contexts: { 'lambda-base': 'target:lambda-base' },
    source: f.dockerfile,
  }
}

/** Registry addresses that all mean "the project's registry" in an image reference. */
export function registryAliases(s: Settings): string[] {
  return [
    ...new Set([
      s.registry.runtimeAddress,
      s.registry.buildAddress,
      s.registry.localAddress,
      RUNTIME_REGISTRY_ALIAS,
      '127.0.0.1:5010',
      'localhost:5010',
    ]),
  ]
}

/** The reference to push for a runtime image name: the runtime alias mapped to the build registry; null if it is not the project's. */
export function pushRef(s: Settings, image: string): string | null {
  for (const a of registryAliases(s))
    if (image.startsWith(`${a}/`)) return `${s.registry.buildAddress}/${image.slice(a.length + 1)}`
  return null
}

/** `FROM <ref> [AS x]` references of a Dockerfile (ARGs are not expanded). */
export function fromRefs(dockerfile: string): string[] {
  const out: string[] = []
  for (const m of dockerfile.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)) out.push(m[1])
  return out
}

/** FROM references of the project's lambda base (`<alias>/<slug>-lambda-base[:tag]`) -> a named context on the lambda-base target. */
export function lambdaBaseContexts(s: Settings, dockerfile: string): Record<string, string> {
  const ctx: Record<string, string> = {}
  for (const ref of fromRefs(dockerfile)) {
    const name = ref
      .replace(/@.*$/, '')
      .split('/')
      .pop()!
      .replace(/:[^:]*$/, '')
    if (name === `${s.slug}-lambda-base` || ref === 'lambda-base') ctx[ref] = 'target:lambda-base'
  }
  return ctx
}
