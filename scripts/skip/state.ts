// Where skip decisions are remembered: `.<slug>/inputs/<tag>.json` per
// pushed tag (its input key, inputs and pushed digest), and the stat cache
// of context files. Each file is written whole (atomic rename), so parallel
// runs never read half a record; a record that does not parse is ignored.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { writeFileAtomic } from '../render/files.ts'
import { stateMkdir } from '../project/statefs.ts'
import type { StatCache } from './files.ts'
import type { InputRecord } from './keys.ts'

export function inputsDir(stateDir: string): string {
  return path.join(stateDir, 'inputs')
}

export function recordFile(dir: string, tag: string): string {
  const safe = tag.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-120)
  return path.join(dir, `${safe}-${crypto.createHash('sha256').update(tag).digest('hex').slice(0, 8)}.json`)
}

export function readRecord(dir: string, target: string, tag: string): InputRecord | null {
  try {
    const r = JSON.parse(fs.readFileSync(recordFile(dir, tag), 'utf8')) as InputRecord
    return r && r.target === target && r.tag === tag && typeof r.key === 'string' && typeof r.digest === 'string' ? r : null
  } catch {
    return null
  }
}

export function writeRecord(dir: string, r: InputRecord): void {
  stateMkdir(dir)
  writeFileAtomic(recordFile(dir, r.tag), JSON.stringify(r) + '\n')
}

export function readStatCache(dir: string): StatCache {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'stat-cache.json'), 'utf8')) as StatCache
  } catch {
    return {}
  }
}

export function writeStatCache(dir: string, c: StatCache): void {
  try {
    stateMkdir(dir)
    writeFileAtomic(path.join(dir, 'stat-cache.json'), JSON.stringify(c))
  } catch {
    /* only a cache: the next run re-reads the files */
  }
}
