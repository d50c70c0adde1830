// The parts of `docker compose config --format json` docker esb reads.
export interface ComposeService {
  build?: { context?: string; dockerfile?: string; [key: string]: unknown }
  image?: string
  [key: string]: unknown
}
export interface ComposeConfig {
  services: Record<string, ComposeService>
  /** sha256 of the whole config (networks, volumes... included), to tell whether it changed since the last up */
  hash?: string
  /** the top-level secrets: name -> its file (absolute in compose's config) or environment variable */
  secrets?: Record<string, { file?: string; environment?: string }>
}

export function parseComposeConfig(v: unknown, where: string): ComposeConfig {
  const o = (typeof v === 'object' && v !== null ? v : null) as Record<string, unknown> | null
  if (!o) throw new Error(`${where}: not a JSON object`)
  const services = (o.services ?? {}) as Record<string, ComposeService>
  if (typeof services !== 'object' || Array.isArray(services)) throw new Error(`${where}: "services" is not an object`)
  const secrets = o.secrets && typeof o.secrets === 'object' && !Array.isArray(o.secrets) ? o.secrets : undefined
  return { services, ...(secrets ? { secrets: secrets as ComposeConfig['secrets'] } : {}) }
}
