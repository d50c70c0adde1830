// Archives for the import fuzz: a valid one (read from what `docker esb
// export` or `docker save` wrote) as entries, damage to apply to it, and a
// small ustar writer that packs exactly what it is given.
import fc from 'fast-check'
import fs from 'node:fs'
import { pipeline } from 'node:stream/promises'
import * as tar from 'tar-stream'
import { text } from './gen.ts'

export interface Entry {
  name: string
  data: Buffer
}

/** The regular files of a tar, in order. */
export async function readTar(file: string): Promise<Entry[]> {
  const out: Entry[] = []
  const ex = tar.extract()
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = []
    stream.on('data', (c) => chunks.push(c as Buffer))
    stream.on('end', () => {
      if (h.type === 'file') out.push({ name: h.name, data: Buffer.concat(chunks) })
      next()
    })
  })
  await pipeline(fs.createReadStream(file), ex)
  return out
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(512)
  const put = (s: string, at: number, len: number) => h.write(s.slice(0, len), at, len, 'utf8')
  const oct = (n: number, len: number) => n.toString(8).padStart(len - 1, '0')
  put(name, 0, 100)
  put(oct(0o644, 8), 100, 8)
  put(oct(0, 8), 108, 8)
  put(oct(0, 8), 116, 8)
  put(oct(size, 12), 124, 12)
  put(oct(0, 12), 136, 12)
  h.fill(' ', 148, 156)
  put('0', 156, 1)
  put('ustar\u000000', 257, 8)
  let sum = 0
  for (const b of h) sum += b
  put(`${oct(sum, 7)}\u0000`, 148, 8)
  return h
}

/** A ustar archive of the entries (names over 100 bytes are cut, as a broken packer would). */
export function packTar(entries: Entry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    parts.push(header(e.name, e.data.length), e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

/** What goes wrong with an archive: in transit, on disk, or in whatever wrote it. */
export type Damage =
  | { kind: 'none' }
  | { kind: 'flip'; entry: number; at: number }
  | { kind: 'cut-entry'; entry: number; at: number }
  | { kind: 'drop'; entry: number }
  | { kind: 'rename'; entry: number; to: string }
  | { kind: 'index'; json: string }
  | { kind: 'size'; delta: number }
  | { kind: 'annotation'; key: string; value: string }
  | { kind: 'cut-archive'; at: number }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'append'; bytes: Uint8Array }

const JSON_SHAPES = fc.constantFrom(
  '{}',
  '[]',
  'null',
  '{"manifests":"x"}',
  '{"manifests":[{}]}',
  '{"manifests":[null]}',
  '{"manifests":[{"digest":"sha256:zz"}]}',
  '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:' +
    '0'.repeat(64) +
    '","size":2}]}',
  '{"manifests":[{"digest":"sha256:../../etc/passwd","size":1}]}',
  '{"manifests":[{"digest":"md5:abc","size":1}]}',
  '{"manifests":[{"digest":5}]}',
)

export const damage: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flip' as const), entry: fc.nat(), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cut-entry' as const), entry: fc.nat(), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), entry: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rename' as const),
      entry: fc.nat(),
      to: fc.constantFrom('../x', '/abs', 'blobs/sha256/x', 'index.json', '', 'a'.repeat(120)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('index' as const), json: fc.oneof(JSON_SHAPES, text) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('size' as const),
      delta: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(1 << 30, -(1 << 30))),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('annotation' as const),
      key: fc.constantFrom('io.containerd.image.name', 'org.opencontainers.image.ref.name'),
      value: fc.oneof(
        fc.constantFrom(
          5 as unknown as string,
          null as unknown as string,
          'fn-ok:v2',
          'UPPER:1',
          'a b',
          '',
          ':',
          'x:y:z',
          '../../x',
          'fn@sha256:00',
          'x'.repeat(300),
        ),
        text,
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut-archive' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 2048 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }) }),
  },
)

/** Changes every descriptor in index.json: its size by `delta`, or an annotation. */
function editIndex(entries: Entry[], edit: (d: Record<string, unknown>) => void): Entry[] {
  return entries.map((e) => {
    if (e.name !== 'index.json') return e
    const idx = JSON.parse(e.data.toString()) as { manifests?: Record<string, unknown>[] }
    for (const d of idx.manifests ?? []) edit(d)
    return { name: e.name, data: Buffer.from(JSON.stringify(idx)) }
  })
}

/** The archive's bytes after the damage. */
export function damaged(base: Entry[], d: Damage): Buffer {
  const i = (n: number) => n % base.length
  // the file an importer reads first: index.json, else docker save's manifest.json
  const top = base.some((e) => e.name === 'index.json') ? 'index.json' : 'manifest.json'
  switch (d.kind) {
    case 'none':
      return packTar(base)
    case 'flip':
      return packTar(
        base.map((e, k) =>
          k !== i(d.entry) || !e.data.length
            ? e
            : { name: e.name, data: Buffer.from(e.data.map((b, j) => (j === d.at % e.data.length ? b ^ 0xff : b))) },
        ),
      )
    case 'cut-entry':
      return packTar(
        base.map((e, k) => (k !== i(d.entry) ? e : { name: e.name, data: e.data.subarray(0, d.at % (e.data.length + 1)) })),
      )
    case 'drop':
      return packTar(base.filter((_e, k) => k !== i(d.entry)))
    case 'rename':
      return packTar(base.map((e, k) => (k !== i(d.entry) ? e : { name: d.to, data: e.data })))
    case 'index':
      return packTar(base.map((e) => (e.name === top ? { name: e.name, data: Buffer.from(d.json) } : e)))
    case 'size':
      return packTar(
        editIndex(base, (x) => {
          x.size = Number(x.size) + d.delta
        }),
      )
    case 'annotation':
      return packTar(
        editIndex(base, (x) => {
          x.annotations = { ...(x.annotations as object), [d.key]: d.value }
        }),
      )
    case 'cut-archive': {
      const t = packTar(base)
      return t.subarray(0, d.at % t.length)
    }
    case 'garbage':
      return Buffer.from(d.bytes)
    case 'append':
      return Buffer.concat([packTar(base), Buffer.from(d.bytes)])
  }
}
