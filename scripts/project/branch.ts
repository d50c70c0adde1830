// The branch a build runs for, for shared cache refs ([cache] from/to
// `{branch}`): <PREFIX>_BRANCH, else what CI says, else .git/HEAD; made
// safe for an image tag. Reads files only (no git process).
import fs from 'node:fs'
import path from 'node:path'

const CI_VARS = ['GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'CI_COMMIT_REF_NAME', 'BUILDKITE_BRANCH', 'BRANCH_NAME', 'GIT_BRANCH']

/** `refs/heads/feature/x` -> `feature-x`: a tag takes [A-Za-z0-9_.-], 128 at most, not starting with . or -. */
export function tagSafe(branch: string): string {
  const t = branch
    .replace(/^refs\/heads\//, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
  return t || 'default'
}

/** The branch checked out in `dir` (or a parent), from .git/HEAD; null when detached or not a git checkout. */
export function gitBranch(dir: string): string | null {
  for (let d = dir; ; d = path.dirname(d)) {
    const dotgit = path.join(d, '.git')
    if (fs.existsSync(dotgit)) {
      let gitDir = dotgit
      // a worktree or submodule: .git is a file naming the real folder
      if (fs.statSync(dotgit).isFile())
        gitDir = path.resolve(
          d,
          fs
            .readFileSync(dotgit, 'utf8')
            .replace(/^gitdir:\s*/, '')
            .trim(),
        )
      try {
        return /^ref: refs\/heads\/(.+)$/m.exec(fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8'))?.[1]?.trim() ?? null
      } catch {
        return null
      }
    }
    if (path.dirname(d) === d) return null
  }
}

export function branchOf(dir: string, env: Record<string, string | undefined>, prefix: string): string {
  const v = env[`${prefix}_BRANCH`] || CI_VARS.map((k) => env[k]).find(Boolean) || gitBranch(dir) || 'default'
  return tagSafe(v)
}
