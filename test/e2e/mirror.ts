// A company mirror for the e2e tests: a second registry (Debian's
// docker-registry binary on a free loopback port, as test/lib/helpers.ts
// startRegistry) that serves, under their public names, what ESB-shaped
// Dockerfiles read from outside: the Dockerfile frontend
// (docker/dockerfile:1.7, from the engine, made by provisioning) and
// busybox stand-ins for the Debian, Python, Lambda and uv images.
//
// The stand-ins are written byte for byte by this file (a tar with fixed
// mtimes, owners and order; a fixed config; uncompressed layers), so their
// digests depend only on the busybox binary of the engine's busybox:1.36:
// a fixture may pin them (`FROM debian:bookworm-slim@sha256:...`). On a
// machine whose busybox differs, pinToMirror rewrites a copy's pins.
//
// The builder reaches the mirror through buildkitd.toml (`toml`): it is the
// mirror of docker.io, public.ecr.aws and ghcr.io, over plain HTTP. Nothing
// is created on the engine; stop() removes the registry and its folder.
import fs from 'node:fs'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { ROOT, run, startRegistry, tmpdir } from '../lib/helpers.ts'
import { BUSYBOX } from './project.ts'
import { MT, sha, standIns, STAND_INS } from './standins.ts'

export { STAND_INS }

export const FRONTEND = 'docker/dockerfile:1.7'
/** The registries the mirror stands in for. */
export const MIRRORED = ['docker.io', 'public.ecr.aws', 'ghcr.io']

export interface Mirror {
  port: number
  /** 127.0.0.1:<port> */
  host: string
  /** public reference -> manifest digest, for every stand-in and the frontend */
  digests: Record<string, string>
  /** public reference -> layer digests (bottom first) */
  layers: Record<string, string[]>
  /** the buildkitd.toml lines that make it the builder's mirror */
  toml: string
  stop: () => Promise<void>
}

// ---- the registry side

async function pushBlob(base: string, repo: string, blob: Buffer): Promise<string> {
  const d = sha(blob)
  if ((await fetch(`${base}/v2/${repo}/blobs/${d}`, { method: 'HEAD' })).status === 200) return d
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' })
  if (start.status !== 202) throw new Error(`mirror: upload to ${repo} refused (${start.status})`)
  const loc = new URL(start.headers.get('location')!, base)
  loc.searchParams.set('digest', d)
  const put = await fetch(loc, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: blob })
  if (put.status !== 201) throw new Error(`mirror: blob ${d} to ${repo}: ${put.status} ${await put.text()}`)
  return d
}

async function pushImage(
  base: string,
  repo: string,
  tag: string,
  config: Buffer,
  layers: Buffer[],
  types = { manifest: MT.manifest, config: MT.config, layer: MT.layer },
): Promise<string> {
  const manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: await pushBlob(base, repo, config), size: config.length },
    layers: [] as { mediaType: string; digest: string; size: number }[],
  }
  for (const l of layers) manifest.layers.push({ mediaType: types.layer, digest: await pushBlob(base, repo, l), size: l.length })
  const body = Buffer.from(JSON.stringify(manifest))
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': types.manifest },
    body,
  })
  if (r.status !== 201) throw new Error(`mirror: manifest ${repo}:${tag}: ${r.status} ${await r.text()}`)
  return sha(body)
}

/** An engine image as `docker save` writes it (config and uncompressed layers). */
function saved(image: string, into: string): { config: Buffer; layers: Buffer[] } {
  const t = path.join(into, 'image.tar')
  const r = run('docker', ['save', '-o', t, image])
  if (r.code !== 0)
    throw new Error(
      `mirror: docker save ${image} failed (is the engine provisioned? bash test/e2e/engine/provision.sh): ${r.stderr.trim()}`,
    )
  const x = spawnSync('tar', ['-xf', t, '-C', into])
  if (x.status !== 0) throw new Error(`mirror: cannot read docker save of ${image}`)
  const m = JSON.parse(fs.readFileSync(path.join(into, 'manifest.json'), 'utf8'))[0]
  return {
    config: fs.readFileSync(path.join(into, m.Config)),
    layers: m.Layers.map((l: string) => fs.readFileSync(path.join(into, l))),
  }
}

