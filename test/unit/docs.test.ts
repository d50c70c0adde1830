// The manual stays navigable: every relative link of README.md and docs/*.md
// points at a file that exists and, with a #anchor, at a heading of that
// file (GitHub's slugs); the README stays a front door (at most 250 lines).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import path from 'node:path'
import { ROOT } from '../lib/helpers.ts'

const DOCS = path.join(ROOT, 'docs')
const pages = [
  path.join(ROOT, 'README.md'),
  ...fs
    .readdirSync(DOCS)
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(DOCS, f)),
]
const rel = (p: string) => path.relative(ROOT, p)

/** The text outside fenced code blocks. */
function prose(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
}

/** GitHub's heading anchor: lowercase, backticks and punctuation dropped (not - or _), spaces -> -. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-')
}

/** Every anchor a file's headings give, with GitHub's -1, -2 suffixes for repeats. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const m of prose(fs.readFileSync(file, 'utf8')).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(m[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** Relative links `[x](path)`, `[x](path#anchor)`, `[x](#anchor)`; inline code is not a link. */
function links(file: string): string[] {
  const text = prose(fs.readFileSync(file, 'utf8')).replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1])
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href))
}

/** What is wrong with one link of a page, or null. */
export function brokenLink(page: string, href: string): string | null {
  const [target, anchor] = href.split('#', 2) as [string, string | undefined]
  const file = target === '' ? page : path.resolve(path.dirname(page), decodeURI(target))
  if (!fs.existsSync(file)) return `${rel(page)}: ${href}: no file ${rel(file)}`
  if (anchor === undefined) return null
  if (!file.endsWith('.md') || !fs.statSync(file).isFile()) return `${rel(page)}: ${href}: an anchor into a non-markdown file`
  return anchors(file).has(anchor) ? null : `${rel(page)}: ${href}: no heading #${anchor} in ${rel(file)}`
}

test('slugs follow GitHub', () => {
  assert.is(slug('The end-to-end layer (`make e2e`)'), 'the-end-to-end-layer-make-e2e')
  assert.is(slug('Configuration: `esb.toml`'), 'configuration-esbtoml')
  assert.is(
    slug('A build registry the builders reach: `[registry] build_address`'),
    'a-build-registry-the-builders-reach-registry-build_address',
  )
  assert.is(slug('4. CI runners that start warm: shared registry caches'), '4-ci-runners-that-start-warm-shared-registry-caches')
  assert.is(slug('`docker esb build`'), 'docker-esb-build')
})

test('a broken link or anchor is found', () => {
  const readme = path.join(ROOT, 'README.md')
  assert.ok(brokenLink(readme, 'docs/nowhere.md'))
  assert.ok(brokenLink(readme, 'docs/commands.md#no-such-heading'))
  assert.ok(brokenLink(readme, '#no-such-heading'))
  assert.is(brokenLink(readme, 'docs/commands.md'), null)
})

test('every relative link of README.md and docs/*.md resolves', () => {
  const pagesWithLinks = pages.filter((p) => links(p).length > 0)
  assert.ok(pagesWithLinks.length >= 2, 'README and the docs link to each other')
  const broken = pages.flatMap((p) => links(p).map((href) => brokenLink(p, href))).filter((b) => b !== null)
  assert.equal(broken, [])
})

test('README.md is at most 250 lines', () => {
  const n = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length
  assert.ok(n <= 250, `README.md has ${n} lines; move detail into docs/`)
})

test.run()
