// What the builder plan needs to know from the machine: the proxy variables
// and the content of the user's buildkitd config. Reads only.
import fs from 'node:fs'
import path from 'node:path'
import type { Settings } from '../project/config.ts'
import type { BuilderInputs } from './plan.ts'

export function builderInputs(s: Settings, procEnv: Record<string, string | undefined>): BuilderInputs {
  let cfg: string | null = null
  try {
    cfg = fs.readFileSync(s.builder.buildkitdConfig, 'utf8')
  } catch {
    /* optional */
  }
  return { procEnv, buildkitdConfig: cfg }
}

export interface BuilderFacts {
  driver: string | null
  status: string | null
  buildkit: string | null
  networkHost: boolean
}

/**
 * What buildx's own store says of a builder (`<docker config>/buildx/instances/<name>`, or `$BUILDX_CONFIG/instances/<name>`),
 * without starting buildx (~0.2 s a call): null when it has no such entry or
 * the entry is not the shape known. A builder whose container was removed is
 * still listed: bake boots it again from this entry.
 */
export function storedBuilder(configDir: string, name: string): Pick<BuilderFacts, 'driver' | 'networkHost'> | null {
  try {
    // BUILDX_CONFIG moves buildx's whole store
    const store = process.env.BUILDX_CONFIG || path.join(configDir, 'buildx')
    const j = JSON.parse(fs.readFileSync(path.join(store, 'instances', name), 'utf8')) as {
      Name?: unknown
      Driver?: unknown
      Nodes?: { DriverOpts?: Record<string, string> | null }[]
    }
    if (j.Name !== name || typeof j.Driver !== 'string' || !Array.isArray(j.Nodes) || !j.Nodes.length) return null
    return { driver: j.Driver, networkHost: j.Nodes.every((n) => n.DriverOpts?.network === 'host') }
  } catch {
    return null
  }
}

/** What `docker buildx inspect <name>` says of a builder. Pure. */
export function parseInspect(stdout: string): BuilderFacts {
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(stdout)?.[1] ?? null
  return {
    driver: field('Driver'),
    status: field('Status'),
    buildkit: field('BuildKit version'),
    networkHost: /network="?host"?/.test(stdout),
  }
}
