// `docker esb import` of damaged archives (the project's own export, a
// docker save tar; as a tar or an OCI layout folder) into a real registry:
// one line naming the archive or the flag, and no tag gained or moved.
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { BUNDLE, run, startRegistry, tmpdir } from '../lib/helpers.ts'
import { makeDockerSave, makeLayout } from '../lib/oci-fixtures.ts'
import { drop, fuzz, runCase, space, writeFiles, type Space } from './lib.ts'
import { damage, damaged, readTar, type Damage, type Entry } from './oci.ts'

let reg: Awaited<ReturnType<typeof startRegistry>>
const base: Record<'export' | 'save', Entry[]> = { export: [], save: [] }
const toml = () => `brand = "acme"\n[registry]\nport = ${reg.port}\n`

test.before(async () => {
  reg = await startRegistry()
  // the valid archives: what `docker esb export` writes (one image, one index of two platforms), and a docker save
  const dir = tmpdir('esb-fuzz-base-')
  fs.writeFileSync(path.join(dir, 'esb.toml'), toml())
  makeLayout(path.join(dir, 'one'), { name: 'fn-one', tag: 'v1', layers: [300, 900] })
  makeLayout(path.join(dir, 'multi'), { name: 'fn-multi', tag: 'v1', layers: [500], platforms: ['amd64', 'arm64'] })
  for (const l of ['one', 'multi'])
    assert.is(run(BUNDLE, ['import', path.join(dir, l), '-C', dir], { cwd: dir, env: { PORT_REGISTRY: undefined } }).code, 0)
  const ex = run(BUNDLE, ['export', 'fn-one:v1', 'fn-multi:v1', '-o', path.join(dir, 'x.tar'), '-C', dir], {
    cwd: dir,
    env: { PORT_REGISTRY: undefined },
  })
  assert.is(ex.code, 0, ex.stderr)
  base.export = await readTar(path.join(dir, 'x.tar'))
  await makeDockerSave(path.join(dir, 'save.tar'), 'team/fn-saved:1.0')
  base.save = await readTar(path.join(dir, 'save.tar'))
  fs.rmSync(dir, { recursive: true, force: true })
})
test.after(async () => {
  await reg.stop()
})

/** Every tag in the registry with the digest it points at. */
async function tags(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const cat = (await (await fetch(`${reg.url}/v2/_catalog?n=1000`)).json()) as { repositories?: string[] }
  for (const repo of cat.repositories ?? []) {
    const t = (await (await fetch(`${reg.url}/v2/${repo}/tags/list`)).json()) as { tags?: string[] | null }
    for (const tag of t.tags ?? []) {
      const r = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
        method: 'HEAD',
        headers: {
          Accept:
            'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
        },
      })
      out[`${repo}:${tag}`] = r.headers.get('docker-content-digest') ?? `status ${r.status}`
    }
  }
  return out
}

/** The archive as a tar, or unpacked as a layout folder (entries that would land outside it are left out). */
function place(s: Space, bytes: Buffer, entries: Entry[] | null): string {
  if (!entries) {
    writeFiles(s, { 'in.tar': bytes })
    return path.join(s.proj, 'in.tar')
  }
  const dir = path.join(s.proj, 'layout')
  fs.mkdirSync(dir)
  for (const e of entries) {
    if (!e.name || e.name.split('/').includes('..') || path.isAbsolute(e.name)) continue
    try {
      fs.mkdirSync(path.dirname(path.join(dir, e.name)), { recursive: true })
      fs.writeFileSync(path.join(dir, e.name), e.data)
    } catch {
      /* a name clash: left out */
    }
  }
  return dir
}

const FLAG = fc.option(fc.constantFrom('fn-x', 'Bad Name', 'a/b', 'UPPER', '-', 'x'.repeat(300), 'fn:x', 'ok.tag_1'))
const WHOLE = new Set<Damage['kind']>(['cut-archive', 'garbage', 'append'])

fuzz(
  'import of a damaged archive: exit 0, 1 or 2, one line naming the archive or flag, no tag gained or moved on error',
  fc.tuple(fc.constantFrom('export' as const, 'save' as const), damage, fc.boolean(), FLAG, FLAG),
  async ([kind, d, asDir, name, tag]) => {
    const s = space()
    try {
      writeFiles(s, { 'esb.toml': toml() })
      const bytes = damaged(base[kind], d)
      // a folder holds what the damaged tar holds; damage to the tar as a whole only exists as a tar
      let entries: Entry[] | null = null
      if (asDir && !WHOLE.has(d.kind)) {
        fs.writeFileSync(path.join(s.root, 'damaged.tar'), bytes)
        entries = await readTar(path.join(s.root, 'damaged.tar')).catch(() => null)
      }
      const src = place(s, bytes, entries)
      const flags = [...(name === null ? [] : [`--name=${name}`]), ...(tag === null ? [] : [`--tag=${tag}`])]
      const before = await tags()
      const r = runCase(
        s,
        ['import', src, ...flags, '-C', s.proj],
        {},
        { codes: [0, 1, 2], names: [src, '--name', '--tag'], readOnly: true },
      )
      const after = await tags()
      if (r.code !== 0) assert.equal(after, before, 'a failed import leaves every tag as it was')
    } finally {
      drop(s)
    }
  },
  [
    // found by this property: an archive of two images whose second fails left the first one tagged
    ['export', { kind: 'drop', entry: 3050330 }, true, null, 'fn-x'],
    // found: a docker save layer failing its digest before the upload began crashed with an unhandled 'error'
    ['save', { kind: 'flip', entry: 1, at: 20 }, false, 'a/b', 'ok.tag_1'],
    // found: index.json whose manifests is not a list (or holds a non-object) was an internal error
    ['export', { kind: 'index', json: '{"manifests":"x"}' }, false, null, null],
    ['export', { kind: 'index', json: '{"manifests":[null]}' }, true, null, null],
    ['export', { kind: 'annotation', key: 'io.containerd.image.name', value: 5 as unknown as string }, false, null, null],
    // found by a 300-run seed: a name annotation with a newline was an internal error (TypeError)
    ['export', { kind: 'annotation', key: 'io.containerd.image.name', value: 'x\ny' }, false, null, null],
  ],
)

test.run()
