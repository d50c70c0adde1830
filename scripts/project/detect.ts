// A repo whose generated files were made by the ESB branding tool has no
// brand setting (that tool writes none): the brand is visible only in the
// generated files. Read it from there, so docker esb never rebrands a repo.
import fs from 'node:fs'
import path from 'node:path'

export interface BrandSighting {
  file: string
  slug: string
}

const PROBES: { file: string; re: RegExp }[] = [
  { file: 'meta/meta.go', re: /^\s*Slug\s*=\s*"([a-z0-9][a-z0-9-]*)"/m },
  { file: 'config/defaults.env', re: /^\s*CLI_CMD\s*=\s*"?([a-z0-9][a-z0-9-]*)"?\s*$/m },
  { file: 'docker-compose.infra.yml', re: /REGISTRY_CONTAINER_NAME:-([a-z0-9][a-z0-9-]*)-infra-registry\}/ },
]

/** What the generated files say the brand's slug is (one sighting per file that names it). Reads only. */
export function brandSightings(projectDir: string): BrandSighting[] {
  const out: BrandSighting[] = []
  for (const p of PROBES) {
    let text: string
    try {
      text = fs.readFileSync(path.join(projectDir, p.file), 'utf8')
    } catch {
      continue
    }
    const m = p.re.exec(text)
    if (m) out.push({ file: p.file, slug: m[1] })
  }
  return out
}
