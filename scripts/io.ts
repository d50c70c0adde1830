// What a command may touch of the outside world besides docker: its output
// streams, the environment and the current folder (tests pass their own).
export interface Io {
  out: (s: string) => void
  err: (s: string) => void
  env: Record<string, string | undefined>
  cwd: string
  /** stderr is a terminal (progress: BuildKit's live display) */
  errIsTTY?: boolean
}

export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  cwd: process.cwd(),
  errIsTTY: process.stderr.isTTY === true,
})
