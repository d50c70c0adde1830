// The mirror's stand-ins for outside images (test/e2e/mirror.ts), written
// byte for byte: a ustar layer with mtime 0, owner root and a fixed order, a
// config with no dates, uncompressed layers. Their digests depend only on
// the busybox binary given and the host's architecture (the uv stand-in on
// neither), so a fixture can pin them by digest. Pure.
import crypto from 'node:crypto'

export type Kind = 'os' | 'python' | 'lambda' | 'uv'
/** Public reference (as a Dockerfile writes it) -> repository and tag on the mirror. */
export const STAND_INS: { ref: string; repo: string; tag: string; kind: Kind }[] = [
  { ref: 'debian:bookworm-slim', repo: 'library/debian', tag: 'bookworm-slim', kind: 'os' },
  { ref: 'python:3.12-slim-bookworm', repo: 'library/python', tag: '3.12-slim-bookworm', kind: 'python' },
  { ref: 'public.ecr.aws/lambda/python:3.12', repo: 'lambda/python', tag: '3.12', kind: 'lambda' },
  { ref: 'public.ecr.aws/lambda/java:21', repo: 'lambda/java', tag: '21', kind: 'lambda' },
  { ref: 'ghcr.io/astral-sh/uv:0.8.13', repo: 'astral-sh/uv', tag: '0.8.13', kind: 'uv' },
]

export const sha = (b: Buffer | string) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
export const MT = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
}

// ---- a deterministic tar (ustar): mtime 0, uid/gid 0, entries in the order given

type Entry = { name: string; type: 'dir' | 'file' | 'symlink'; mode: number; data?: Buffer; link?: string }

function header(e: Entry): Buffer {
  const h = Buffer.alloc(512)
  const put = (s: string, off: number, len: number) => h.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8')
  const oct = (n: number, off: number, len: number) => put(n.toString(8).padStart(len - 1, '0') + '\0', off, len)
  if (Buffer.byteLength(e.name) > 100) throw new Error(`tar name too long: ${e.name}`)
  put(e.name, 0, 100)
  oct(e.mode, 100, 8)
  oct(0, 108, 8)
  oct(0, 116, 8)
  oct(e.type === 'file' ? e.data!.length : 0, 124, 12)
  oct(0, 136, 12)
  h.fill(' ', 148, 156)
  put(e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2', 156, 1)
  if (e.link) put(e.link, 157, 100)
  put('ustar\0' + '00', 257, 8)
  put('root', 265, 32)
  put('root', 297, 32)
  let sum = 0
  for (const b of h) sum += b
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8)
  return h
}

function tar(entries: Entry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    parts.push(header(e))
    if (e.type === 'file') {
      parts.push(e.data!)
      const pad = (512 - (e.data!.length % 512)) % 512
      if (pad) parts.push(Buffer.alloc(pad))
    }
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

const dir = (name: string, mode = 0o755): Entry => ({ name: `${name}/`, type: 'dir', mode })
const file = (name: string, data: string | Buffer, mode = 0o644): Entry => ({
  name,
  type: 'file',
  mode,
  data: Buffer.isBuffer(data) ? data : Buffer.from(data),
})

/** busybox with a symlink per applet, passwd and group: the shared bottom layer. */
function busyboxLayer(busybox: Buffer, applets: string[]): Buffer {
  return tar([
    dir('bin'),
    file('bin/busybox', busybox, 0o755),
    ...applets
      .filter((a) => a !== 'busybox')
      .map((a): Entry => ({ name: `bin/${a}`, type: 'symlink', mode: 0o777, link: 'busybox' })),
    dir('etc'),
    file('etc/group', 'root:x:0:\nnogroup:x:65534:\n'),
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'),
    dir('root', 0o700),
    dir('tmp', 0o1777),
    dir('usr'),
    dir('usr/local'),
    dir('usr/local/bin'),
    dir('usr/local/share'),
  ])
}

/** The layer that makes a stand-in itself: its name, and what its kind needs. */
function ownLayer(ref: string, kind: Kind): Buffer {
  const tool = (name: string) => `#!/bin/sh\necho "${name} (stand-in for ${ref}): $*"\n`
  if (kind === 'uv') return tar([file('uv', tool('uv'), 0o755), file('uvx', tool('uvx'), 0o755)])
  const e: Entry[] = [dir('etc'), file('etc/stand-in', `${ref}\n`)]
  if (kind === 'python')
    e.push(dir('usr'), dir('usr/local'), dir('usr/local/bin'), file('usr/local/bin/python3', tool('python3'), 0o755))
  if (kind === 'lambda') e.push(dir('var'), dir('var/task'), dir('var/runtime'))
  return tar(e)
}

function arch(): string {
  return (
    ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ??
    process.arch
  )
}

/** The stand-in images: config and layers, all fixed bytes. */
export function standIns(
  busybox: Buffer,
  applets: string[],
): { ref: string; repo: string; tag: string; config: Buffer; layers: Buffer[] }[] {
  const bottom = busyboxLayer(busybox, applets)
  return STAND_INS.map((s) => {
    const layers = s.kind === 'uv' ? [ownLayer(s.ref, s.kind)] : [bottom, ownLayer(s.ref, s.kind)]
    const env = s.kind === 'lambda' ? [PATH, 'LAMBDA_TASK_ROOT=/var/task', 'LAMBDA_RUNTIME_DIR=/var/runtime'] : [PATH]
    const config = {
      architecture: arch(),
      os: 'linux',
      config: s.kind === 'uv' ? { Env: [PATH], Entrypoint: ['/uv'] } : { Env: env, Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha(l)) },
    }
    return { ...s, config: Buffer.from(JSON.stringify(config)), layers }
  })
}
