// `prune` as a plan (scripts/prune/). Pure.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { prunePlan } from '../../scripts/prune/plan.ts'
import { planToText } from '../../scripts/plan/show.ts'
import { staleKeyTags } from '../../scripts/prune/keytags.ts'
import { sharedPrune, type SharedRepo } from '../../scripts/prune/shared.ts'
import { settings } from '../lib/settings.ts'
import { docker } from './fixtures.ts'
import type { Step } from '../../scripts/plan/types.ts'

test('prune: local, builder, and a registry garbage collection that stops and restarts it', () => {
  const p = prunePlan(settings(), { local: true, builder: true, registry: true })
  assert.equal(
    p.steps.map((x) => x.kind),
    ['prune-local', 'docker', 'write', 'docker', 'drop-key-tags', 'docker', 'docker'],
  )
  const d = docker(p)
  assert.equal(d[0].argv, ['buildx', 'prune', '--builder', 'esb-buildx', '--force', '--keep-storage', '20GB'])
  assert.equal(d[1].argv.slice(-2), ['stop', 'registry'])
  assert.equal(d[2].argv, [
    'run',
    '--rm',
    '-v',
    'esb-registry-data:/var/lib/registry',
    '--entrypoint',
    '/bin/registry',
    'registry:2',
    'garbage-collect',
    '--delete-untagged',
    '/etc/docker/registry/config.yml',
  ])
  assert.equal(d[3].argv.slice(-4), ['up', '-d', '--wait', 'registry'])
  const drop = p.steps.find((x) => x.kind === 'drop-key-tags') as any
  assert.is(drop.keep, 3, '[registry] keep defaults to 3')
  assert.equal(drop.list.slice(0, 8), [
    'run',
    '--rm',
    '--network',
    'none',
    '-v',
    'esb-registry-data:/var/lib/registry',
    '--entrypoint',
    '/bin/sh',
  ])
  assert.is(
    prunePlan(settings({ toml: { file: '/p/esb.toml', text: '', data: { registry: { keep: 1 } } } }), {
      local: false,
      builder: false,
      registry: true,
    }).steps.find((x) => x.kind === 'drop-key-tags')?.['keep' as never],
    1,
  )
  assert.equal(
    prunePlan(settings(), { local: true, builder: false, registry: false }).steps.map((x) => x.kind),
    ['prune-local'],
  )
})

test('prune --registry --dry-run: the keys beyond keep and what the garbage collection frees with them', () => {
  const p = prunePlan(settings(), { local: false, builder: false, registry: true, beyond: { count: 19, bytes: 3 * 1048576 } })
  const st = p.steps.find((x) => x.kind === 'drop-key-tags') as Extract<Step, { kind: 'drop-key-tags' }>
  assert.equal(st.beyond, { count: 19, bytes: 3 * 1048576 })
  assert.match(
    planToText(p, 'docker', [], false),
    /now 19 key\(s\) beyond keep; the garbage collection frees up to 3\.0 MiB of images only they name/,
  )
})

test('key tags to untag: all but the newest `keep` per image, only k- and 16 hex, never outside the repositories', () => {
  const k = (c: string) => `k-${c.repeat(16)}`
  const line = (t: number, repo: string, tag: string) => `${t} ./${repo}/_manifests/tags/${tag}/current/link`
  const listing = [
    line(100, 'esb-fn-hello', k('a')),
    line(300, 'esb-fn-hello', k('b')),
    line(200, 'esb-fn-hello', k('c')),
    line(50, 'esb-fn-hello', 'latest'),
    line(10, 'esb-cache/fn-hello', k('d')),
    line(10, 'esb-os-base', k('e')),
    line(5, 'esb-os-base', 'k-short'),
    line(1, '../etc', k('f')),
    'garbage',
  ].join('\n')
  const root = '/var/lib/registry/docker/registry/v2/repositories'
  assert.equal(staleKeyTags(listing, 2), [`${root}/esb-fn-hello/_manifests/tags/${k('a')}`])
  assert.equal(staleKeyTags(listing, 1), [
    `${root}/esb-fn-hello/_manifests/tags/${k('c')}`,
    `${root}/esb-fn-hello/_manifests/tags/${k('a')}`,
  ])
  assert.equal(staleKeyTags('', 1), [])
  // time tags go with their key; a kept key keeps its newest one only
  const timed = [
    line(100, 'esb-fn-hello', k('a')),
    line(100, 'esb-fn-hello', `${k('a')}-t100`),
    line(300, 'esb-fn-hello', k('b')),
    line(250, 'esb-fn-hello', `${k('b')}-t250`),
    line(300, 'esb-fn-hello', `${k('b')}-t300`),
  ].join('\n')
  // a time tag without its key tag: dropped, and takes no place among the kept
  assert.equal(staleKeyTags([line(900, 'esb-fn-hello', `${k('c')}-t900`), line(100, 'esb-fn-hello', k('a'))].join('\n'), 1), [
    `${root}/esb-fn-hello/_manifests/tags/${k('c')}-t900`,
  ])
  assert.equal(staleKeyTags(timed, 1), [
    `${root}/esb-fn-hello/_manifests/tags/${k('b')}-t250`,
    `${root}/esb-fn-hello/_manifests/tags/${k('a')}`,
    `${root}/esb-fn-hello/_manifests/tags/${k('a')}-t100`,
  ])
})

