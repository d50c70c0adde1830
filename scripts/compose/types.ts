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
}

export function parseComposeConfig(v: unknown, where: string): ComposeConfig {
  const o = (typeof v === 'object' && v !== null ? v : null) as Record<string, unknown> | null
  if (!o) throw new Error(`${where}: not a JSON object`)
  const services = (o.services ?? {}) as Record<string, ComposeService>
  if (typeof services !== 'object' || Array.isArray(services)) throw new Error(`${where}: "services" is not an object`)
  return { services }
}
