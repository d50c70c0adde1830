// A small OCI distribution client: only what import/export/images need.
// Blobs stream through (never held whole); manifests are small and read whole.
// Plain node:http(s): no proxy is used, so loopback registries are reached directly.
import type http from 'node:http'
import type { Readable } from 'node:stream'
import { EsbError } from '../errors.ts'
import { ACCEPT } from './ref.ts'
import { VerifyStream, sha256 } from './verify.ts'
import type { Manifest } from './types.ts'
import type { Credentials } from './auth.ts'
import { repoOf, send, textOf } from './transport.ts'
import { basicAuth, bearerToken } from './token.ts'

export interface ClientOptions {
  /** aborts every request and stream (Ctrl-C) */
  signal?: AbortSignal
  /** PEM of a private CA, trusted besides the system's */
  ca?: string
  /** TLS without verifying the registry's certificate (buildkitd.toml `insecure = true`) */
  insecure?: boolean
  /** basic credentials (registry/auth.ts), sent when the registry asks */
  credentials?: Credentials | null
  /** where credentials come from, for messages (`docker login` fixes them); unset: a 401 is the caller's to report */
  login?: { configFile: string; host: string }
}

export class RegistryClient {
  /** bearer tokens per repository: requests run concurrently, and each token is scoped */
  private tokens = new Map<string, string>()
  private basic: string | null = null
  constructor(
    readonly base: string,
    readonly name = base,
    private readonly o: ClientOptions = {},
  ) {}

  private send(url: URL, method: string, headers: Record<string, string | number>, body?: Readable | Buffer) {
    const { ca, insecure, login } = this.o
    return send(url, method, headers, body, { signal: this.o.signal, ca, insecure, name: this.name, hint: !!login })
  }

  private authError(status: number | undefined): EsbError {
    const l = this.o.login!
    return this.o.credentials
      ? new EsbError(
          `registry ${this.name} refused the credentials for ${l.host} in ${l.configFile} (HTTP ${status}); run 'docker login ${l.host}' with the right user and password`,
        )
      : new EsbError(
          `registry ${this.name} asks for credentials and ${l.configFile} has none for ${l.host}; run 'docker login ${l.host}'`,
        )
  }

  /** Answers a 401 challenge: basic credentials, or a bearer token for the scope asked (anonymous when there are none). */
  private async answer(challenge: string, repo: string): Promise<boolean> {
    const cred = this.o.credentials
    if (/^Basic\b/i.test(challenge)) {
      if (!cred || this.basic) return false
      this.basic = basicAuth(cred)
      return true
    }
    const r = await bearerToken(challenge, cred ?? null, (u, m, h, b) => this.send(u, m, h, b), this.name)
    if (typeof r === 'object' && r !== null) {
      if (this.o.login) throw this.authError(r.refused)
      return false
    }
    if (r) this.tokens.set(repo, r)
    return r !== null
  }

  /** The Authorization header for a repository's requests, if any. */
  private authFor(repo: string): string | null {
    const t = this.tokens.get(repo)
    return t ? `Bearer ${t}` : this.basic
  }

  private async request(
    method: string,
    path: string,
    headers: Record<string, string | number> = {},
    body?: Readable | Buffer,
  ): Promise<http.IncomingMessage> {
    const url = new URL(path, this.base)
    const repo = repoOf(url.pathname)
    const go = () => {
      const a = this.authFor(repo)
      return this.send(url, method, a ? { ...headers, Authorization: a } : headers, body)
    }
    const sent = this.authFor(repo)
    const res = await go()
    // a streamed body cannot be sent twice: its upload was opened by a POST that answered the challenge
    if (res.statusCode !== 401 || (body && !Buffer.isBuffer(body))) return res
    res.resume()
    // a concurrent request answered the challenge meanwhile: send again with its answer
    const answered = this.authFor(repo) !== sent || (await this.answer(String(res.headers['www-authenticate'] ?? ''), repo))
    if (answered) {
      const again = await go()
      if (again.statusCode !== 401 || !this.o.login) return again
      again.resume()
      throw this.authError(401)
    }
    if (this.o.login) throw this.authError(401)
    return res
  }

  private async fail(res: http.IncomingMessage, what: string): Promise<never> {
    const text = await textOf(res, 2000)
    let msg = text.trim().slice(0, 300)
    try {
      const j = JSON.parse(text) as { errors?: { message?: string; code?: string }[] }
      msg = j.errors?.map((e) => e.message ?? e.code).join('; ') ?? msg
    } catch {
      /* not json */
    }
    throw new EsbError(`registry ${this.name}: ${what} failed (HTTP ${res.statusCode}${msg ? `: ${msg}` : ''})`)
  }

