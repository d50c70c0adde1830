// Generators for what a user's repo feeds docker esb: strings, brands,
// paths, esb.toml, config/branding.yaml and .env files. Each mixes valid,
// near-valid and garbage values, so cases reach past the parsers too.
import fc from 'fast-check'
import { SCHEMA, type Kind } from '../../scripts/project/schema.ts'

/** Strings that broke parsers before: empty, quotes, escapes, placeholders, unicode, very long. */
export const nasty = fc.constantFrom(
  '',
  ' ',
  '/',
  '.',
  '..',
  '../..',
  '~',
  '-',
  '#',
  '"',
  "'",
  '\\',
  '${X}',
  '$$',
  '{{SLUG}}',
  '{{ slug }}',
  'x\ny',
  '\t',
  '\u0000',
  'ñandú',
  'Ω≈ç√',
  '😀',
  'A B',
  'UPPER',
  'a/b',
  'a'.repeat(300),
  'é'.repeat(100),
  '\u202e',
  '\ufeff',
  '\ud800',
)
export const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 3, arbitrary: nasty },
)

/** Brands: valid, near the slug rules (length 40/41, leading digit, only symbols), and garbage. */
export const brand: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'acme',
      'Acme Prod',
      'ACME',
      'a',
      'x'.repeat(40),
      'x'.repeat(41),
      'a/b',
      'ñandú',
      'über co',
      '1abc',
      '-',
      '_a',
      'a_b',
      'Acme-Prod!',
      ' acme ',
      '../..',
      'acme\x7f',
      'acme\ud800',
      'acme\u0001',
      'Acme\u00a0Prod',
      'acme\\',
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9 _./-]{0,45}$/) },
  { weight: 2, arbitrary: text },
)

/**
 * Paths a config may name: inside the project, the project itself, escapes
 * (`..`, absolute, a symlink out), through a file. `@OUT@` / `@ROOT@` are
 * filled in per case (lib.ts fill), so escapes land where the test looks.
 */
export const pathish: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '.',
      'sub',
      'sub/deeper',
      '.acme',
      '.esb/cache',
      'blocker',
      'blocker/x',
      'esb.toml',
      '/',
      '..',
      '../..',
      '../outside',
      '@OUT@',
      '@OUT@/x',
      '@ROOT@/proj',
      '@ROOT@/proj/sub',
      '/tmp',
      '/etc',
      'link-out',
      'link-out/x',
      '',
    ),
  },
  { weight: 1, arbitrary: text },
)

const PATH_KEYS = new Set(['dir', 'out', 'buildkitd_config', 'dockerfiles', 'artifact', 'env_files', 'files'])

/** A TOML basic string (a lone surrogate gives an escape TOML refuses: garbage on purpose). */
const q = (s: string) => JSON.stringify(s)

