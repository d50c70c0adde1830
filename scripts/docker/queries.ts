// Answers of read-only docker questions that only change when their inputs
// do (`docker buildx version`, `docker buildx bake --print`), kept between
// runs so that a build with nothing to do asks docker nothing. Each answer is
// keyed by everything it depends on, the buildx plugin binary included; the
// file is written by the plan (a dry run writes nothing).
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('hex')
const SYSTEM_PLUGIN_DIRS = [
  '/usr/local/lib/docker/cli-plugins',
  '/usr/local/libexec/docker/cli-plugins',
  '/usr/lib/docker/cli-plugins',
  '/usr/libexec/docker/cli-plugins',
]

/** Every docker-buildx binary docker may pick (its config's plugin folders, then the system's), by path, size and mtime. */
export function buildxIdentity(configDir: string): string {
  let extra: string[] = []
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(configDir, 'config.json'), 'utf8')) as { cliPluginsExtraDirs?: unknown }
    if (Array.isArray(cfg.cliPluginsExtraDirs)) extra = cfg.cliPluginsExtraDirs.filter((d): d is string => typeof d === 'string')
  } catch {
    /* no config: the default folders */
  }
  const out: string[] = []
  for (const d of [path.join(configDir, 'cli-plugins'), ...extra, ...SYSTEM_PLUGIN_DIRS]) {
    const f = path.join(d, 'docker-buildx')
    try {
      const st = fs.statSync(f)
      out.push(`${f}:${st.size}:${st.mtimeMs}:${st.ino}`)
    } catch {
      /* not there */
    }
  }
  return out.join('|')
}

export class QueryCache {
  private saved: Record<string, string> = {}
  private used: Record<string, string> = {}
  constructor(readonly file: string) {
    try {
      const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
      if (v && typeof v === 'object' && !Array.isArray(v))
        for (const [k, x] of Object.entries(v)) if (typeof x === 'string') this.saved[k] = x
    } catch {
      /* none yet, or unreadable: asked again */
    }
  }

  /** The answer kept for `parts`, or null. */
  get(parts: unknown[]): string | null {
    const k = sha(JSON.stringify(parts))
    const v = this.saved[k]
    if (v !== undefined) this.used[k] = v
    return v ?? null
  }

  set(parts: unknown[], answer: string): void {
    this.used[sha(JSON.stringify(parts))] = answer
  }

  /** What to write for the next run (only the answers this run used), or null when nothing changed. */
  content(): string | null {
    const keys = Object.keys(this.used).sort()
    const same = keys.length === Object.keys(this.saved).length && keys.every((k) => this.saved[k] === this.used[k])
    return same ? null : JSON.stringify(Object.fromEntries(keys.map((k) => [k, this.used[k]]))) + '\n'
  }
}
