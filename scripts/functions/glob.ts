// The globs of [functions] (dockerfiles, artifact) as most repos write them,
// `artifacts/e2e-*/artifact.yml` or `functions/*/Dockerfile`: matched by
// reading only the folders they name. Loading the glob library costs ~10 ms
// of every build; any other pattern (`**`, `?`, braces, classes, negation,
// escapes) is left to it (globby), and these give what it gives.
import fs from 'node:fs'
import path from 'node:path'

/** Files matching `glob` under `cwd` (paths relative to cwd, as written), or null: not a pattern this reads. */
export function simpleGlob(cwd: string, glob: string, o: { dot: boolean }): string[] | null {
  if (!/^[A-Za-z0-9._\-/*]+$/.test(glob) || glob.includes('**') || glob.startsWith('/') || glob.endsWith('/')) return null
  const segs = glob.split('/')
  if (segs.some((s) => s === '' || s === '.' || s === '..')) return null
  // without dot, the library's rules for a written leading dot differ by pattern: left to it
  if (!o.dot && segs.some((s) => s.startsWith('.'))) return null
  let at = ['']
  for (const [i, seg] of segs.entries()) {
    const last = i === segs.length - 1
    const next: string[] = []
    for (const rel of at) {
      const names = seg.includes('*') ? listed(path.join(cwd, rel)).filter(matcher(seg, o.dot)) : [seg]
      for (const n of names) {
        const r = rel ? `${rel}/${n}` : n
        // like the glob library: symlinks followed; the last segment names files, the others folders
        const st = statOrNull(path.join(cwd, r))
        if (st && (last ? st.isFile() : st.isDirectory())) next.push(r)
      }
    }
    at = next
  }
  return at
}

function matcher(seg: string, dot: boolean): (name: string) => boolean {
  const re = new RegExp('^' + seg.replace(/[.-]/g, '\\$&').replace(/\*/g, '[^/]*') + '$')
  // a leading dot is matched only with dot
  return (name) => re.test(name) && (dot || !name.startsWith('.'))
}

function listed(dir: string): string[] {
  try {
    return fs.readdirSync(dir)
  } catch {
    return []
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p)
  } catch {
    return null
  }
}
