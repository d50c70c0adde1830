// Import/export benchmark: an image with a 1 GiB layer.
//  - peak RSS of `docker-esb import` (OCI layout -> registry), `export`
//    (registry -> tar), `import` of that tar, and `import` registry -> registry;
//    target: each under 150 MiB (layers stream, never held whole);
//  - throughput against the alternatives in the same run, where an engine is
//    there: `docker buildx imagetools create` (registry -> registry) and
//    `docker push` of the same image (engine -> registry).
// Two real registries (Debian's docker-registry) on free loopback ports.
// Usage: node bench/oci.mjs [MiB]  (default 1024; writes bench/results/oci.json)
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { pipeline } from 'node:stream/promises'
import * as tar from 'tar-stream'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const bundle = path.join(root, 'dist', 'docker-esb')
const mib = Number(process.argv[2] ?? 1024)
const tmp = path.join(root, 'bench', 'tmp')
fs.rmSync(tmp, { recursive: true, force: true })
fs.mkdirSync(tmp, { recursive: true })
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null
if (!TIME) {
  console.error('bench: /usr/bin/time is needed (apt-get install time)')
  process.exit(1)
}

const freePort = () =>
  new Promise((res) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port
      s.close(() => res(p))
    })
  })
async function registry(name) {
  const port = await freePort()
  const dir = path.join(tmp, name)
  fs.mkdirSync(dir)
  fs.writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  )
  const proc = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/v2/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
    await new Promise((r) => setTimeout(r, 100))
  }
  const proj = path.join(dir, 'project')
  fs.mkdirSync(proj)
  fs.writeFileSync(path.join(proj, 'esb.toml'), `brand = "bench"\n[registry]\nport = ${port}\n`)
  return { port, proc, proj }
}

// an OCI layout with one big random layer, written and hashed as a stream
async function layout(dir) {
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true })
  const put = (b) => {
    const d = crypto.createHash('sha256').update(b).digest('hex')
    fs.writeFileSync(path.join(dir, 'blobs', 'sha256', d), b)
    return { digest: `sha256:${d}`, size: b.length }
  }
  // the layer: a real tar holding one random file, so `docker load` takes it too
  const tmpLayer = path.join(dir, 'layer.tmp')
  const h = crypto.createHash('sha256')
  const pack = tar.pack()
  const out = fs.createWriteStream(tmpLayer)
  pack.on('data', (c) => h.update(c))
  const written = pipeline(pack, out)
  const entry = pack.entry({ name: 'data.bin', size: mib << 20 })
  for (let i = 0; i < mib; i++) if (!entry.write(crypto.randomBytes(1 << 20))) await new Promise((r) => entry.once('drain', r))
  entry.end()
  await new Promise((r) => entry.once('finish', r))
  pack.finalize()
  await written
  const ld = h.digest('hex')
  const size = fs.statSync(tmpLayer).size
  fs.renameSync(tmpLayer, path.join(dir, 'blobs', 'sha256', ld))
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${ld}`, size }
  const cfg = put(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }),
    ),
  )
  const man = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
        layers: [layer],
      }),
    ),
  )
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  fs.writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...man,
          annotations: { 'io.containerd.image.name': 'fn-big:bench' },
        },
      ],
    }),
  )
}

/** Runs a command under /usr/bin/time: seconds and peak RSS (MiB). */
function measure(label, cmd, args, cwd) {
  const r = spawnSync(TIME, ['-f', '%e %M', cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 })
  const last = r.stderr.trim().split('\n').pop()
  const [secs, kb] = last.split(' ').map(Number)
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr.slice(-1500)}`)
  const res = { seconds: secs, peak_rss_mib: +(kb / 1024).toFixed(1), mib_per_s: +(mib / secs).toFixed(1) }
  console.log(label.padEnd(52), JSON.stringify(res))
  return res
}

const A = await registry('a')
const B = await registry('b')
const C = await registry('c')
const results = {}
try {
  console.log(`bench: building a layout with a ${mib} MiB layer ...`)
  await layout(path.join(tmp, 'layout'))
  results['docker-esb import (OCI layout -> registry)'] = measure(
    'docker-esb import layout',
    bundle,
    ['import', path.join(tmp, 'layout'), '-C', A.proj],
    A.proj,
  )
  results['docker-esb export (registry -> tar)'] = measure(
    'docker-esb export',
    bundle,
    ['export', 'fn-big:bench', '-o', path.join(tmp, 'big.tar'), '-C', A.proj],
    A.proj,
  )
  results['docker-esb import (tar -> registry)'] = measure(
    'docker-esb import tar',
    bundle,
    ['import', path.join(tmp, 'big.tar'), '-C', B.proj],
    B.proj,
  )
  results['docker-esb import (registry -> registry)'] = measure(
    'docker-esb import registry ref',
    bundle,
    ['import', `127.0.0.1:${A.port}/bench-fn-big:bench`, '--name', 'fn-copy', '-C', C.proj],
    C.proj,
  )
  const engine =
    spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('docker', ['buildx', 'version'], { stdio: 'ignore' }).status === 0
  if (engine) {
    results['docker buildx imagetools create (registry -> registry)'] = measure(
      'docker buildx imagetools create',
      'docker',
      ['buildx', 'imagetools', 'create', '-t', `127.0.0.1:${C.port}/alt-copy:bench`, `127.0.0.1:${A.port}/bench-fn-big:bench`],
      tmp,
    )
    const load = spawnSync('docker', ['load', '-i', path.join(tmp, 'big.tar')], { encoding: 'utf8' })
    if (load.status !== 0) throw new Error(`docker load of the exported archive failed: ${load.stderr}`)
    spawnSync('docker', ['tag', `127.0.0.1:${A.port}/bench-fn-big:bench`, `127.0.0.1:${C.port}/alt-push:bench`])
    results['docker push (engine -> registry)'] = measure(
      'docker push',
      'docker',
      ['push', '-q', `127.0.0.1:${C.port}/alt-push:bench`],
      tmp,
    )
    spawnSync('docker', ['image', 'rm', '-f', `127.0.0.1:${A.port}/bench-fn-big:bench`, `127.0.0.1:${C.port}/alt-push:bench`], {
      stdio: 'ignore',
    })
  } else {
    console.log('bench: no engine here; the docker alternatives are skipped')
  }
} finally {
  for (const r of [A, B, C]) r.proc.kill()
  fs.rmSync(tmp, { recursive: true, force: true })
}
const ours = results['docker-esb import (registry -> registry)']
const out = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} cpu, ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  layer_mib: mib,
  results,
  peak_rss_target_mib: 150,
  peak_rss_ok: Object.entries(results)
    .filter(([k]) => k.startsWith('docker-esb'))
    .every(([, v]) => v.peak_rss_mib < 150),
  ratios: results['docker buildx imagetools create (registry -> registry)']
    ? {
        'docker-esb import registry->registry / imagetools create (throughput)': +(
          ours.mib_per_s / results['docker buildx imagetools create (registry -> registry)'].mib_per_s
        ).toFixed(2),
        'docker-esb import layout->registry / docker push (throughput)': +(
          results['docker-esb import (OCI layout -> registry)'].mib_per_s / results['docker push (engine -> registry)'].mib_per_s
        ).toFixed(2),
      }
    : null,
  command: `node bench/oci.mjs ${mib}`,
}
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true })
fs.writeFileSync(path.join(root, 'bench', 'results', 'oci.json'), JSON.stringify(out, null, 2) + '\n')
console.log(JSON.stringify(out, null, 2))
