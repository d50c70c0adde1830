// Every image a build reads from outside the project's registry (FROM, COPY
// --from, RUN --mount from=, docker-image:// contexts, the # syntax= frontend)
// resolved to a digest before deciding: a HEAD on the registry, through the
// mirrors, plain-HTTP and CA settings the builder gets in its buildkitd.toml,
// with the user's docker credentials (anonymous token flow without), tokens
// reused per registry, all at once. Images pinned by digest are not asked.
import fs from 'node:fs'
import path from 'node:path'
import TOML from '@iarna/toml'
import { RegistryClient } from '../oci/client.ts'
import { credentialsFor } from '../oci/auth.ts'
import { parseRef, type Ref } from '../oci/ref.ts'

/** What the builder's buildkitd.toml says of one registry host. */
export interface HostConfig {
  /** `host[:port][/path]`: a path is put before the repository, as BuildKit does (`/v2/<path>/<repo>/...`) */
  mirrors: string[]
  http: boolean
  /** TLS without verifying the certificate */
  insecure: boolean
  /** PEM files of CAs to trust */
  ca: string[]
}

/** The `[registry."<host>"]` tables of a buildkitd.toml (unreadable or absent: none). */
export function registryHosts(toml: string | null): Record<string, HostConfig> {
  if (!toml) return {}
  let data: Record<string, unknown>
  try {
    data = TOML.parse(toml) as Record<string, unknown>
  } catch {
    return {}
  }
  const out: Record<string, HostConfig> = {}
  const reg = data.registry
  if (!reg || typeof reg !== 'object') return out
  for (const [host, v] of Object.entries(reg as Record<string, Record<string, unknown>>)) {
    const strs = (x: unknown) => (Array.isArray(x) ? x.filter((m): m is string => typeof m === 'string') : [])
    out[host] = { mirrors: strs(v?.mirrors), http: v?.http === true, insecure: v?.insecure === true, ca: strs(v?.ca) }
  }
  return out
}

/** The name BuildKit's Dockerfile frontend matches a named context against: Docker's short form, `:latest` dropped. */
export function contextName(ref: string): string {
  const r = parseRef(ref)
  const repo = r.registry === 'docker.io' ? r.repo.replace(/^library\//, '') : `${r.registry}/${r.repo}`
  const tag = r.tag && r.tag !== 'latest' ? `:${r.tag}` : ''
  return `${repo}${tag}${r.digest ? `@${r.digest}` : ''}`
}

/** A buildkitd.toml mirror as BuildKit reads it: `[scheme://]host[:port][/path]` -> host and path (no slashes around). */
export function mirrorHostAndPath(mirror: string): [string, string] {
  const rest = mirror.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const at = rest.indexOf('/')
  if (at < 0) return [rest, '']
  return [rest.slice(0, at), rest.slice(at + 1).replace(/^\/+|\/+$/g, '')]
}

/** A digest written in the reference, or null. */
export const pinnedDigest = (ref: string) => /@(sha256:[a-f0-9]{64})$/.exec(ref)?.[1] ?? null

export interface Resolution {
  digest: string | null
  /** where it was asked (`docker.io via 127.0.0.1:5001`), or why it could not be */
  via: string
  error?: string
}

const isLoopback = (h: string) => /^(127\.|localhost(:|$)|\[::1\])/.test(h)
/** Where a registry host answers the distribution API (Docker Hub's API host differs from its name). */
const apiHost = (h: string) => (h === 'docker.io' ? 'registry-1.docker.io' : h)
/** The server address docker keeps (and asks a credential helper for) Docker Hub's credentials under. */
export const credHost = (h: string) =>
  h === 'docker.io' || h === 'registry-1.docker.io' || h === 'index.docker.io' ? 'https://index.docker.io/v1/' : h

export interface ResolverOptions {
  /** the docker config folder whose credentials are used; null: anonymous */
  configDir: string | null
  /** buildkitd.toml registry tables */
  hosts: Record<string, HostConfig>
  /** where relative CA paths in the buildkitd.toml are read from */
  baseDir: string
  signal?: AbortSignal
  /** per request; an offline laptop must not wait a minute (default 8 s) */
  timeoutMs?: number
}

export class Resolver {
  /** one client per endpoint and batch: its bearer tokens are reused by every image asked there */
  private clients = new Map<string, RegistryClient>()
  private signal: AbortSignal | undefined
  constructor(private readonly o: ResolverOptions) {}

  private client(endpoint: string, signal: AbortSignal): RegistryClient {
    if (this.signal !== signal) {
      this.clients.clear()
      this.signal = signal
    }
    const have = this.clients.get(endpoint)
    if (have) return have
    const cfg = this.o.hosts[endpoint]
    const plain = cfg?.http || isLoopback(endpoint)
    const ca = (cfg?.ca ?? [])
      .map((f) => {
        try {
          return fs.readFileSync(path.resolve(this.o.baseDir, f), 'utf8')
        } catch {
          return ''
        }
      })
      .join('\n')
    const c = new RegistryClient(`${plain ? 'http' : 'https'}://${apiHost(endpoint)}`, endpoint, {
      signal,
      ca: ca || undefined,
      insecure: cfg?.insecure === true,
      credentials: this.o.configDir ? credentialsFor(this.o.configDir, credHost(endpoint)) : null,
    })
    this.clients.set(endpoint, c)
    return c
  }

  /** The digest `ref` names now: from its mirrors first, then its own registry (as BuildKit pulls it). */
  async resolve(ref: string, signal = this.batchSignal()): Promise<Resolution> {
    const pinned = pinnedDigest(ref)
    if (pinned) return { digest: pinned, via: 'pinned' }
    let r: Ref
    try {
      r = parseRef(ref)
    } catch (e) {
      return { digest: null, via: 'not a reference', error: (e as Error).message }
    }
    const endpoints = [...(this.o.hosts[r.registry]?.mirrors ?? []), r.registry]
    const errors: string[] = []
    for (const ep of endpoints) {
      const via = ep === r.registry ? r.registry : `${r.registry} via mirror ${ep}`
      // a mirror's path goes before the repository; its host's own table says http, insecure and CAs
      const [host, prefix] = ep === r.registry ? [ep, ''] : mirrorHostAndPath(ep)
      const repo = prefix ? `${prefix}/${r.repo}` : r.repo
      try {
        const c = this.client(host, signal)
        const d = (await c.manifestDigest(repo, r.tag!)) ?? null
        if (d) return { digest: d, via }
        // a registry that answers a HEAD without Docker-Content-Digest: the manifest's own hash
        const m = await c.manifest(repo, r.tag!)
        if (m) return { digest: m.digest, via }
        errors.push(`${via}: not found`)
      } catch (e) {
        if (this.o.signal?.aborted) throw e
        errors.push(`${via}: ${signal.aborted ? 'no answer in time' : (e as Error).message}`)
      }
    }
    return { digest: null, via: r.registry, error: errors.join('; ') }
  }

  private batchSignal(): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(this.o.timeoutMs ?? 8000), ...(this.o.signal ? [this.o.signal] : [])])
  }

  /** Every reference at once, within one time limit. */
  async resolveAll(refs: string[]): Promise<Record<string, Resolution>> {
    const uniq = [...new Set(refs)]
    const signal = this.batchSignal()
    const out = await Promise.all(uniq.map((r) => this.resolve(r, signal)))
    return Object.fromEntries(uniq.map((r, i) => [r, out[i]]))
  }
}