/** A value of the key's own kind: most cases should get past the schema. */
function goodValue(key: string, kind: Kind): fc.Arbitrary<string> {
  const str =
    key === 'brand'
      ? brand
      : PATH_KEYS.has(key)
        ? pathish
        : fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom('latest', 'default', 'dev', 'registry:2', '127.0.0.1', 'acme-buildx') },
            { weight: 1, arbitrary: text },
          )
  switch (kind) {
    case 'string':
      // now and then one over the 4096-character limit (schema.ts MAX_VALUE_CHARS)
      return fc.oneof({ weight: 30, arbitrary: str.map(q) }, { weight: 1, arbitrary: fc.constant(q('v'.repeat(5000))) })
    case 'port':
      // a quoted port ("24733") is a string, refused: ports are integers
      return fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 1, max: 65535 }).map(String) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 65535 }).map((n) => `"${n}"`) },
        { weight: 1, arbitrary: fc.constantFrom('"5010"', '0', '65536', '-1', '5010.0', '" 5010"') },
      )
    case 'prefixes':
      // [bake] push_allow: prefixes, and the empty entry that would allow every tag
      return fc
        .array(fc.oneof(str, fc.constantFrom('', ' ', 'registry.example.com/', '127.0.0.1:5010/')), { maxLength: 3 })
        .map((a) => `[${a.map(q).join(', ')}]`)
    case 'bool':
      return fc.boolean().map(String)
    case 'strings':
      return fc.array(str, { maxLength: 3 }).map((a) => `[${a.map(q).join(', ')}]`)
    case 'mode':
      return fc.constantFrom('"docker"', '"containerd"', '"Docker"', '""')
    case 'cachemode':
      return fc.constantFrom(
        '"max"',
        '"min"',
        '"all"',
        '{ bases = "max", functions = "min" }',
        '{ other = "max" }',
        '{ bases = 1 }',
      )
    case 'count':
      return fc.oneof(fc.integer({ min: 1, max: 16 }).map(String), fc.constantFrom('0', '-1', '"2"', '1.5'))
    case 'argtable':
      // [bake.args] / [bake.arg_hashes] inline: names and values right and wrong, ${...} well and badly formed, paths
      return fc
        .array(
          fc.tuple(
            fc.oneof(
              { weight: 4, arbitrary: fc.constantFrom('ROOT_CA_CERT_FILENAME', 'ROOT_CA_FINGERPRINT', 'A', '_x1') },
              { weight: 1, arbitrary: fc.constantFrom('"1X"', '"A-B"', '""', '"a b"') },
            ),
            fc.oneof(
              { weight: 4, arbitrary: (key === 'arg_hashes' ? pathish : str).map(q) },
              { weight: 2, arbitrary: fc.constantFrom('"rootCA.crt"', '"${CERT_DIR}/rootCA.crt"', '"${X:-d}"', '"$$"') },
              { weight: 1, arbitrary: fc.constantFrom('"${"', '"${X:?unset}"', '1', 'true', '[]', '{ a = "b" }') },
            ),
          ),
          { maxLength: 3 },
        )
        .map((kv) => `{ ${[...new Map(kv).entries()].map(([k, v]) => `${k} = ${v}`).join(', ')} }`)
    // a kind added to the schema later: any value until it gets its own
    default:
      return anyValue
  }
}

/** Any TOML value, right kind or not, and a few that are not TOML. */
export const anyValue: fc.Arbitrary<string> = fc.oneof(
  text.map(q),
  text.map((s) => `'${s}'`),
  fc.integer().map(String),
  fc.boolean().map(String),
  fc.constantFrom(
    '1e3',
    '3.14',
    'inf',
    'nan',
    '0x10',
    '{ a = 1 }',
    '1979-05-27T07:32:00Z',
    '"""multi\nline"""',
    '[[1], ["a"]]',
    '[1, "a"]',
    '',
    'yes',
    '"unterminated',
  ),
  fc.array(text.map(q), { maxLength: 3 }).map((a) => `[${a.join(', ')}]`),
)

/** `key = value` lines of one section: mostly known keys with values of their kind. */
function entries(section: string): fc.Arbitrary<string[]> {
  const known = Object.entries(SCHEMA[section] ?? {})
  const entry = fc.oneof(
    ...(known.length
      ? [
          {
            weight: 12,
            arbitrary: fc
              .constantFrom(...known)
              .chain(([k, kind]) =>
                fc
                  .oneof({ weight: 8, arbitrary: goodValue(k, kind) }, { weight: 1, arbitrary: anyValue })
                  .map((v) => `${k} = ${v}`),
              ),
          },
        ]
      : []),
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof(fc.constantFrom('Brand', 'unknown', '"quoted key"', 'a.b', 'port'), fc.string({ maxLength: 8 }).map(q)),
          anyValue,
        )
        .map(([k, v]) => `${k} = ${v}`),
    },
  )
  // one line per key: a repeated key is a TOML error that would hide the rest (dup-line damage still makes some)
  return fc.uniqueArray(entry, { maxLength: 4, selector: (l) => l.split('=')[0].trim() })
}

