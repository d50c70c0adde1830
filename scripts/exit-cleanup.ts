// What must be removed if the process is made to exit before its own
// `finally` blocks run (a signal the work in progress does not notice within
// a second, see cli.ts): partial files and temp folders register here.
const pending = new Set<() => void>()

/** Registers a cleanup; call the returned function once the work is done (or cleaned up normally). */
export function onForcedExit(fn: () => void): () => void {
  pending.add(fn)
  return () => {
    pending.delete(fn)
  }
}

/** Runs every registered cleanup (each at most once). */
export function runForcedExit(): void {
  for (const fn of [...pending]) {
    pending.delete(fn)
    try {
      fn()
    } catch {
      /* exiting anyway: best effort */
    }
  }
}
