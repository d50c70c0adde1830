import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { branchOf, gitBranch, tagSafe } from '../../scripts/project/branch.ts'
import { cacheFlagsFor } from '../../scripts/cache/flags.ts'
import { UsageError } from '../../scripts/errors.ts'
import { tomlSettings } from '../lib/settings.ts'

const settings = (text: string, env: Record<string, string> = {}) => tomlSettings(text, { processEnv: env })

test("[cache] from / to: after the project's own caches, per target and branch", () => {
  const s = settings(
    '[cache]\nfrom = ["reg.example:5000/esb-cache/{target}:{branch}", "reg.example:5000/esb-cache/{target}:main"]\nto = "reg.example:5000/esb-cache/{target}:{branch}"\n',
    { ESB_BRANCH: 'feature/login' },
  )
  const c = cacheFlagsFor(s, 'fn-hello', 'functions', 'R1')
  assert.equal(c.cacheFrom.slice(2), [
    'type=registry,ref=reg.example:5000/esb-cache/fn-hello:feature-login',
    'type=registry,ref=reg.example:5000/esb-cache/fn-hello:main',
  ])
  assert.is(
    c.cacheTo.at(-1),
    'type=registry,ref=reg.example:5000/esb-cache/fn-hello:feature-login,mode=min,image-manifest=true,oci-mediatypes=true,ignore-error=true',
  )
  assert.is(c.cacheTo.length, 3, 'local, project registry, shared')
})

test('a template without {target}, or with CSV characters: one line naming the key', () => {
  const bad = (text: string, re: RegExp) =>
    assert.throws(
      () => settings(text),
      (e: unknown) => e instanceof UsageError && re.test((e as Error).message),
    )
  bad('[cache]\nto = "reg/esb-cache:{branch}"', /^\/p\/esb\.toml: \[cache\] to "reg\/esb-cache:\{branch\}" has no \{target\}/)
  bad('[cache]\nfrom = ["reg/{target}:x,mode=max"]', /\[cache\] from .* contains a space, comma, quote or '='/)
  bad('[cache]\nfrom = ["reg/{target}:{sha}"]', /only \{target\} and \{branch\} are replaced/)
})

test('branch: <PREFIX>_BRANCH, else CI variables, else .git/HEAD (worktrees too), else default; safe for a tag', () => {
  assert.is(tagSafe('refs/heads/feature/x y'), 'feature-x-y')
  assert.is(tagSafe('--'), 'default')
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-branch-'))
  fs.mkdirSync(path.join(d, '.git'))
  fs.writeFileSync(path.join(d, '.git', 'HEAD'), 'ref: refs/heads/release/2.0\n')
  fs.mkdirSync(path.join(d, 'sub'))
  assert.is(gitBranch(path.join(d, 'sub')), 'release/2.0')
  assert.is(branchOf(d, {}, 'ESB'), 'release-2.0')
  assert.is(branchOf(d, { GITHUB_HEAD_REF: 'pr-branch' }, 'ESB'), 'pr-branch')
  assert.is(branchOf(d, { GITHUB_HEAD_REF: 'pr-branch', ESB_BRANCH: 'mine' }, 'ESB'), 'mine')
  fs.writeFileSync(path.join(d, '.git', 'HEAD'), '0123456789abcdef\n')
  assert.is(branchOf(d, {}, 'ESB'), 'default', 'detached')
  const wt = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-wt-'))
  fs.mkdirSync(path.join(d, 'wtgit'))
  fs.writeFileSync(path.join(d, 'wtgit', 'HEAD'), 'ref: refs/heads/wt\n')
  fs.writeFileSync(path.join(wt, '.git'), `gitdir: ${path.join(d, 'wtgit')}\n`)
  assert.is(gitBranch(wt), 'wt')
  fs.rmSync(d, { recursive: true })
  fs.rmSync(wt, { recursive: true })
})

test.run()