/** Damage applied to a generated file: what an editor, a merge or a copy can leave. */
export interface Damage {
  kind: 'none' | 'junk-line' | 'truncate' | 'dup-line' | 'crlf' | 'bom' | 'nul'
  at: number
  junk: string
}
export const damage: fc.Arbitrary<Damage> = fc.record({
  kind: fc.oneof(
    { weight: 10, arbitrary: fc.constant('none' as const) },
    { weight: 1, arbitrary: fc.constantFrom('junk-line', 'truncate', 'dup-line', 'crlf', 'bom', 'nul') },
  ),
  at: fc.nat(),
  junk: fc.oneof(text, fc.constantFrom('[', '[[x]]', '= 1', 'key', 'a = ', '\\', '"""', ':', '- x', '\t\tbrand: x', '{{')),
})

export function applyDamage(src: string, d: Damage): string {
  const lines = src.split('\n')
  const i = lines.length ? d.at % lines.length : 0
  switch (d.kind) {
    case 'none':
      return src
    case 'junk-line':
      lines.splice(i, 0, d.junk)
      return lines.join('\n')
    case 'truncate':
      return src.slice(0, d.at % (src.length + 1))
    case 'dup-line':
      lines.splice(i, 0, lines[i] ?? '')
      return lines.join('\n')
    case 'crlf':
      return src.replace(/\n/g, '\r\n')
    case 'bom':
      return `\ufeff${src}`
    case 'nul':
      return `${src.slice(0, d.at % (src.length + 1))}\u0000${src.slice(d.at % (src.length + 1))}`
  }
}

/** esb.toml: top-level keys, known and unknown sections, maybe damaged. */
export const esbToml: fc.Arbitrary<string> = fc
  .tuple(
    entries(''),
    fc.uniqueArray(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...Object.keys(SCHEMA).filter(Boolean)) },
        { weight: 1, arbitrary: fc.constantFrom('unknown', 'Templates', 'templates.sub', 'registry]') },
      ),
      { maxLength: 4 },
    ),
    damage,
  )
  .chain(([top, sections, d]) =>
    fc
      .tuple(...sections.map((s) => entries(s).map((e) => `[${s}]\n${e.join('\n')}`)))
      .map((secs) => applyDamage([...top, ...secs].join('\n') + '\n', d)),
  )

/** A YAML scalar for a brand, written the ways people write them. */
const yamlScalar = (s: string) => fc.constantFrom(s, JSON.stringify(s), `'${s.replace(/'/g, "''")}'`, `${s} # the brand`, `"${s}`)

/** config/branding.yaml: `brand: x` in many spellings, wrong shapes, and garbage. */
export const brandingYaml: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: brand.chain(yamlScalar).map((v) => `brand: ${v}\n`) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'brand:\n',
          'brand: [a, b]\n',
          'brand: {x: 1}\n',
          'brand: 123\n',
          'brand: true\n',
          'brand: null\n',
          'Brand: acme\n',
          'brand: acme\nbrand: other\n',
          '---\nbrand: a\n---\nbrand: b\n',
          'brand: &a acme\nother: *a\n',
          'brand: !!binary YWNtZQ==\n',
          '%YAML 1.1\n---\nbrand: acme\n',
          'brand: !foo acme\n',
          "brand: 'it''s'\n",
          '{brand: acme}\n',
          '- brand: acme\n',
          '\tbrand: acme\n',
          'brand: >\n  acme\n  co\n',
          '',
        ),
      },
      { weight: 1, arbitrary: text },
    ),
    damage,
  )
  .map(([y, d]) => applyDamage(y, d))

