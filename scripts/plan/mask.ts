// Secrets stay out of logs: the values of names that mark them secret, and the
// password of a URL (`scheme://user:pass@host`), are printed as `(masked)` by
// the human plan (--dry-run) and by the JSON one unless --show-secrets asks.
// Names are matched generously: a masked non-secret costs less than a leak.
import type { Env } from './types.ts'

export const MASKED = '(masked)'

// PASS (PASSWORD, PASSWD, PASSPHRASE), SECRET, TOKEN, KEY (API_KEY, *_KEY_ID too),
// CREDENTIAL, AUTH, PRIVATE, COOKIE, SESSION, SALT, SIGNATURE; _PWD, _PW and _PAT as suffixes
const SECRET_NAME = /PASS|SECRET|TOKEN|KEY|CRED|AUTH|PRIVATE|COOKIE|SESSION|SALT|SIGNATURE|_(PWD|PW|PAT)$/i
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^/\s@]+@/gi

/** Whether a variable's name marks its value secret. */
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name)

/** The text with the password of every `scheme://user:password@` in it masked. */
export const maskUrls = (text: string): string => text.replace(URL_PASSWORD, `$1${MASKED}@`)

/** The value as a log may show it: `(masked)` for a secret name's non-empty value, else with URL passwords masked. */
export function maskValue(name: string, value: string): string {
  return value !== '' && isSecretName(name) ? MASKED : maskUrls(value)
}

export function maskEnv(env: Env): Env {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, maskValue(k, v)]))
}

/** A JSON.stringify replacer: every `env` object masked by name, every other string's URL passwords. */
export function maskingReplacer(key: string, value: unknown): unknown {
  if (key === 'env' && value !== null && typeof value === 'object' && !Array.isArray(value)) return maskEnv(value as Env)
  return typeof value === 'string' ? maskUrls(value) : value
}
