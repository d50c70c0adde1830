// A repo's files cannot make docker esb write outside the repo (issue 11.4):
// folders named in esb.toml, .env values and symlinks on the way out are
// refused with one line; what the user gives on the command line is not.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import type { Flags } from '../../scripts/project/config.ts'
import { confinePaths, realInside } from '../../scripts/project/paths.ts'
import { renderFor } from '../../scripts/render/plan.ts'
import { UsageError } from '../../scripts/errors.ts'
import { projectSettings, tempDir } from '../lib/settings.ts'

const tmp = () => fs.realpathSync(tempDir('esb-paths-'))
const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test((e as Error).message)

const settings = (dir: string, text: string, flags: Flags = {}, processEnv: Record<string, string> = {}) =>
  projectSettings(dir, text, { flags, processEnv })

test('[cache] dir outside the project, or the project itself, is refused: it becomes --allow fs.write', () => {
  const dir = tmp()
  assert.throws(() => confinePaths(settings(dir, '[cache]\ndir = "/"\n')), usage(/\[cache\] dir \/ is outside the project/))
  assert.throws(() => confinePaths(settings(dir, '[cache]\ndir = "."\n')), usage(/or is the project itself/))
  assert.throws(() => confinePaths(settings(dir, '[cache]\ndir = "../x"\n')), usage(/outside the project/))
  confinePaths(settings(dir, '[cache]\ndir = "cache"\n'))
  confinePaths(settings(dir, ''))
  // a symlink inside the project that leads out counts as outside
  const away = tmp()
  fs.symlinkSync(away, path.join(dir, 'link'))
  assert.throws(() => confinePaths(settings(dir, '[cache]\ndir = "link/cache"\n')), usage(/outside the project/))
})

test("[templates] out and dir from esb.toml stay inside; --out and --templates are the user's", () => {
  const dir = tmp()
  assert.throws(
    () => confinePaths(settings(dir, '[templates]\nout = "/root/.ssh"\n')),
    usage(/\[templates\] out \/root\/.ssh is outside/),
  )
  assert.throws(() => confinePaths(settings(dir, '[templates]\ndir = "/etc"\n')), usage(/\[templates\] dir \/etc is outside/))
  confinePaths(settings(dir, '', { out: '/tmp/elsewhere', templates: '/tmp/tpl' }))
  // BUILDKITD_CONFIG from the environment names a file docker esb reads, not writes
  confinePaths(settings(dir, '', {}, { BUILDKITD_CONFIG: '/etc/buildkitd.toml' }))
})

test('realInside follows symlinks of the existing part of a path', () => {
  const dir = tmp()
  assert.ok(realInside(dir, path.join(dir, 'a/b/c')))
  assert.ok(!realInside(dir, path.join(dir, '../x')))
  assert.ok(!realInside(dir, dir, true))
})

test('render: a template symlinked out of its folder, or an output folder that is a symlink out, is refused before any write', () => {
  const dir = tmp()
  const away = tmp()
  fs.mkdirSync(path.join(dir, 'tpl'))
  fs.writeFileSync(path.join(away, 'authorized_keys.tmpl'), 'ssh-rsa AAAA {{BRAND}}\n')
  fs.symlinkSync(path.join(away, 'authorized_keys.tmpl'), path.join(dir, 'tpl', 'authorized_keys.tmpl'))
  assert.throws(
    () => renderFor(settings(dir, '[templates]\ndir = "tpl"\n')),
    usage(/is a symlink to .*outside the template folder/),
  )
  fs.rmSync(path.join(dir, 'tpl', 'authorized_keys.tmpl'))
  fs.mkdirSync(path.join(dir, 'tpl', 'conf'))
  fs.writeFileSync(path.join(dir, 'tpl', 'conf', 'keys.tmpl'), 'x\n')
  fs.symlinkSync(away, path.join(dir, 'conf'))
  assert.throws(() => renderFor(settings(dir, '[templates]\ndir = "tpl"\n')), usage(/would land outside/))
  assert.equal(fs.readdirSync(away), ['authorized_keys.tmpl'], 'nothing written there')
})

test.run()
