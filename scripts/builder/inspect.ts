// What the builder plan needs to know from the machine: the proxy variables
// and the content of the user's buildkitd config. Reads only.
import fs from 'node:fs'
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
