// One HTTP(S) request to a registry: a private CA trusted besides the system's,
// a timeout, Ctrl-C, one retry on a kept-alive connection the registry closed,
// and an unreachable registry as one line. Plain node:http(s): no proxy is used,
// so loopback registries are reached directly.
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { EsbError } from '../errors.ts'

export interface SendOptions {
  signal?: AbortSignal
  /** PEM of a private CA */
  ca?: string
  /** TLS without verifying the certificate (a registry the builder is told is insecure) */
  insecure?: boolean
  /** the registry's name, for messages */
  name: string
  /** a TLS failure names the esb.toml key that fixes it (the build registry) */
  hint?: boolean
}

let extra: string | null | undefined
/**
 * The CAs a TLS connection trusts besides Node's: NODE_EXTRA_CA_CERTS (Node
 * itself does not load it when docker esb starts from its bundle: see
 * plugin/bundle.mjs) and a registry's own CA. Read once, at the first HTTPS
 * request; an unreadable file is skipped, as Node skips it.
 */
function trusted(ca: string | undefined): { ca?: string[] } {
  if (extra === undefined) {
    const f = process.env.NODE_EXTRA_CA_CERTS
    try {
      extra = f ? fs.readFileSync(f, 'utf8') : null
    } catch {
      extra = null
    }
  }
  const more = [extra, ca].filter((x): x is string => !!x)
  return more.length ? { ca: [...tls.rootCertificates, ...more] } : {}
}

export function send(
  url: URL,
  method: string,
  headers: Record<string, string | number>,
  body: Readable | Buffer | undefined,
  o: SendOptions,
): Promise<http.IncomingMessage> {
  const mod = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    let bodyErr: Error | null = null
    const tlsOpts = url.protocol === 'https:' ? { ...trusted(o.ca), ...(o.insecure ? { rejectUnauthorized: false } : {}) } : {}
    const req = mod.request(url, { method, headers, timeout: 60_000, signal: o.signal, ...tlsOpts }, resolve)
    req.on('timeout', () => req.destroy(new Error('timed out')))
    // a failing body (a corrupt source) is the error to report, not the aborted request
    req.on('error', (e: NodeJS.ErrnoException) => {
      // a kept-alive connection the registry closed meanwhile (restarted): once more on a new one
      if (
        e.code === 'ECONNRESET' &&
        req.reusedSocket &&
        !bodyErr &&
        (body === undefined || Buffer.isBuffer(body)) &&
        !o.signal?.aborted
      ) {
        send(url, method, headers, body, o).then(resolve, reject)
        return
      }
      reject(
        bodyErr ??
          (o.signal?.aborted ? o.signal.reason : null) ??
          new EsbError(
            `registry ${o.name} unreachable (${o.hint ? tlsHint(e) : (e.code ?? e.message)}); is it running and is the address right?`,
          ),
      )
    })
    if (body === undefined) req.end()
    else if (Buffer.isBuffer(body)) req.end(body)
    else
      pipeline(body, req).catch((e) => {
        bodyErr = e
        req.destroy(e)
        reject(e)
      })
  })
}

/** For the build registry: a TLS failure says which esb.toml key configures it; other errors their code. */
function tlsHint(e: NodeJS.ErrnoException): string {
  const c = e.code ?? e.message
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(c))
    return `${c}: its certificate is not trusted; give its CA as [registry] build_ca in esb.toml`
  if (c === 'EPROTO' || /wrong version number|packet length too long/.test(e.message))
    return `${c}: it may speak plain HTTP; set [registry] build_insecure = true if it does`
  return c
}

/** A response's body as text, up to about `max` characters. */
export async function textOf(res: AsyncIterable<Buffer | string>, max = Infinity): Promise<string> {
  let text = ''
  for await (const c of res) if ((text += c).length > max) break
  return text
}

/** The repository a request is about (bearer tokens are scoped to it); '' for /v2/ and the catalog. */
export const repoOf = (p: string) => /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(p)?.[1] ?? ''
