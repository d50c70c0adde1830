// Who listens on a local TCP port: read from /proc (Linux), no process spawned.
// Used to name the holder in the "port taken" message; null when unknown.
import fs from 'node:fs'

export function portHolder(port: number): string | null {
  try {
    const hex = port.toString(16).toUpperCase().padStart(4, '0')
    const inodes = new Set<string>()
    for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!fs.existsSync(f)) continue
      for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/)
        // local_address is ADDR:PORT; state 0A is LISTEN
        if (cols.length > 9 && cols[1].endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9])
      }
    }
    if (inodes.size === 0) return null
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let fds: string[]
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`)
      } catch {
        continue
      }
      for (const fd of fds) {
        let link = ''
        try {
          link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`)
        } catch {
          continue
        }
        const m = /^socket:\[(\d+)\]$/.exec(link)
        if (m && inodes.has(m[1])) {
          const name = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
          return `process ${name} (pid ${pid})`
        }
      }
    }
  } catch {
    /* not Linux, or not allowed to look */
  }
  return null
}
