// Every failure docker esb reports is one of these classes; each carries the
// exit code the single top-level handler (cli.ts) returns. Nothing else
// decides exit codes or prints errors.

export class EsbError extends Error {
  exitCode: number
  constructor(message: string, exitCode = 1) {
    super(message)
    this.name = new.target.name
    this.exitCode = exitCode
  }
}

/** Bad flags, bad config, bad templates: the user can fix it. Exit 2. */
export class UsageError extends EsbError {
  constructor(message: string) {
    super(message, 2)
  }
}

/** A brand whose slug or env prefix breaks the contract's rules. Exit 2. */
export class BrandError extends UsageError {}

/** A docker child failed; its own exit code passes through. */
export class DockerError extends EsbError {
  argv: string[]
  constructor(argv: string[], code: number, detail = '') {
    const head = argv.slice(0, 3).join(' ')
    super(
      `'docker ${head}${argv.length > 3 ? ' ...' : ''}' failed with exit code ${code}${detail ? `: ${detail}` : ''}`,
      code || 1,
    )
    this.argv = argv
  }
}

/** SIGINT / SIGTERM: children were stopped; 130 / 143. */
export class CancelledError extends EsbError {
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super(`cancelled by ${signal}`, signal === 'SIGINT' ? 130 : 143)
  }
}

/** Another docker esb holds a lock for too long. Exit 1. */
export class LockTimeoutError extends EsbError {
  constructor(what: string, dir: string, seconds: number) {
    super(`timed out after ${seconds}s waiting for ${what} (lock ${dir}); if no other docker esb runs, remove that folder`)
  }
}

/** A file-system failure the user can fix (missing folder, permissions, full disk...). Exit 1. */
export class FileError extends EsbError {
  code: string
  constructor(code: string, file: string, action?: string) {
    super(`${action ? `cannot ${action} ` : ''}${file}: ${FS_HINTS[code] ?? code}`)
    this.code = code
  }
}

const FS_HINTS: Record<string, string> = {
  ENOENT: 'no such file or folder; create the folder first or choose another path',
  ENOTDIR: 'a part of the path is not a folder; choose another path',
  EACCES: 'permission denied; fix the permissions or choose another path',
  EPERM: 'operation not permitted; fix the permissions or choose another path',
  EROFS: 'the file system is read-only; choose a writable place',
  EISDIR: 'it is a folder; give a file path',
  ENOSPC: 'no space left on the device; free some space (docker esb prune) and retry',
  EDQUOT: 'disk quota exceeded; free some space and retry',
  ENAMETOOLONG: 'the name is too long; choose a shorter path or name',
  EEXIST: 'it already exists; remove it or choose another path',
  EMFILE: 'too many open files; raise the limit (ulimit -n) and retry',
}

/** Node errors with these codes are the user's to fix, not bugs. */
export const USER_FS_CODES = new Set(Object.keys(FS_HINTS))

interface NodeError {
  code?: unknown
  path?: unknown
}

/**
 * Maps any thrown value to an EsbError: our own pass through; a Node
 * file-system error the user can fix becomes a FileError naming the path;
 * anything else is null (a real bug, reported as "internal error").
 */
export function toEsbError(e: unknown): EsbError | null {
  if (e instanceof EsbError) return e
  const ne = (typeof e === 'object' && e !== null ? e : {}) as NodeError
  if (typeof ne.code === 'string' && USER_FS_CODES.has(ne.code) && typeof ne.path === 'string') {
    return new FileError(ne.code, ne.path)
  }
  return null
}

export const REPORT_BUGS = 'this is a bug in docker esb; please report it with the command you ran and this output'
