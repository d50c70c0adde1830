// Cross-process locks on one machine, from atomic mkdir and pid files:
//  - mutex(name): one holder at a time (builder create/recreate, registry start);
//  - shared(name): any number of holders; a mutex on the same name waits until
//    none is left (a build holds its builder shared, so the builder is never
//    recreated under it).
// Locks are per builder or per registry port, never one global lock: builds
// on one builder run in parallel. A holder that died is detected by its pid.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { LockTimeoutError } from '../errors.ts'

export function lockRoot(): string {
  return process.env.DOCKER_ESB_LOCK_DIR ?? path.join(os.tmpdir(), `docker-esb-locks-${process.getuid?.() ?? 0}`)
}

/** How long a lock is waited for: DOCKER_ESB_LOCK_TIMEOUT seconds, default 600. */
export function lockTimeoutMs(): number {
  const v = Number(process.env.DOCKER_ESB_LOCK_TIMEOUT)
  return Number.isFinite(v) && v > 0 ? v * 1000 : 600_000
}

export interface LockOptions {
  timeoutMs?: number
  /** called while waiting; throws to stop waiting (e.g. on a signal) */
  check?: () => void
  /** told once when the wait takes longer than a moment */
  onWait?: (what: string) => void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
const safe = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, '_')

async function acquireDir(dir: string, what: string, o: LockOptions): Promise<void> {
  const timeoutMs = o.timeoutMs ?? lockTimeoutMs()
  const deadline = Date.now() + timeoutMs
  const told = Date.now() + 2000
  let said = false
  for (;;) {
    o.check?.()
    try {
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid))
      return
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      // another run just tidied the lock's folder away (see tidy): make it again
      if (code === 'ENOENT') {
        fs.mkdirSync(path.dirname(dir), { recursive: true })
        continue
      }
      if (code !== 'EEXIST') throw e
    }
    // a holder that died leaves its dir behind: take it over
    let pid = NaN
    try {
      pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'))
    } catch {
      /* being created or removed */
    }
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
      fs.rmSync(dir, { recursive: true, force: true })
      continue
    }
    if (Date.now() > deadline)
      throw new LockTimeoutError(`the ${what} lock held by pid ${Number.isInteger(pid) ? pid : '?'}`, dir, timeoutMs / 1000)
    if (!said && Date.now() > told) {
      said = true
      o.onWait?.(`the ${what} lock (held by pid ${Number.isInteger(pid) ? pid : '?'})`)
    }
    await sleep(100 + Math.random() * 100)
  }
}

export async function withMutex<T>(name: string, fn: () => Promise<T>, o: LockOptions = {}): Promise<T> {
  const root = path.join(lockRoot(), safe(name))
  fs.mkdirSync(root, { recursive: true })
  const dir = path.join(root, 'mutex')
  await acquireDir(dir, name, o)
  try {
    // wait for shared holders to finish (dead ones are dropped)
    const readers = path.join(root, 'shared')
    const timeoutMs = o.timeoutMs ?? lockTimeoutMs()
    const deadline = Date.now() + timeoutMs
    let said = false
    for (;;) {
      o.check?.()
      const live = (fs.existsSync(readers) ? fs.readdirSync(readers) : []).filter((f) => {
        const pid = Number(f.split('-')[0])
        if (alive(pid)) return true
        fs.rmSync(path.join(readers, f), { force: true })
        return false
      })
      if (live.length === 0) break
      if (Date.now() > deadline)
        throw new LockTimeoutError(`${live.length} build(s) using ${name} to finish`, readers, timeoutMs / 1000)
      if (!said) {
        said = true
        o.onWait?.(`${live.length} running build(s) using ${name}`)
      }
      await sleep(200)
    }
    return await fn()
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
    tidy(root)
  }
}

/** Removes a lock's folders once nobody uses them (rmdir fails on a folder in use, which is fine). */
function tidy(root: string): void {
  for (const d of [path.join(root, 'shared'), root]) {
    try {
      fs.rmdirSync(d)
    } catch {
      /* in use or gone */
    }
  }
}

let seq = 0
export async function withShared<T>(name: string, fn: () => Promise<T>, o: LockOptions = {}): Promise<T> {
  const root = path.join(lockRoot(), safe(name))
  const readers = path.join(root, 'shared')
  const me = path.join(readers, `${process.pid}-${++seq}`)
  // register while holding the mutex, so a pending mutex holder is not overtaken midway
  const dir = path.join(root, 'mutex')
  await acquireDir(dir, name, o)
  try {
    // a reader leaving may tidy the empty folder away between these two calls: try again
    for (let i = 0; ; i++) {
      fs.mkdirSync(readers, { recursive: true })
      try {
        fs.writeFileSync(me, '')
        break
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || i > 20) throw e
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    return await fn()
  } finally {
    fs.rmSync(me, { force: true })
    tidy(root)
  }
}
