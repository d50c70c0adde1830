// What an env file (.env, esb.toml env_files, --env-file) may set. Compose
// reads such a file only to interpolate the compose files and to take its
// own COMPOSE_* options (compose v2 ignores DOCKER_HOST there: docker/compose
// #9871); docker esb passes the values on to docker, buildx and compose as
// environment, so a name any program on this machine reads for itself would
// change how it runs (which docker binary, which engine, what is loaded into
// it, what bake may read and write). Such a name is refused: one line naming
// the file and line. The user's own environment is not checked: it is theirs.
import { UsageError } from '../errors.ts'

/** [pattern on the upper-cased name, why it is refused]; the first match wins. */
const REFUSED: [RegExp, string][] = [
  [/^PATH$/, 'it would change which programs run on this machine'],
  [/^(LD_|DYLD_)/, 'it would load code into every program docker esb runs'],
  [/^(NODE_(?!ENV$)|UV_|OPENSSL_)/, 'Node reads it for itself'],
  [/^(BUILDX_|BUILDKIT_)/, 'buildx reads it for itself (builder, entitlements, progress)'],
  [/^DOCKER_/, 'the docker CLI reads it for itself (which engine, config, credentials, TLS)'],
  // compose reads COMPOSE_PROFILES and COMPOSE_PROJECT_NAME from a project's .env itself; the
  // rest name files outside the project, remove containers or change how compose builds
  [/^COMPOSE_(?!PROFILES$|PROJECT_NAME$)/, 'compose reads it for itself (files, env files, orphans, how it builds)'],
  [/^(HTTP|HTTPS|FTP|ALL|NO)_PROXY$/, "it would send docker's and the builder's traffic through another host"],
  [
    /^(HOME|USER|LOGNAME|SHELL|TMPDIR|TMP|TEMP|XDG_[A-Z_]+)$/,
    'programs find their config, credentials and temp files through it',
  ],
  [/^(BASH|SHELLOPTS$|IFS$|PS4$|CDPATH$|GLOBIGNORE$|PROMPT_COMMAND$)/, 'the shell docker is started through reads it'],
  [/^GIT_/, 'git (buildx runs it for contexts) reads it and can run commands from it'],
  [/^(SSL_CERT_(FILE|DIR)|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE)$/, 'it changes which TLS certificates are trusted'],
  [/^(GODEBUG|GOGC|GOMAXPROCS|GOMEMLIMIT|GOTRACEBACK)$/, 'docker, buildx and compose (Go programs) read it'],
  [/^(KUBECONFIG|SSH_AUTH_SOCK)$/, 'buildx reads it for itself (kubernetes driver, --ssh default)'],
  [/^(PYTHON|PERL5|RUBY)/, 'a docker credential helper may be a script that reads it'],
  // AWS_REGION, AWS_ACCESS_KEY_ID and the like stay allowed: a repo's .env hands them to its containers
  [
    /^AWS_(CONFIG_FILE|SHARED_CREDENTIALS_FILE|PROFILE|DEFAULT_PROFILE|WEB_IDENTITY_TOKEN_FILE|CA_BUNDLE)$/,
    "the ECR credential helper reads it for itself (a profile's credential_process runs a program)",
  ],
  [
    /^(CLOUDSDK_|GOOGLE_APPLICATION_CREDENTIALS$)/,
    'the gcloud credential helper reads it for itself (CLOUDSDK_PYTHON runs a program)',
  ],
  [/^AZURE_[A-Z_]*CONFIG/, 'the Azure credential helper reads it for itself (config and credentials)'],
  [/^OTEL_/, 'docker, buildx and compose send their traces where it says'],
  [/^EXPERIMENTAL_/, 'buildx reads it for itself (EXPERIMENTAL_BUILDKIT_SOURCE_POLICY rewrites what a build pulls)'],
]

/** Why an env file may not set `name`, or null when it may. */
export function refusedReason(name: string): string | null {
  const up = name.toUpperCase()
  for (const [re, why] of REFUSED) if (re.test(up)) return why
  return null
}

/**
 * Throws one UsageError line for the first name an env file sets that it may
 * not. `lines`: the line of each name's assignment (a bare `NAME` line takes
 * the user's own value and is not one).
 */
export function checkEnvFile(file: string, vars: Record<string, string>, lines: Record<string, number>): void {
  for (const name of Object.keys(vars).sort((a, b) => (lines[a] ?? 0) - (lines[b] ?? 0))) {
    const why = refusedReason(name)
    if (why === null || lines[name] === undefined) continue
    throw new UsageError(
      `${file}:${lines[name]}: ${name} may not be set by an env file (${why}); set it in your shell instead, or remove the line`,
    )
  }
}
