// The hostile-repo layer's sandbox: a repo docker esb must treat as untrusted
// input, with what it must never touch around it. Each case gets
//   root/project   the repo (a copy of an example, plus the case's files)
//   root/outside   sentinel files that must stay as they are
//   root/bin       a fake `docker` (test/lib/fake-docker.mjs) first on PATH
//   a canary program the repo may try to put on PATH (it writes root/canary.ran)
//   a canary registry (a real docker-registry) that must stay empty
// and runs the built bundle (dist/docker-esb) as `docker esb` would run it.
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { BUNDLE, FAKE_DOCKER, ROOT, run, startRegistry, tmpdir, type Ran } from '../lib/helpers.ts'

export interface Sandbox {
  root: string
  project: string
  outside: string
  /** the file the canary program writes when it runs */
  canaryMarker: string
  /** host:port of the canary registry */
  canary: string
  /** every docker call the plugin made (argv, env, cwd) */
  calls: () => { argv: string[]; env: Record<string, string>; cwd: string }[]
  /** runs `docker esb ARGS` in the project (fake docker first on PATH unless `env.PATH` says otherwise) */
  esb: (args: string[], env?: Record<string, string | undefined>) => Ran
  /** what changed outside the project since the sandbox was made: sentinel files, new files anywhere but project/ */
  outsideChanges: () => string[]
  canaryRan: () => boolean
  /** the canary registry's repositories (must stay []) */
  canaryCatalog: () => Promise<string[]>
  close: () => Promise<void>
}

/** A script that records that it ran (the canary a hostile repo puts on PATH, or in LD_PRELOAD's place). */
export const canaryScript = (marker: string) => `#!/bin/sh\necho "$0 $*" >> '${marker}'\nexit 0\n`

const hashTree = (dir: string, skip: string[]): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (skip.some((s) => p === s || p.startsWith(s + path.sep))) continue
      if (e.isSymbolicLink()) out[p] = `link:${fs.readlinkSync(p)}`
      else if (e.isDirectory()) walk(p)
      else out[p] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')
    }
  }
  walk(dir)
  return out
}

export interface SandboxOptions {
  /** which example the repo starts from (default mini) */
  example?: 'mini' | 'adopt'
  /** files to add or replace (relative to the project; null removes); `{ROOT}` is the sandbox root, `{OUTSIDE}` the outside folder */
  files?: Record<string, string | null>
  /** symlinks to make (relative to the project) -> target */
  links?: Record<string, string>
  /** fake docker rules (test/lib/fake-docker.mjs) */
  rules?: { match: string[]; stdout?: string; stderr?: string; exit?: number; metadata?: unknown }[]
}

export async function sandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  const root = fs.realpathSync(tmpdir('esb-hostile-'))
  const project = path.join(root, 'project')
  const outside = path.join(root, 'outside')
  const bin = path.join(root, 'bin')
  const canaryMarker = path.join(root, 'canary.ran')
  // the example as committed: not a state folder a local run left in the working tree (mini's is gitignored)
  fs.cpSync(path.join(ROOT, 'examples', o.example ?? 'mini'), project, {
    recursive: true,
    filter: (src) => !/[/\\]examples[/\\]mini[/\\]\.mini([/\\]|$)/.test(src),
  })
  fs.mkdirSync(path.join(outside, 'sub'), { recursive: true })
  fs.writeFileSync(path.join(outside, 'sentinel.txt'), 'must stay\n')
  fs.writeFileSync(path.join(outside, 'sub', 'old.txt'), 'old, must stay\n')
  // older than any prune threshold
  const old = new Date(Date.now() - 7 * 86400_000)
  fs.utimesSync(path.join(outside, 'sub', 'old.txt'), old, old)
  fs.mkdirSync(bin)
  fs.symlinkSync(FAKE_DOCKER, path.join(bin, 'docker'))
  const sub = (t: string) => t.replaceAll('{ROOT}', root).replaceAll('{OUTSIDE}', outside)
  for (const [f, text] of Object.entries(o.files ?? {})) {
    const p = path.join(project, f)
    if (text === null) fs.rmSync(p, { recursive: true, force: true })
    else {
      fs.mkdirSync(path.dirname(p), { recursive: true })
      fs.writeFileSync(p, sub(text), { mode: /(^|\/)(tools|bin)\//.test(f) ? 0o755 : 0o644 })
    }
  }
  for (const [f, target] of Object.entries(o.links ?? {})) {
    const p = path.join(project, f)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.symlinkSync(sub(target), p)
  }
  const log = path.join(root, 'docker.log')
  const rules = path.join(root, 'rules.json')
  fs.writeFileSync(rules, JSON.stringify(o.rules ?? []))
  const reg = await startRegistry()
  const before = hashTree(root, [project, log, canaryMarker])
  const dockerConfig = path.join(root, 'docker-config')
  fs.mkdirSync(dockerConfig)
  const sb: Sandbox = {
    root,
    project,
    outside,
    canaryMarker,
    canary: `127.0.0.1:${reg.port}`,
    calls: () =>
      fs.existsSync(log)
        ? fs
            .readFileSync(log, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
            .filter((c) => c.argv)
        : [],
    esb: (args, env = {}) =>
      run(BUNDLE, args, {
        cwd: project,
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND: undefined,
          DOCKER_CONFIG: dockerConfig,
          FAKE_DOCKER_LOG: log,
          FAKE_DOCKER_RULES: rules,
          ESB_REPO: undefined,
          ...env,
        },
      }),
    outsideChanges: () => {
      const now = hashTree(root, [project, log, canaryMarker, dockerConfig])
      const changed: string[] = []
      for (const [p, h] of Object.entries(before)) if (now[p] !== h) changed.push(`${now[p] ? 'changed' : 'removed'} ${p}`)
      for (const p of Object.keys(now)) if (!(p in before)) changed.push(`new ${p}`)
      return changed
    },
    canaryRan: () => fs.existsSync(canaryMarker),
    canaryCatalog: async () =>
      ((await (await fetch(`${reg.url}/v2/_catalog`)).json()) as { repositories: string[] }).repositories,
    close: async () => {
      await reg.stop()
      fs.rmSync(root, { recursive: true, force: true })
    },
  }
  return sb
}

/** stderr's lines that are docker esb's own (`docker esb: ...`). */
export const esbLines = (r: Ran) => r.stderr.split('\n').filter((l) => l.startsWith('docker esb:'))
