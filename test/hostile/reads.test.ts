// esb.toml names files docker esb (or bake, compose) reads: they must be the
// repo's own. A file outside the project named there is one line naming
// esb.toml, exit 2, nothing run; the user gives such a file on the command line.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { esbLines, sandbox } from './lib.ts'

for (const [what, toml] of [
  ['env_files', 'env_files = ["../outside/user.env"]\n'],
  ['[bake] files', '[bake]\nfiles = ["../outside/evil.hcl"]\n'],
  ['[compose] files', '[compose]\nfiles = ["../outside/{mode}.yml"]\n'],
] as const) {
  test(`${what} outside the project: one line naming esb.toml, exit 2, nothing read or run`, async () => {
    const sb = await sandbox()
    try {
      fs.writeFileSync(path.join(sb.outside, 'user.env'), 'SECRET_TOKEN=from-outside\n')
      fs.writeFileSync(path.join(sb.outside, 'evil.hcl'), 'target "x" {}\n')
      fs.writeFileSync(path.join(sb.outside, 'docker.yml'), 'services: {}\n')
      // top-level keys before the file's first table
      const cfg = path.join(sb.project, 'esb.toml')
      fs.writeFileSync(cfg, what === 'env_files' ? toml + fs.readFileSync(cfg, 'utf8') : fs.readFileSync(cfg, 'utf8') + toml)
      const r = sb.esb(['build', '--dry-run'])
      assert.is(r.code, 2, r.stderr)
      const lines = esbLines(r)
      assert.is(lines.length, 1, r.stderr)
      assert.match(lines[0], /esb\.toml: .*outside the project/)
      assert.equal(
        sb.calls().filter((c) => c.argv.includes('bake') || c.argv.includes('compose')),
        [],
      )
      // the run itself changed nothing outside (the files above are the case's own)
      assert.equal(
        sb.outsideChanges().filter((c) => !/outside\/(user\.env|evil\.hcl|docker\.yml)$/.test(c)),
        [],
      )
    } finally {
      await sb.close()
    }
  })
}

test('the same env file given with --env-file by the user is read', async () => {
  const sb = await sandbox()
  try {
    fs.writeFileSync(path.join(sb.outside, 'user.env'), 'SOME_VALUE=from-the-user\n')
    const r = sb.esb(['render', '--env-file', path.join(sb.outside, 'user.env')])
    assert.is(r.code, 0, r.stderr)
  } finally {
    await sb.close()
  }
})

test.run()
