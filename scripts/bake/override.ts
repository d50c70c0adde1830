// The bake file docker esb generates per run: function targets and each
// target's own cache-from/cache-to. Pure.
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import { imageLabels, imageRef } from '../project/names.ts'
import { cacheFlagsFor } from '../cache/flags.ts'
import type { FunctionDef } from '../functions/discover.ts'
import type { CacheGen } from '../plan/types.ts'
import type { BakeFile, BakeTarget } from './types.ts'

export function bakeOverride(s: Settings, targets: string[], fns: FunctionDef[], runId: string, haveLocal: (t: string) => boolean = () => true): { json: BakeFile; gens: CacheGen[] } {
  const target: Record<string, BakeTarget> = {}
  const gens: CacheGen[] = []
  for (const f of fns) {
    const t = `fn-${f.name}`
    target[t] = {
      context: path.dirname(f.dockerfile),
      dockerfile: path.basename(f.dockerfile),
      contexts: { 'lambda-base': 'target:lambda-base' },
      tags: [imageRef(s.registry.buildAddress, s.slug, t, s.tag)],
      labels: imageLabels(s.ctx.LABEL_PREFIX, { project: s.projectName, env: s.env, kind: 'function' }),
      output: ['type=image,push=true'],
    }
  }
  const all = [...new Set([...targets, ...Object.keys(target)])].sort()
  for (const t of all) {
    const c = cacheFlagsFor(s, t, runId, haveLocal(t))
    target[t] = { ...(target[t] ?? {}), 'cache-from': c.cacheFrom, 'cache-to': c.cacheTo }
    if (c.localGen) gens.push({ target: t, dir: path.dirname(c.localGen), gen: c.localGen })
  }
  const json: BakeFile = { target }
  if (fns.length) json.group = { functions: { targets: fns.map((f) => `fn-${f.name}`) } }
  return { json, gens }
}