const T = (day: number) => Date.parse(`2026-12-0${day}T10:00:00Z`) / 1000
const k = (n: number) => `k-${String(n).repeat(16)}`
/** A key's tag and time tag on one image. */
const published = (n: number, day: number, digest: string) => ({ [k(n)]: digest, [`${k(n)}-t${T(day)}`]: digest })

test('--shared: keys beyond the newest `keep` per repository go with the images only their tags name', () => {
  const repo: SharedRepo = {
    repo: 'esb-fn-a',
    tags: {
      ...published(1, 1, 'sha256:m1'),
      ...published(2, 2, 'sha256:m2'),
      // what `latest` names stays, with its key's tags
      ...published(3, 3, 'sha256:m3'),
      latest: 'sha256:m3',
      ...published(4, 5, 'sha256:m4'),
      // a reproducible rebuild under another key: the same image as k(4), which is kept
      ...published(5, 4, 'sha256:m4'),
      ...published(6, 6, 'sha256:m6'),
      // written before time tags: no time (the oldest)
      [k(7)]: 'sha256:m7',
      // an earlier build of a kept key, named by its time tag only
      [`${k(6)}-t${T(1)}`]: 'sha256:m0',
    },
  }
  const p = sharedPrune([repo], 2)
  assert.is(p.stale, 5)
  assert.equal(
    p.deletions.map((d) => [d.digest, d.note]),
    [
      ['sha256:m0', `older image of ${k(6)}-t${T(1)}`],
      ['sha256:m1', `${k(1)} (published 2026-12-01T10:00:00Z)`],
      ['sha256:m2', `${k(2)} (published 2026-12-02T10:00:00Z)`],
      ['sha256:m7', `${k(7)} (no publish time)`],
    ],
  )
  assert.ok(p.deletions.every((d) => d.repo === 'esb-fn-a'))
  // keep covers them all: only the older build of a kept key
  assert.equal(
    sharedPrune([repo], 7).deletions.map((d) => d.digest),
    ['sha256:m0'],
  )
  // a time tag whose key tag is gone names no key: it takes no place among the kept, its image goes
  const orphan: SharedRepo = { repo: 'esb-fn-o', tags: { [`${k(1)}-t${T(5)}`]: 'sha256:d1', ...published(2, 1, 'sha256:d2') } }
  assert.equal(
    sharedPrune([orphan], 1).deletions.map((d) => d.digest),
    ['sha256:d1'],
  )
  assert.is(sharedPrune([orphan], 1).stale, 0)
  // a tag that is not docker esb's keeps its image
  assert.equal(sharedPrune([{ repo: 'esb-os-base', tags: { [k(1)]: 'sha256:b', 'k-short': 'sha256:b' } }], 0).deletions, [])
})

test('--shared: what it frees is the blobs only the deleted manifests name (not a kept image, another repository, or a cache)', () => {
  const repos: SharedRepo[] = [
    { repo: 'esb-fn-a', tags: { ...published(1, 1, 'sha256:m1'), latest: 'sha256:m2' } },
    { repo: 'esb-fn-b', tags: { latest: 'sha256:n1' } },
  ]
  const blobs = {
    'esb-fn-a@sha256:m1': { 'sha256:m1': 500, 'sha256:own': 1000, 'sha256:base': 7000, 'sha256:other': 20, 'sha256:cached': 40 },
    'esb-fn-a@sha256:m2': { 'sha256:m2': 500, 'sha256:base': 7000 },
    'esb-fn-b@sha256:n1': { 'sha256:n1': 500, 'sha256:other': 20 },
    'esb-cache/fn-a@sha256:c': { 'sha256:c': 100, 'sha256:cached': 40 },
  }
  const p = sharedPrune(repos, 0, blobs, ['esb-cache/fn-a@sha256:c'])
  assert.equal(
    p.deletions.map((d) => d.digest),
    ['sha256:m1'],
  )
  assert.is(p.bytes, 500 + 1000)
})

test('prune --shared: one step with the deletions and the bytes', () => {
  const registry = {
    address: 'reg.example:5443',
    base: 'https://reg.example:5443',
    caFile: null,
    where: null,
    caWhere: null,
    configDir: '/cfg',
  }
  const state = (n: number) => ({
    repos: [
      { repo: 'esb-fn-a', tags: Object.assign({}, ...[1, 2, 3, 4].slice(0, n).map((i) => published(i, i, `sha256:m${i}`))) },
    ],
    blobs: { 'esb-fn-a@sha256:m1': { 'sha256:l': 2097152 } },
    caches: [],
  })
  const plan = (n: number) =>
    prunePlan(settings(), { local: false, builder: false, registry: false, shared: { registry, state: state(n) } })
  assert.equal(
    plan(3).steps.map((x) => x.kind),
    ['delete-manifests'],
  )
  const st = plan(3).steps[0] as Extract<Step, { kind: 'delete-manifests' }>
  assert.is(st.keep, 3)
  assert.equal(st.deletions, [])
  const four = plan(4).steps[0] as typeof st
  assert.equal(
    four.deletions.map((d) => d.digest),
    ['sha256:m1'],
  )
  assert.is(four.bytes, 2097152)
})

test.run()
