// Function targets (scripts/functions/): names from Dockerfile paths, and
// two sources giving one target name. Pure.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { buildPlan } from '../../scripts/bake/plan.ts'
import { functionsFrom } from '../../scripts/functions/discover.ts'
import { UsageError } from '../../scripts/errors.ts'
import { settings } from '../lib/settings.ts'
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

test.run()