/** The busybox binary of the engine's busybox:1.36 and its applet list. */
export function engineBusybox(): { busybox: Buffer; applets: string[] } {
  const t = tmpdir('esb-mirror-busybox-')
  try {
    const { layers } = saved(BUSYBOX, t)
    const root = path.join(t, 'rootfs')
    fs.mkdirSync(root)
    for (const [i, l] of layers.entries()) {
      fs.writeFileSync(path.join(t, `l${i}.tar`), l)
      spawnSync('tar', ['-xf', path.join(t, `l${i}.tar`), '-C', root])
    }
    const bin = path.join(root, 'bin', 'busybox')
    if (!fs.existsSync(bin)) throw new Error(`mirror: ${BUSYBOX} has no /bin/busybox`)
    const list = spawnSync(bin, ['--list'], { encoding: 'utf8' })
    if (list.status !== 0)
      throw new Error(`mirror: ${BUSYBOX}'s busybox does not run on this host (${list.error?.message ?? list.stderr})`)
    const applets = [
      ...new Set(
        list.stdout
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => /^[\w.[\]-]+$/.test(s)),
      ),
    ].sort()
    return { busybox: fs.readFileSync(bin), applets }
  } finally {
    fs.rmSync(t, { recursive: true, force: true })
  }
}

/** Starts the mirror and fills it. */
export async function startMirror(): Promise<Mirror> {
  const reg = await startRegistry()
  try {
    const digests: Record<string, string> = {}
    const layers: Record<string, string[]> = {}
    const { busybox, applets } = engineBusybox()
    for (const s of standIns(busybox, applets)) {
      digests[s.ref] = await pushImage(reg.url, s.repo, s.tag, s.config, s.layers)
      layers[s.ref] = s.layers.map((l) => sha(l))
    }
    const t = tmpdir('esb-mirror-frontend-')
    try {
      const f = saved(FRONTEND, t)
      const docker = {
        manifest: 'application/vnd.docker.distribution.manifest.v2+json',
        config: 'application/vnd.docker.container.image.v1+json',
        layer: 'application/vnd.docker.image.rootfs.diff.tar',
      }
      const [repo, tag] = FRONTEND.split(':')
      digests[FRONTEND] = await pushImage(reg.url, repo, tag, f.config, f.layers, docker)
      layers[FRONTEND] = f.layers.map((l) => sha(l))
    } finally {
      fs.rmSync(t, { recursive: true, force: true })
    }
    const host = `127.0.0.1:${reg.port}`
    const toml = [
      ...MIRRORED.map((r) => `[registry."${r}"]\n  mirrors = ["${host}"]`),
      `[registry."${host}"]\n  http = true`,
    ].join('\n')
    return { port: reg.port, host, digests, layers, toml: `${toml}\n`, stop: reg.stop }
  } catch (e) {
    await reg.stop()
    throw e
  }
}

/**
 * Rewrites, in every Dockerfile under `root`, a pin of a stand-in
 * (`<ref>@sha256:...`) whose digest is not the mirror's to the mirror's (the
 * committed digests were measured on one machine; another busybox gives
 * others). Prints one line when it rewrote anything; returns the rewrites.
 */
export function pinToMirror(root: string, m: Mirror): { file: string; ref: string; from: string; to: string }[] {
  const out: { file: string; ref: string; from: string; to: string }[] = []
  const files = fs
    .readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => /(^|\/)Dockerfile[^/]*$/.test(f) && !f.startsWith('.git/'))
  for (const f of files) {
    const p = path.join(root, f)
    const text = fs.readFileSync(p, 'utf8')
    const next = text.replace(/([\w./:-]+)@(sha256:[0-9a-f]{64})/g, (all, ref: string, d: string) => {
      const want = m.digests[ref]
      if (!want || want === d) return all
      out.push({ file: f, ref, from: d, to: want })
      return `${ref}@${want}`
    })
    if (next !== text) fs.writeFileSync(p, next)
  }
  if (out.length) {
    const refs = [...new Set(out.map((o) => `${o.ref}@${o.to.slice(7, 19)}`))].join(', ')
    console.log(
      `mirror: this machine's stand-ins have other digests than the committed pins; the copy pins ${refs} (${out.length} pins in ${new Set(out.map((o) => o.file)).size} Dockerfiles)`,
    )
  }
  return out
}

