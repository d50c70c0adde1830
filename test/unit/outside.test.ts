// Images read from outside, resolved and pinned as BuildKit reads them: a
// pin never replaces a build stage, `# syntax=` only in the leading parser
// directives (a BUILDKIT_SYNTAX build arg wins), docker-image:// contexts
// pinned under their own name, Docker Hub credentials asked as docker asks
// them, and the kept `bake --print` only for HCL and JSON bake files.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { dockerfileRefs } from '../../scripts/skip/dockerfile.ts'
import { gatherTarget } from '../../scripts/skip/gather.ts'
import { outsideOf } from '../../scripts/skip/outside.ts'
import { credHost } from '../../scripts/skip/resolve.ts'
import { credentialsFor } from '../../scripts/oci/auth.ts'
import { applyPins } from '../../scripts/bake/pins.ts'
import { declaredVariables } from '../../scripts/bake/vars.ts'
import { bakeInputs } from '../../scripts/bake/inspect.ts'
import { QueryCache } from '../../scripts/docker/queries.ts'
import type { Runner } from '../../scripts/docker/runner.ts'
import type { BakeFile, BakeTarget } from '../../scripts/docker/bakefile.ts'
import type { Gathered } from '../../scripts/skip/keys.ts'
import { settings, tempDir, tempProject, removeTemp } from '../lib/settings.ts'

const D1 = 'sha256:' + '1'.repeat(64)
const D2 = 'sha256:' + '2'.repeat(64)

/** Gathers one target whose Dockerfile is `df` (and whose bake definition is `def`). */
function gather(df: string, def: BakeTarget = {}): Gathered {
  const d = tempDir()
  try {
    fs.writeFileSync(path.join(d, 'Dockerfile'), df)
    return gatherTarget(d, { context: '.', ...def }, { files: {} } as never)
  } finally {
    removeTemp(d)
  }
}

const pinsOf = (g: Gathered, digests: Record<string, string>) =>
  outsideOf(settings(), { t: g }, { digests, why: {}, outside: {}, notes: [] }, {}).pins.t

test('a pin never replaces a build stage: FROM golang AS golang keeps its RUN', () => {
  const g = gather('FROM golang:1.22 AS build\nFROM golang AS Golang\nRUN go build\nFROM scratch\nCOPY --from=golang /x /x\n')
  assert.equal(g.stages, ['build', 'golang'])
  assert.equal(g.images, ['golang', 'golang:1.22'])
  const p = pinsOf(g, { golang: D1, 'golang:1.22': D2 })
  assert.equal(p.contexts, { 'golang:1.22': `docker-image://golang:1.22@${D2}` }, 'golang is a stage: keyed, not pinned')
})

test('# syntax= only in the leading parser directives; a BUILDKIT_SYNTAX build arg wins and is pinned', () => {
  assert.is(dockerfileRefs('# syntax=a/b:1\nFROM x\n', {}, []).syntax, 'a/b:1')
  assert.is(dockerfileRefs('#!/usr/bin/env x\n# escape=`\n#  SYNTAX = a/b:1 \nFROM x\n', {}, []).syntax, 'a/b:1')
  assert.is(dockerfileRefs('# hello\n# syntax=a/b:1\nFROM x\n', {}, []).syntax, null, 'after a comment')
  assert.is(dockerfileRefs('\n# syntax=a/b:1\nFROM x\n', {}, []).syntax, null, 'after a blank line')
  assert.is(dockerfileRefs('FROM x\n# syntax=a/b:1\n', {}, []).syntax, null, 'after an instruction')
  assert.is(dockerfileRefs(' # syntax=a/b:1\nFROM x\n', {}, []).syntax, null, 'indented')
  const g = gather('# syntax=docker/dockerfile:1.7\nFROM scratch\n', { args: { BUILDKIT_SYNTAX: 'my/frontend:2' } })
  assert.is(g.syntax, 'my/frontend:2')
  const p = pinsOf(g, { 'my/frontend:2': D1, 'docker/dockerfile:1.7': D2 })
  assert.is(p.syntax, `my/frontend:2@${D1}`)
  const bake: BakeFile = { target: { t: { args: { BUILDKIT_SYNTAX: 'my/frontend:2' } } } }
  applyPins(bake, ['t'], { t: p })
  assert.is(bake.target.t.args?.BUILDKIT_SYNTAX, `my/frontend:2@${D1}`)
})