  async ping(): Promise<void> {
    const res = await this.request('GET', '/v2/')
    res.resume()
    if (res.statusCode !== 200 && res.statusCode !== 401)
      throw new EsbError(`registry ${this.name} does not answer /v2/ (HTTP ${res.statusCode})`)
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`)
    res.resume()
    if (res.statusCode === 200 || res.statusCode === 404) return res.statusCode === 200
    return this.fail(res, `HEAD blob ${digest}`)
  }

  /** The blob as a stream that fails if its bytes do not match digest and size. */
  async blob(repo: string, digest: string, size: number | null): Promise<Readable> {
    let res = await this.request('GET', `/v2/${repo}/blobs/${digest}`)
    // hosted registries send blobs from storage elsewhere: follow, without our credentials on another host
    let at = new URL(`/v2/${repo}/blobs/${digest}`, this.base)
    for (let hops = 0; [301, 302, 303, 307, 308].includes(res.statusCode ?? 0) && res.headers.location && hops < 5; hops++) {
      res.resume()
      const next = new URL(res.headers.location!, at)
      const auth = next.origin === at.origin && this.authFor(repo)
      res = await this.send(next, 'GET', auth ? { Authorization: String(auth) } : {})
      at = next
    }
    if (res.statusCode !== 200) return this.fail(res, `GET blob ${digest} of ${repo}`)
    const v = new VerifyStream(digest, size, `blob ${digest} of ${this.name}/${repo}`)
    res.on('error', (e) => v.destroy(e))
    return res.pipe(v)
  }

  /** Links blob `digest`, which repository `from` holds, into `repo` without sending it; false: not done (send it; an upload the registry opened instead is cancelled). */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?${new URLSearchParams({ mount: digest, from })}`)
    res.resume()
    const loc = res.statusCode === 202 && res.headers.location ? new URL(String(res.headers.location), this.base) : null
    if (loc) (await this.request('DELETE', loc.pathname + loc.search)).resume()
    return res.statusCode === 201
  }

  /** Uploads a blob from a stream (monolithic PUT with a known size). */
  async pushBlob(repo: string, digest: string, size: number, body: Readable): Promise<void> {
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { 'Content-Length': 0 })
    start.resume()
    if (start.statusCode !== 202) return this.fail(start, `start upload to ${repo}`)
    const loc = new URL(String(start.headers.location), this.base)
    loc.searchParams.set('digest', digest)
    const res = await this.request(
      'PUT',
      loc.pathname + loc.search,
      { 'Content-Type': 'application/octet-stream', 'Content-Length': size },
      body,
    )
    res.resume()
    if (res.statusCode !== 201) return this.fail(res, `upload of ${digest} to ${repo}`)
  }

  async manifest(repo: string, ref: string): Promise<Manifest | null> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${ref}`, { Accept: ACCEPT })
    if (res.statusCode === 404) {
      res.resume()
      return null
    }
    if (res.statusCode !== 200) return this.fail(res, `GET manifest ${repo}:${ref}`)
    const chunks: Buffer[] = []
    let n = 0
    for await (const c of res) {
      chunks.push(c)
      n += c.length
      if (n > 4 << 20) throw new EsbError(`registry ${this.name}: manifest ${repo}:${ref} is larger than 4 MiB`)
    }
    const bytes = Buffer.concat(chunks)
    const json = JSON.parse(bytes.toString('utf8'))
    const digest = sha256(bytes)
    if (ref.startsWith('sha256:') && ref !== digest)
      throw new EsbError(`registry ${this.name}: manifest ${repo}@${ref} has digest ${digest}; the registry is corrupt`)
    return { mediaType: json.mediaType ?? String(res.headers['content-type']).split(';')[0], bytes, digest, json }
  }

  /** The digest the registry holds at repo:ref (HEAD, nothing downloaded), or null when absent. */
  async manifestDigest(repo: string, ref: string): Promise<string | null> {
    const res = await this.request('HEAD', `/v2/${repo}/manifests/${ref}`, { Accept: ACCEPT })
    res.resume()
    if (res.statusCode === 404) return null
    if (res.statusCode !== 200) return this.fail(res, `HEAD manifest ${repo}:${ref}`)
    return String(res.headers['docker-content-digest'] ?? '') || null
  }

  async pushManifest(repo: string, ref: string, mediaType: string, bytes: Buffer): Promise<string> {
    const res = await this.request(
      'PUT',
      `/v2/${repo}/manifests/${ref}`,
      { 'Content-Type': mediaType, 'Content-Length': bytes.length },
      bytes,
    )
    res.resume()
    if (res.statusCode !== 201) return this.fail(res, `PUT manifest ${repo}:${ref}`)
    return String(res.headers['docker-content-digest'] ?? '')
  }

  /** Deletes a manifest by digest (the registry untags every tag naming it); false: it was not there. */
  async deleteManifest(repo: string, digest: string): Promise<boolean> {
    const res = await this.request('DELETE', `/v2/${repo}/manifests/${digest}`)
    if (![200, 202, 404].includes(res.statusCode ?? 0)) return this.fail(res, `DELETE manifest ${repo}@${digest}`)
    res.resume()
    return res.statusCode !== 404
  }

  async catalog(): Promise<string[]> {
    const out: string[] = []
    let next: string | null = '/v2/_catalog?n=1000'
    while (next) {
      const res = await this.request('GET', next)
      if (res.statusCode !== 200) return this.fail(res, 'catalog')
      out.push(...(JSON.parse(await textOf(res)).repositories ?? []))
      const link = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''))
      next = link ? link[1] : null
    }
    return out
  }

  async tags(repo: string): Promise<string[]> {
    const res = await this.request('GET', `/v2/${repo}/tags/list`)
    if (res.statusCode === 404) {
      res.resume()
      return []
    }
    if (res.statusCode !== 200) return this.fail(res, `tags of ${repo}`)
    return (JSON.parse(await textOf(res)).tags ?? []).sort()
  }
}