/**
 * Moves a public tag on the mirror, as an upstream release does: the same
 * layers under a new config (one label more), so a new manifest digest.
 * Returns the new digest (also kept in `m.digests`).
 */
export async function moveTag(m: Mirror, ref: string, label = `moved-${Date.now()}`): Promise<string> {
  const [, repoPart, tag] = /^(?:docker\.io\/|public\.ecr\.aws\/|ghcr\.io\/)?(.+):([^:/]+)$/.exec(ref)!
  const repo = repoPart.includes('/') ? repoPart : `library/${repoPart}`
  const base = `http://${m.host}`
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json'
  const man: any = await (await fetch(`${base}/v2/${repo}/manifests/${tag}`, { headers: { accept } })).json()
  const config: any = await (await fetch(`${base}/v2/${repo}/blobs/${man.config.digest}`)).json()
  config.config = { ...(config.config ?? {}), Labels: { ...(config.config?.Labels ?? {}), 'e2e.moved': label } }
  const body = Buffer.from(JSON.stringify(config))
  man.config = { ...man.config, digest: await pushBlob(base, repo, body), size: body.length }
  const mb = Buffer.from(JSON.stringify(man))
  const r = await fetch(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': man.mediaType },
    body: mb,
  })
  if (r.status !== 201) throw new Error(`mirror: moving ${ref}: ${r.status} ${await r.text()}`)
  m.digests[ref] = sha(mb)
  return m.digests[ref]
}

/**
 * The minimal esb.toml for the real ESB repo (README "Adopting an existing
 * repo") with the adopt fixture's artifact manifests: the bases get the args
 * the repo's own tooling gives them.
 */
export const ADOPT_TOML = `[functions]
artifact = "artifacts/e2e-*/artifact.yml"

[bake.args]
ROOT_CA_CERT_FILENAME = "rootCA.crt"

[bake.arg_hashes]
ROOT_CA_FINGERPRINT = "\${CERT_DIR}/rootCA.crt"
`

/**
 * The environment a test copy of examples/adopt runs docker esb with: its
 * own registry port and docker config, unique names on a shared engine (the
 * brand itself, acme, comes from the repo's generated files), and the
 * repo's env variables unset.
 */
export const adoptEnv = (id: string, port: number, cfg: string): Record<string, string | undefined> => ({
  DOCKER_CONFIG: cfg,
  PORT_REGISTRY: String(port),
  BUILDX_BUILDER: `acme-${id}-buildx`,
  REGISTRY_CONTAINER_NAME: `acme-${id}-registry`,
  PROJECT_NAME: `acme-${id}`,
  ENV: undefined,
  ACME_ENV: undefined,
  ACME_TAG: undefined,
})

/**
 * examples/adopt copied to `dir` as the e2e tests and the benchmark use it:
 * its pins rewritten to this machine's stand-ins (pinToMirror), the mirror
 * named in the repo's own .acme/buildkitd.toml as a company mirror would be,
 * and `esb.toml` (ADOPT_TOML plus `extraToml`).
 */
export function adoptCopy(dir: string, m: Mirror, extraToml = ''): void {
  fs.cpSync(path.join(ROOT, 'examples', 'adopt'), dir, { recursive: true })
  pinToMirror(dir, m)
  fs.appendFileSync(path.join(dir, '.acme', 'buildkitd.toml'), `\n# the company mirror (added by the test)\n${m.toml}`)
  fs.writeFileSync(path.join(dir, 'esb.toml'), ADOPT_TOML + extraToml)
}
