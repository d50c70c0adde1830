import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

process.env.DOCKER_ESB_LOCK_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-locks-'))
const { withMutex, withShared, lockRoot } = await import('../../scripts/lock/lock.ts')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('a mutex has one holder at a time', async () => {
  let inside = 0,
    max = 0
  await Promise.all(
    [1, 2, 3].map(() =>
      withMutex('m', async () => {
        inside++
        max = Math.max(max, inside)
        await sleep(30)
        inside--
      }),
    ),
  )
  assert.is(max, 1)
})

test('shared holders overlap; a mutex waits for them', async () => {
  const events: string[] = []
  let inside = 0,
    max = 0
  const reader = (n: number) =>
    withShared('b', async () => {
      inside++
      max = Math.max(max, inside)
      events.push(`r${n}+`)
      await sleep(800)
      events.push(`r${n}-`)
      inside--
    })
  const r = [reader(1), reader(2)]
  await sleep(500) // both registered (each waits at most ~200 ms for the registration mutex)
  await withMutex('b', async () => {
    events.push('w')
  })
  await Promise.all(r)
  assert.is(max, 2)
  assert.ok(events.indexOf('w') > events.indexOf('r1-') && events.indexOf('w') > events.indexOf('r2-'), events.join(' '))
})

test('a lock left by a dead process is taken over', async () => {
  const dir = path.join(lockRoot(), 'dead', 'mutex')
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'pid'), '999999')
  let ran = false
  await withMutex(
    'dead',
    async () => {
      ran = true
    },
    { timeoutMs: 2000 },
  )
  assert.ok(ran)
})

test('locks leave no folders behind once released, even under contention', async () => {
  const names = ['tidy-a', 'tidy-b']
  await Promise.all(
    [1, 2, 3, 4, 5, 6].map((i) =>
      (i % 2 ? withMutex : withShared)(names[i % 2 === 0 ? 0 : 1], async () => {
        await sleep(20)
      }),
    ),
  )
  await Promise.all(
    [1, 2, 3].map(() =>
      withShared('tidy-a', async () => {
        await sleep(10)
      }),
    ),
  )
  await withMutex('tidy-a', async () => {})
  for (const n of names) assert.not.ok(fs.existsSync(path.join(lockRoot(), n)), `${n} removed`)
})

test.run()
