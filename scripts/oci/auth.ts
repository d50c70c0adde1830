// Registry credentials as the Docker CLI keeps them: `auths` in
// <docker config>/config.json (what `docker login` writes without a helper),
// else the credential helper it names (`credHelpers` for the host, then
// `credsStore`), asked the way docker asks it: `docker-credential-<x> get`
// with the host on stdin. buildx hands the same credentials to BuildKit, so
// docker esb's own copies use what the builders use.
import fs from 'node:fs'
import path from 'node:path'
import { credentialHelper } from '../docker/runner.ts'
import { EsbError } from '../errors.ts'

export interface Credentials {
  username: string
  password: string
}

interface ConfigJson {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>
  credHelpers?: Record<string, string>
  credsStore?: string
}

/** A registry's host without scheme or path: `https://index.docker.io/v1/` and `index.docker.io` are one. */
const bareHost = (h: string) => h.replace(/^https?:\/\//, '').split('/')[0]

/** The `auths` entry for host: keys (and the host asked) may be written with a scheme or a path (`https://host/v1/`). */
function authsEntry(cfg: ConfigJson, host: string): Credentials | null {
  for (const [k, v] of Object.entries(cfg.auths ?? {})) {
    if (bareHost(k) !== bareHost(host)) continue
    if (v.auth) {
      const text = Buffer.from(v.auth, 'base64').toString('utf8')
      const i = text.indexOf(':')
      if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) }
    }
    if (v.username && v.password) return { username: v.username, password: v.password }
    // an identity token (OAuth refresh token) is sent as the password of the user <token>
    if (v.identitytoken) return { username: '<token>', password: v.identitytoken }
  }
  return null
}

/** Credentials for a registry host (Docker Hub: `https://index.docker.io/v1/`, as docker asks), or null (anonymous). `helper` runs a credential helper (tests give their own). */
export function credentialsFor(
  configDir: string,
  host: string,
  helper: (name: string, host: string) => string = credentialHelper,
): Credentials | null {
  const file = path.join(configDir, 'config.json')
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    throw new EsbError(
      `${file}: cannot be read (${code ?? (e as Error).message}); check its permissions, or point DOCKER_CONFIG at another folder`,
    )
  }
  let cfg: ConfigJson
  try {
    cfg = JSON.parse(text) as ConfigJson
  } catch (e) {
    throw new EsbError(`${file}: not valid JSON (${(e as Error).message}); fix it or run docker login ${host} again`)
  }
  // the helper is asked with the server address docker passes (`https://index.docker.io/v1/` for Docker Hub)
  const helperKey = Object.keys(cfg.credHelpers ?? {}).find((k) => bareHost(k) === bareHost(host))
  const name = cfg.credHelpers?.[host] ?? (helperKey ? cfg.credHelpers![helperKey] : undefined) ?? cfg.credsStore
  if (name) {
    let out: string
    try {
      out = helper(name, host)
    } catch (e) {
      // helpers say "credentials not found" on stdout (docker-credential-helpers), some on stderr
      const out = e as { stdout?: Buffer; stderr?: Buffer }
      const msg = `${String(out.stderr ?? '')}\n${String(out.stdout ?? '')}`.trim() || (e as Error).message
      // "credentials not found" is no login for this host: anonymous, as docker does
      if (/not found/i.test(msg)) return authsEntry(cfg, host)
      throw new EsbError(
        `${file}: credential helper docker-credential-${name} failed for ${host} (${msg.split('\n')[0]}); check that it is installed, or run docker login ${host}`,
      )
    }
    try {
      const j = JSON.parse(out) as { Username?: string; Secret?: string }
      if (j.Username && j.Secret) return { username: j.Username, password: j.Secret }
    } catch {
      throw new EsbError(
        `${file}: credential helper docker-credential-${name} gave no JSON for ${host}; check the helper (docker-credential-${name} list), or run docker login ${host} again`,
      )
    }
  }
  return authsEntry(cfg, host)
}
