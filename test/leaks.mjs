// The e2e layer's final check: anything the run left on the engine or in its
// temp folder. Every engine object a test makes carries the run's id in its
// name (test/lib/helpers.ts e2eName), so the check never touches the user's
// own containers. Found leftovers are listed, then removed, and fail the run.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const docker = (args) => spawnSync('docker', args, { encoding: 'utf8' })
const lines = (r) =>
  r.status === 0
    ? r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : []

const KINDS = [
  { kind: 'container', list: ['ps', '-a', '--format', '{{.Names}}'], remove: ['rm', '-f', '-v'] },
  { kind: 'image', list: ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], remove: ['image', 'rm', '-f'] },
  { kind: 'volume', list: ['volume', 'ls', '--format', '{{.Name}}'], remove: ['volume', 'rm', '-f'] },
  { kind: 'network', list: ['network', 'ls', '--format', '{{.Name}}'], remove: ['network', 'rm'] },
]

/** Engine objects whose name holds `e2e<run>`, and entries left in the layer's temp folder. */
export function leftovers(run, tmp) {
  const mark = `e2e${run}`
  const found = []
  for (const k of KINDS) for (const name of lines(docker(k.list))) if (name.includes(mark)) found.push({ kind: k.kind, name })
  // lock folders are shared by every docker esb on the machine and removed when free; tsx-* is the test loader's own compile cache
  for (const e of fs.existsSync(tmp) ? fs.readdirSync(tmp) : [])
    if (!e.startsWith('docker-esb-locks-') && !e.startsWith('tsx-')) found.push({ kind: 'temp', name: path.join(tmp, e) })
  return found
}

/** Removes what `leftovers` found (containers first: they hold volumes, networks and images). */
export function removeLeftovers(found) {
  for (const k of KINDS) {
    const names = found.filter((f) => f.kind === k.kind).map((f) => f.name)
    if (names.length) docker([...k.remove, ...names])
  }
}
