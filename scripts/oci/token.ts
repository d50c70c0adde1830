// Registry auth the way docker does it: basic credentials, or a bearer token
// from the token service a 401 challenge names (anonymous without credentials;
// an identity token from docker login is exchanged as a refresh_token grant).
import type http from 'node:http'
import type { Readable } from 'node:stream'
import { EsbError } from '../errors.ts'
import type { Credentials } from './auth.ts'

type Send = (
  url: URL,
  method: string,
  headers: Record<string, string | number>,
  body?: Readable | Buffer,
) => Promise<http.IncomingMessage>

export const basicAuth = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`

/** The token for a `Bearer realm=...,service=...,scope=...` challenge; null: not a bearer challenge; refused: the token service answered 401 or 403. */
export async function bearerToken(
  challenge: string,
  cred: Credentials | null,
  send: Send,
  name: string,
): Promise<string | null | { refused: number }> {
  const ch = /^Bearer\s+(.*)$/i.exec(challenge)
  if (!ch) return null
  const params = Object.fromEntries([...ch[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
  if (!params.realm) return null
  const t = new URL(params.realm)
  if (params.service) t.searchParams.set('service', params.service)
  if (params.scope) t.searchParams.set('scope', params.scope)
  // an identity token (`docker login` with OAuth, e.g. ACR) is exchanged as docker does: a refresh_token grant
  const res =
    cred?.username === '<token>'
      ? await send(
          new URL(params.realm),
          'POST',
          { 'Content-Type': 'application/x-www-form-urlencoded' },
          Buffer.from(
            new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: cred.password,
              service: params.service ?? '',
              client_id: 'docker',
              ...(params.scope ? { scope: params.scope } : {}),
            }).toString(),
          ),
        )
      : await send(t, 'GET', cred ? { Authorization: basicAuth(cred) } : {})
  let text = ''
  for await (const c of res) {
    text += c
    if (text.length > 1 << 20) break
  }
  if (res.statusCode === 401 || res.statusCode === 403) return { refused: res.statusCode }
  if (res.statusCode !== 200)
    throw new EsbError(
      `registry ${name}: its token service ${t.origin} answered HTTP ${res.statusCode}; check that the registry is up, then run 'docker login ${name}'`,
    )
  let tj: { token?: string; access_token?: string }
  try {
    tj = JSON.parse(text)
  } catch {
    throw new EsbError(
      `registry ${name}: its token service ${t.origin} did not answer JSON; check the registry's address (a proxy or login page may answer instead)`,
    )
  }
  return tj.token ?? tj.access_token ?? null
}
