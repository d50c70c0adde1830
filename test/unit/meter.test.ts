import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Meter, meterLine } from '../../scripts/report/meter.ts'

test('a line: MB done of total and the rate', () => {
  assert.is(meterLine('export', 50 * 1048576, 200 * 1048576, 2000), 'export: 50.0/200.0 MB (25.0 MB/s)')
  assert.is(meterLine('import', 0, 0, 0), 'import: 0.0/0.0 MB (0.0 MB/s)')
})

test('on a terminal: redrawn in place at most every 200 ms, the last state on its own line', () => {
  let t = 0
  const out: string[] = []
  const m = new Meter(
    'export',
    4 * 1048576,
    (s) => out.push(s),
    true,
    () => t,
  )
  t = 250
  m.add(1048576)
  t = 300
  m.add(1048576) // too soon: not drawn
  t = 500
  m.add(1048576)
  m.finish()
  assert.equal(out, [
    '\r\x1b[Kexport: 1.0/4.0 MB (4.0 MB/s)',
    '\r\x1b[Kexport: 3.0/4.0 MB (6.0 MB/s)',
    '\r\x1b[Kexport: 3.0/4.0 MB (6.0 MB/s)\n',
  ])
})

test('not a terminal (CI): silent', () => {
  const out: string[] = []
  const m = new Meter(
    'export',
    10,
    (s) => out.push(s),
    false,
    () => 1000,
  )
  m.add(5)
  m.finish()
  assert.equal(out, [])
})

test.run()
