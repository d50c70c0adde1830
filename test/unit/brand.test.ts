import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { deriveBrand, brandWarnings, BrandError, MAX_SLUG } from '../../scripts/project/brand.ts'

test('esb', () => {
  const c = deriveBrand('esb')
  assert.is(c.SLUG, 'esb')
  assert.is(c.CLI_NAME, 'esb')
  assert.is(c.ENV_PREFIX, 'ESB')
  assert.is(c.ENV_PREFIX_VAR, '${ESB')
  assert.is(c.LABEL_PREFIX, 'com.esb')
  assert.is(c.HOME_DIR, '.esb')
  assert.is(c.OUTPUT_DIR, '.esb')
  assert.is(c.STAGING_DIR, '.staging')
  assert.is(c.ROOT_CA_MOUNT_ID, 'esb_root_ca')
  assert.is(c.ROOT_CA_CERT_FILENAME, 'rootCA.crt')
  assert.is(c.RUNTIME_CNI_NAME, 'esb-net')
  assert.is(c.RUNTIME_CNI_BRIDGE, 'esb0')
  assert.is(c.RUNTIME_CNI_DIR, '/run/esb/cni')
  assert.is(c.RUNTIME_RESOLV_CONF_PATH, '/run/containerd/esb/resolv.conf')
  assert.is(c.RUNTIME_LABEL_ENV, 'esb_env')
  assert.is(c.RUNTIME_LABEL_FUNCTION, 'esb_function')
  assert.is(c.RUNTIME_LABEL_CREATED_BY, 'created_by')
  assert.is(c.RUNTIME_LABEL_CREATED_BY_VALUE, 'esb-agent')
  assert.is(c.RUNTIME_CGROUP_LEAF, 'runtime-node')
  assert.is(c.RUNTIME_CGROUP_PARENT, 'esb')
  assert.is(c.RUNTIME_NAMESPACE, 'esb')
  assert.is(c.RUNTIME_CONTAINER_PREFIX, 'esb')
})

test('the contract keys are all there (plus IMAGE_PREFIX of the reference tool)', () => {
  assert.is(Object.keys(deriveBrand('x')).length, 23)
})

test('Acme Prod', () => {
  const c = deriveBrand('Acme Prod')
  assert.is(c.SLUG, 'acme-prod')
  assert.is(c.ENV_PREFIX, 'ACME_PROD')
  assert.is(c.LABEL_PREFIX, 'com.acme-prod')
  assert.is(c.HOME_DIR, '.acme-prod')
})

test('runs of other characters collapse; ends are trimmed', () => {
  assert.is(deriveBrand('  --My__Brand!!v2--  ').SLUG, 'my-brand-v2')
  assert.is(deriveBrand('  --My__Brand!!v2--  ').ENV_PREFIX, 'MY_BRAND_V2')
  assert.is(deriveBrand('ÉTÉ brand').SLUG, 't-brand')
})

const fails = (brand: string, re: RegExp) =>
  assert.throws(
    () => deriveBrand(brand, 'esb.toml'),
    (e: unknown) => e instanceof BrandError && re.test((e as Error).message),
  )

test('empty and blank brands', () => {
  fails('', /non-empty/)
  fails('   ', /non-empty/)
})

test('no alphanumeric character', () => fails('!!!', /at least one alphanumeric/))

test('env prefix must start with a letter', () => {
  fails('9lives', /must start with a letter/)
})

test('the error names where the brand came from and the brand', () => {
  fails('9lives', /^esb\.toml: brand "9lives"/)
})

test('a slug longer than the limit is refused up front, naming the source and the limit', () => {
  assert.is(deriveBrand('a'.repeat(MAX_SLUG)).SLUG.length, MAX_SLUG)
  fails(
    'a'.repeat(300),
    /^esb\.toml: brand "a{24}\.\.\." gives a 300-character slug; use a brand whose slug has at most 40 characters/,
  )
  fails('x'.repeat(MAX_SLUG + 1), /41-character slug/)
  assert.not.match(
    String(
      (() => {
        try {
          deriveBrand('a'.repeat(300))
        } catch (e) {
          return (e as Error).message
        }
      })(),
    ),
    /\n/,
  )
})

test('a brand whose slug drops non-ASCII letters warns, naming them and the slug', () => {
  assert.is(deriveBrand('ñandú').SLUG, 'and')
  const w = brandWarnings('ñandú', 'esb.toml')
  assert.is(w.length, 1)
  assert.match(w[0], /^brand "ñandú" \(from esb\.toml\) gives slug "and": ñ ú are not ASCII and dropped; use the brand "nandu"/)
  assert.equal(brandWarnings('Acme Prod'), [])
  assert.equal(brandWarnings('  --My__Brand!!v2--  '), [])
  assert.match(brandWarnings('東京 x')[0], /東 京 are not ASCII and dropped; use an ASCII brand/)
})

test("a slug too long for a Linux interface name warns about containerd mode's CNI bridge", () => {
  assert.equal(brandWarnings('abcdefghijklmn'), [], '14 characters: abcdefghijklmn0 fits')
  assert.equal(brandWarnings('abcdefghijklmno', 'esb.toml'), [
    `brand "abcdefghijklmno" (from esb.toml): containerd mode's CNI bridge RUNTIME_CNI_BRIDGE=abcdefghijklmno0 is 16 characters, over Linux's 15; use a brand whose slug has at most 14 characters for containerd mode`,
  ])
})

test.run()