const ENV_NAMES = [
  'ESB_TAG',
  'ESB_MODE',
  'ESB_ENV',
  'MODE',
  'ENV',
  'PORT_REGISTRY',
  'PROJECT_NAME',
  'BUILDX_BUILDER',
  'CONTAINER_REGISTRY',
  'REGISTRY_BIND',
  'BUILDKITD_CONFIG',
  'REGISTRY_CONTAINER_NAME',
  'ESB_REPO',
  'FOO',
  'X',
  // names an env file may not set (scripts/project/envpolicy.ts), and ones it may
  'PATH',
  'LD_PRELOAD',
  'DOCKER_HOST',
  'BUILDX_BAKE_ENTITLEMENTS_FS',
  'NODE_OPTIONS',
  'COMPOSE_FILE',
  'http_proxy',
  'COMPOSE_PROFILES',
  'AUTH_PASS',
]
const envValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'latest',
      'v1',
      'dev',
      'docker',
      'containerd',
      'acme-dev',
      '127.0.0.1:5010',
      'localhost:5010',
      '.acme/bk.toml',
      '@OUT@/bk.toml',
      '',
    ),
  },
  { weight: 2, arbitrary: text },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '${X}',
      '${X:-d}',
      '${X-d}',
      '${X:+alt}',
      '${X:?unset}',
      '${',
      '${}',
      '$$',
      '$X',
      'a # c',
      ' # c',
      '\\n',
      '${FOO:-${X}}',
    ),
  },
)
/** One line of a .env: assignments in compose's spellings, comments, bare names and broken quotes. */
const envLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', 'export '),
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ENV_NAMES) }, { weight: 1, arbitrary: text }),
        fc.constantFrom('=', ': ', ' = ', '='),
        envValue,
        fc.constantFrom('plain', 'double', 'single', 'open"', "open'"),
      )
      .map(
        ([ex, n, sep, v, quote]) =>
          `${ex}${n}${sep}${quote === 'plain' ? v : quote === 'double' ? `"${v}"` : quote === 'single' ? `'${v}'` : `${quote.slice(4)}${v}`}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('# a comment', '', '   ', 'FOO', '=x', 'export', 'export X', 'A="multi\nline"', "B='x\\'y'"),
  },
  { weight: 1, arbitrary: text },
)
/** A .env file: lines, LF or CRLF, maybe damaged. */
export const dotEnv: fc.Arbitrary<string> = fc
  .tuple(fc.array(envLine, { maxLength: 6 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), damage)
  .map(([lines, nl, last, d]) => applyDamage(lines.join(nl) + (last ? nl : ''), d))

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { freq: 2 })
/** esb.toml naming only paths: where docker esb reads and writes, aimed at files, links and escapes. */
export const pathToml: fc.Arbitrary<string> = fc
  .record({
    top: maybe(fc.array(pathish, { maxLength: 2 }).map((a) => `env_files = [${a.map(q).join(', ')}]`)),
    templates: fc
      .tuple(fc.boolean(), maybe(pathish), maybe(pathish))
      .map(
        ([r, out, dir]) =>
          `[templates]\nrender = ${r}${out === null ? '' : `\nout = ${q(out)}`}${dir === null ? '' : `\ndir = ${q(dir)}`}`,
      ),
    cache: maybe(pathish.map((p) => `[cache]\ndir = ${q(p)}`)),
    builder: maybe(pathish.map((p) => `[builder]\nbuildkitd_config = ${q(p)}`)),
    bake: maybe(
      fc
        .tuple(pathish, maybe(pathish))
        .map(([p, h]) => `[bake]\nfiles = [${q(p)}]${h === null ? '' : `\n[bake.arg_hashes]\nH = ${q(h)}`}`),
    ),
    fns: maybe(fc.tuple(pathish, pathish).map(([d, a]) => `[functions]\ndockerfiles = ${q(d)}\nartifact = ${q(a)}`)),
  })
  .map((t) => [t.top, t.templates, t.cache, t.builder, t.bake, t.fns].filter((x) => x !== null).join('\n') + '\n')
