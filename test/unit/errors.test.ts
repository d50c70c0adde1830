// Every error class maps to its exit code and one line; Node file-system
// errors the user can fix become one line naming the path; others are bugs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  BrandError,
  CancelledError,
  DockerError,
  EsbError,
  FileError,
  LockTimeoutError,
  UsageError,
  toEsbError,
} from '../../scripts/errors.ts'

const oneLine = (e: EsbError) => assert.not.match(e.message, /\n/)

test('each error class carries its exit code', () => {
  const cases: [EsbError, number][] = [
    [new EsbError('x'), 1],
    [new UsageError('x'), 2],
    [new BrandError('x'), 2],
    [new DockerError(['buildx', 'bake', '-f', 'x'], 17, 'boom'), 17],
    [new DockerError(['ps'], 0), 1],
    [new CancelledError('SIGINT'), 130],
    [new CancelledError('SIGTERM'), 143],
    [new LockTimeoutError('the builder lock', '/tmp/l', 5), 1],
    [new FileError('ENOENT', '/nope/x.tar'), 1],
  ]
  for (const [e, code] of cases) {
    assert.is(e.exitCode, code, e.name)
    oneLine(e)
    assert.is(toEsbError(e), e)
  }
})

test('DockerError names the command, its code and the detail', () => {
  assert.is(
    new DockerError(['buildx', 'bake', '--builder', 'b'], 1, 'no such target').message,
    "'docker buildx bake --builder ...' failed with exit code 1: no such target",
  )
})

for (const code of ['ENOENT', 'EACCES', 'EROFS', 'EISDIR', 'ENOSPC', 'ENAMETOOLONG', 'ENOTDIR', 'EPERM']) {
  test(`a Node ${code} with a path becomes a one-line FileError naming the path`, () => {
    const e = Object.assign(new Error(`${code}: something, open '/x/y'`), { code, path: '/x/y', syscall: 'open' })
    const m = toEsbError(e)
    assert.ok(m instanceof FileError)
    assert.is(m!.exitCode, 1)
    assert.match(m!.message, /^\/x\/y: /)
    assert.not.match(m!.message, new RegExp(code))
    oneLine(m!)
  })
}

test('anything else is not mapped (a bug: internal error)', () => {
  assert.is(toEsbError(new TypeError('x is undefined')), null)
  assert.is(toEsbError(Object.assign(new Error('weird'), { code: 'ERR_SOMETHING', path: '/x' })), null)
  assert.is(toEsbError('a string'), null)
  assert.is(toEsbError(Object.assign(new Error('no path'), { code: 'ENOENT' })), null)
})

test.run()
