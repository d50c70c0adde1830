// Errors carry the exit code the top-level handler returns; nothing else
// decides exit codes.

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

/** A docker child failed; its own exit code passes through. */
export class DockerError extends EsbError {
  argv: string[]
  constructor(argv: string[], code: number, detail = '') {
    const head = argv.slice(0, 3).join(' ')
    super(`'docker ${head}${argv.length > 3 ? ' ...' : ''}' failed with exit code ${code}${detail ? `: ${detail}` : ''}`, code || 1)
    this.argv = argv
  }
}

/** SIGINT / SIGTERM: children were stopped; 130 / 143. */
export class CancelledError extends EsbError {
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super(`cancelled by ${signal}`, signal === 'SIGINT' ? 130 : 143)
  }
}
