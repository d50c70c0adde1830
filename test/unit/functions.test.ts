// Function targets (scripts/functions/): names from Dockerfile paths, and
// two sources giving one target name; artifact manifests parsed once. Pure
// but for the last, which reads a copy of examples/adopt.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildPlan } from '../../scripts/bake/plan.ts'
import { functionsFrom } from '../../scripts/functions/discover.ts'
import { simpleGlob } from '../../scripts/functions/glob.ts'
import { globbySync } from 'globby'
import { UsageError } from '../../scripts/errors.ts'
import fs from 'node:fs'
import path from 'node:path'
import { artifactManifests, artifactTargets } from '../../scripts/functions/artifact.ts'
import { projectSettings, removeTemp, settings, tempDir } from '../lib/settings.ts'
import { print } from './fixtures.ts'

test('function names from Dockerfile paths', () => {
  assert.equal(
    functionsFrom(['functions/Hello_World/Dockerfile']).map((f) => f.name),
    ['hello-world'],
  )
})

test('two function folders giving one target name are an error naming both', () => {
  const clash = (e: unknown) =>
    e instanceof UsageError &&
    /^functions\/Hello\/Dockerfile and functions\/hello\/Dockerfile both become target fn-hello .*; rename one of the folders$/.test(
      (e as Error).message,
    )
  assert.throws(() => functionsFrom(['functions/Hello/Dockerfile', 'functions/hello/Dockerfile']), clash)
  assert.throws(
    () =>
      buildPlan({
        settings: settings(),
        renderWrites: [],
        builder: { procEnv: {}, buildkitdConfig: null },
        bakePrint: print,
        functionDockerfiles: ['functions/Hello/Dockerfile', 'functions/hello/Dockerfile'],
        runId: 'R',
        extraArgs: [],
      }),
    clash,
  )
  assert.throws(
    () => functionsFrom(['fns/a_b/Dockerfile', 'fns/a-b/Dockerfile']),
    (e: unknown) => e instanceof UsageError && /fn-a-b/.test((e as Error).message),
  )
  assert.equal(
    functionsFrom(['functions/b/Dockerfile', 'functions/a/Dockerfile']).map((f) => f.name),
    ['a', 'b'],
  )
})

test('a function folder and an artifact entry of one name: one error naming both', () => {
  const art = {
    target: 'fn-hello',
    context: '/p/.esb/artifacts/a',
    dockerfile: 'functions/hello/Dockerfile',
    tag: '127.0.0.1:5010/hello:latest',
    contexts: {},
    source: '/p/.esb/artifacts/a/functions.yml (hello)',
  }
  assert.throws(
    () =>
      buildPlan({
        settings: settings(),
        renderWrites: [],
        builder: { procEnv: {}, buildkitdConfig: null },
        bakePrint: print,
        functionDockerfiles: ['functions/hello/Dockerfile'],
        artifactFunctions: [art],
        runId: 'R1',
        extraArgs: [],
      }),
    (e: unknown) =>
      e instanceof UsageError &&
      /^functions\/hello\/Dockerfile and \/p\/\.esb\/artifacts\/a\/functions\.yml \(hello\) both become target fn-hello; rename one/.test(
        (e as Error).message,
      ),
  )
})

test('artifact manifests: a kept parse of the same text gives the same targets; a text JSON cannot hold is never kept', () => {
  const dir = tempDir()
  fs.cpSync(path.join(import.meta.dirname, '..', '..', 'examples', 'adopt'), dir, { recursive: true })
  const s = projectSettings(dir, 'brand = "acme"\n[functions]\nartifact = "artifacts/e2e-*/artifact.yml"\n')
  const kept = new Map<string, string>()
  const memo = {
    get: (k: unknown[]) => kept.get(JSON.stringify(k)) ?? null,
    set: (k: unknown[], v: string) => void kept.set(JSON.stringify(k), v),
  }
  const fresh = artifactTargets(s, artifactManifests(s))
  assert.equal(artifactTargets(s, artifactManifests(s), [], memo), fresh)
  // two artifact.yml and two functions.yml, each kept once by its text's hash
  assert.is(kept.size, 4)
  assert.equal(artifactTargets(s, artifactManifests(s), [], memo), fresh, 'from the kept parses')
  // an edit is a new text: parsed again
  const fy = path.join(fresh[0].context, 'config', 'functions.yml')
  fs.appendFileSync(fy, '# edited\n')
  artifactTargets(s, artifactManifests(s), [], memo)
  assert.is(kept.size, 5)
  // .inf is not JSON: never kept
  fs.appendFileSync(fy, 'extra: .inf\n')
  artifactTargets(s, artifactManifests(s), [], memo)
  assert.is(kept.size, 5)
  removeTemp(dir)
})

test('simple globs read only the folders they name and find what the glob library finds (random trees and patterns)', () => {
  let seed = 7
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n)
  const names = ['a', 'b', '.h', 'ab', 'a.yml', 'Dockerfile', 'e2e-x', 'e2e-y']
  for (let round = 0; round < 60; round++) {
    const dir = tempDir()
    // a random tree three deep, files and folders, a symlinked folder and a dangling link
    const make = (rel: string, depth: number) => {
      for (const n of names)
        if (rnd(3) === 0) {
          const p = path.join(dir, rel, n)
          if (depth < 2 && rnd(2) === 0) {
            fs.mkdirSync(p)
            make(path.join(rel, n), depth + 1)
          } else fs.writeFileSync(p, 'x')
        }
    }
    make('', 0)
    fs.symlinkSync(dir, path.join(dir, 'loop'))
    fs.symlinkSync(path.join(dir, 'missing'), path.join(dir, 'dangling'))
    const parts = ['*', 'a', '.h', 'a*', '*.yml', 'e2e-*', '?b', 'Dockerfile', 'loop', 'dangling', '.*']
    for (let k = 0; k < 40; k++) {
      const glob = Array.from({ length: 1 + rnd(3) }, () => parts[rnd(parts.length)]).join('/')
      for (const dot of [false, true]) {
        const mine = simpleGlob(dir, glob, { dot })
        const theirs = globbySync(glob, { cwd: dir, onlyFiles: true, dot, expandDirectories: false, suppressErrors: true })
        if (mine === null) assert.ok(glob.includes('?') || (!dot && glob.split('/').some((s) => s.startsWith('.'))), glob)
        else assert.equal([...mine].sort(), theirs.sort(), `${glob} dot=${dot}`)
      }
    }
    removeTemp(dir)
  }
  // anything else is left to the glob library
  for (const g of ['**/Dockerfile', 'a?/x', '{a,b}/x', 'a/[ab]', '!a', '../x', '/abs/*', 'a\\*', 'a/'])
    assert.is(simpleGlob('/', g, { dot: false }), null, g)
})

test.run()