test('a docker-image:// context is pinned under its own name, not the image', () => {
  const g = gather('FROM base\n', { contexts: { base: 'docker-image://python:3.12' } })
  assert.equal(g.images, ['python:3.12'], 'keys unchanged')
  assert.equal(g.imageContexts, { base: 'python:3.12' })
  assert.equal(pinsOf(g, { 'python:3.12': D1 }).contexts, { base: `docker-image://python:3.12@${D1}` })
})

test('Docker Hub: a credential helper is asked for https://index.docker.io/v1/; auths keys match with or without scheme', () => {
  const d = tempDir('esb-hub-')
  fs.writeFileSync(
    path.join(d, 'docker-credential-esbhub'),
    '#!/bin/sh\nread host\nif [ "$host" = https://index.docker.io/v1/ ]; then echo \'{"Username":"hub","Secret":"s"}\'; else echo "credentials not found"; exit 1; fi\n',
    { mode: 0o755 },
  )
  const oldPath = process.env.PATH
  process.env.PATH = `${d}:${oldPath}`
  try {
    assert.is(credHost('docker.io'), 'https://index.docker.io/v1/')
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ credsStore: 'esbhub' }))
    assert.equal(credentialsFor(d, credHost('docker.io')), { username: 'hub', password: 's' })
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ credHelpers: { 'index.docker.io': 'esbhub' } }))
    assert.equal(credentialsFor(d, credHost('docker.io')), { username: 'hub', password: 's' })
    const auth = Buffer.from('u:p').toString('base64')
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth } } }))
    assert.equal(credentialsFor(d, credHost('docker.io')), { username: 'u', password: 'p' })
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ auths: { 'index.docker.io': { auth } } }))
    assert.equal(credentialsFor(d, credHost('docker.io')), { username: 'u', password: 'p' })
  } finally {
    process.env.PATH = oldPath
    removeTemp(d)
  }
})

test('bake variables: an unquoted HCL label is declared too', () => {
  const d = tempDir()
  fs.writeFileSync(path.join(d, 'a.hcl'), 'variable VERSION {\n}\nvariable "TAG" {}\n')
  assert.equal(declaredVariables([path.join(d, 'a.hcl')]), ['TAG', 'VERSION'])
  removeTemp(d)
})

test('the kept bake --print is used for HCL bake files, never for a compose-format one', async () => {
  for (const [file, asks] of [
    ['docker-bake.hcl', 1],
    ['docker-bake.yml', 2],
  ] as const) {
    const p = tempProject(`[templates]\nrender = false\n[bake]\nfiles = ["${file}"]\n`)
    fs.writeFileSync(path.join(p.dir, file), file.endsWith('.hcl') ? 'target "a" {}\n' : 'services: {}\n')
    let n = 0
    const runner = {
      configDir: p.dir,
      run: async () => (n++, { code: 0, stdout: '{"target":{"a":{}}}', stderr: '' }),
    } as unknown as Runner
    const cacheFile = path.join(p.dir, 'q.json')
    const r = { rendered: [], states: new Map(), writes: [], refused: [] }
    const first = new QueryCache(cacheFile)
    await bakeInputs(p.settings, runner, r, ['default'], first)
    fs.writeFileSync(cacheFile, first.content() ?? '{}')
    await bakeInputs(p.settings, runner, r, ['default'], new QueryCache(cacheFile))
    assert.is(n, asks, file)
    p.remove()
  }
})

test.run()
