import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveSettings, type Inputs } from '../../scripts/project/config.ts'
import { loadInputs, parseToml, parseBrandingYaml } from '../../scripts/project/read.ts'
import { parseEnvFile } from '../../scripts/project/envfile.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { lineOf } from '../../scripts/project/schema.ts'
import { UsageError } from '../../scripts/errors.ts'

const base = (over: Partial<Inputs> = {}): Inputs => ({
  projectDir: '/p',
  flags: {},
  processEnv: {},
  toml: null,
  brandingYaml: null,
  envFiles: [],
  ...over,
})
const toml = (text: string) => ({ file: '/p/esb.toml', data: parseToml('/p/esb.toml', text), text })
const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test((e as Error).message)

test('defaults', () => {
  const s = resolveSettings(base())
  assert.is(s.brand, 'esb')
  assert.is(s.mode, 'docker')
  assert.is(s.env, 'default')
  assert.is(s.tag, 'latest')
  assert.is(s.projectName, 'esb-default')
  assert.is(s.registry.port, 5010)
  assert.is(s.registry.bind, '127.0.0.1')
  assert.is(s.registry.buildAddress, '127.0.0.1:5010')
  assert.is(s.registry.runtimeAddress, '127.0.0.1:5010')
  assert.is(s.registry.containerName, 'esb-infra-registry')
  assert.is(s.builder.name, 'esb-buildx')
  assert.is(s.builder.buildkitdConfig, '/p/.esb/buildkitd.toml')
  assert.is(s.cache.dir, '/p/.esb/buildx-cache')
  assert.is(s.cache.refPrefix, '127.0.0.1:5010/esb-cache')
  assert.equal(s.cache.mode, { bases: 'max', control: 'max', functions: 'min' })
  assert.is(s.templates.out, '/p')
  assert.is(s.functions.dockerfiles, 'functions/*/Dockerfile')
})

test('containerd mode: runtime pulls registry:5010, builds still push to 127.0.0.1', () => {
  const s = resolveSettings(base({ flags: { mode: 'containerd' } }))
  assert.is(s.registry.runtimeAddress, 'registry:5010')
  assert.is(s.registry.buildAddress, '127.0.0.1:5010')
  assert.ok(s.registry.runtimeInsecure)
})

test('brand precedence: flag > esb.toml > branding.yaml > esb', () => {
  const y = { file: '/p/config/branding.yaml', brand: 'yaml-brand' }
  assert.is(resolveSettings(base({ brandingYaml: y })).slug, 'yaml-brand')
  assert.is(resolveSettings(base({ brandingYaml: y, toml: toml('brand = "Toml Brand"') })).slug, 'toml-brand')
  assert.is(resolveSettings(base({ brandingYaml: y, toml: toml('brand = "Toml Brand"'), flags: { brand: 'Flag' } })).slug, 'flag')
})

test('value precedence: flag > process env > env files > esb.toml > default', () => {
  const t = toml('tag = "from-toml"\n[registry]\nport = 6000\n')
  const files = [{ file: '/p/.env', vars: { ESB_TAG: 'from-file', PORT_REGISTRY: '6001' } }]
  assert.is(resolveSettings(base({ toml: t })).tag, 'from-toml')
  assert.is(resolveSettings(base({ toml: t, envFiles: files })).tag, 'from-file')
  assert.is(resolveSettings(base({ toml: t, envFiles: files, processEnv: { ESB_TAG: 'from-env' } })).tag, 'from-env')
  assert.is(
    resolveSettings(base({ toml: t, envFiles: files, processEnv: { ESB_TAG: 'from-env' }, flags: { tag: 'from-flag' } })).tag,
    'from-flag',
  )
  assert.is(resolveSettings(base({ toml: t })).registry.port, 6000)
  assert.is(resolveSettings(base({ toml: t, envFiles: files })).registry.port, 6001)
  assert.is(resolveSettings(base({ toml: t, envFiles: files, processEnv: { PORT_REGISTRY: '6002' } })).registry.port, 6002)
})

test('later env files win over earlier ones', () => {
  const files = [
    { file: '/p/.env', vars: { ESB_ENV: 'one' } },
    { file: '/p/extra.env', vars: { ESB_ENV: 'two' } },
  ]
  assert.is(resolveSettings(base({ envFiles: files })).env, 'two')
})

test('the env prefix follows the brand', () => {
  const s = resolveSettings(
    base({ flags: { brand: 'Acme Prod' }, processEnv: { ACME_PROD_MODE: 'containerd', ESB_MODE: 'docker' } }),
  )
  assert.is(s.mode, 'containerd')
  assert.is(s.builder.name, 'acme-prod-buildx')
  assert.is(s.projectName, 'acme-prod-default')
})

test('BUILDX_BUILDER, PROJECT_NAME, CONTAINER_REGISTRY, REGISTRY_CONTAINER_NAME from the environment', () => {
  const s = resolveSettings(
    base({
      processEnv: {
        BUILDX_BUILDER: 'mine',
        PROJECT_NAME: 'pn',
        CONTAINER_REGISTRY: '10.0.0.1:5000',
        REGISTRY_CONTAINER_NAME: 'r',
      },
    }),
  )
  assert.is(s.builder.name, 'mine')
  assert.is(s.projectName, 'pn')
  assert.is(s.registry.runtimeAddress, '10.0.0.1:5000')
  assert.is(s.registry.containerName, 'r')
})

test('full esb.toml', () => {
  const s = resolveSettings(
    base({
      toml: toml(`
brand = "acme"
mode = "containerd"
env = "ci"
tag = "v1"
env_files = ["ci.env"]
[registry]
port = 5999
bind = "0.0.0.0"
image = "mirror/registry:2"
container_name = "acme-reg"
[builder]
name = "acme-b"
image = "mirror/buildkit:1"
driver_opts = ["memory=2g"]
buildkitd_config = "bk.toml"
[cache]
local = false
dir = "cache"
registry = true
ref_prefix = "127.0.0.1:5999/c"
mode = "min"
[templates]
dir = "tmpl"
out = "gen"
[bake]
files = ["a.hcl", "b.hcl"]
groups = ["g"]
provenance = true
[functions]
dockerfiles = "fns/**/Dockerfile"
`),
    }),
  )
  assert.is(s.slug, 'acme')
  assert.is(s.mode, 'containerd')
  assert.is(s.projectName, 'acme-ci')
  assert.is(s.registry.port, 5999)
  assert.is(s.registry.bind, '0.0.0.0')
  assert.is(s.registry.image, 'mirror/registry:2')
  assert.is(s.builder.image, 'mirror/buildkit:1')
  assert.equal(s.builder.driverOpts, ['memory=2g'])
  assert.is(s.builder.buildkitdConfig, '/p/bk.toml')
  assert.is(s.cache.local, false)
  assert.is(s.cache.dir, '/p/cache')
  assert.equal(s.cache.mode, { bases: 'min', control: 'min', functions: 'min' })
  assert.is(s.templates.dir, '/p/tmpl')
  assert.is(s.templates.out, '/p/gen')
  assert.equal(s.bake.files, ['a.hcl', 'b.hcl'])
  assert.ok(s.bake.provenance)
  assert.is(s.functions.dockerfiles, 'fns/**/Dockerfile')
})

// ---- every error is one line naming file, key (and line) and the expected form ----
const bad = (text: string, re: RegExp) => assert.throws(() => resolveSettings(base({ toml: toml(text) })), usage(re))

test('unknown keys', () => {
  bad('brnad = "x"', /^\/p\/esb\.toml:1: unknown key 'brnad'; known keys: brand/)
  bad('[registry]\nprot = 1', /^\/p\/esb\.toml:2: unknown key 'registry\.prot'; known keys in \[registry\]: port/)
})

test('[cache] mode: one mode for every kind, or a table for some', () => {
  const m = (t: string) => resolveSettings(base({ toml: toml(t) })).cache.mode
  assert.equal(m('[cache]\nmode = "max"'), { bases: 'max', control: 'max', functions: 'max' })
  assert.equal(m('[cache]\nmode = { control = "min" }'), { bases: 'max', control: 'min', functions: 'min' })
  assert.equal(m('[cache.mode]\nfunctions = "max"'), { bases: 'max', control: 'max', functions: 'max' })
})

test('SOURCE_DATE_EPOCH for builds: 0 unless the environment or [bake] source_date_epoch says; a non-number is one line', () => {
  assert.is(resolveSettings(base()).bake.sourceDateEpoch, '0')
  assert.is(resolveSettings(base({ processEnv: { SOURCE_DATE_EPOCH: '1700000000' } })).bake.sourceDateEpoch, '1700000000')
  assert.is(resolveSettings(base({ toml: toml('[bake]\nsource_date_epoch = "1600000000"') })).bake.sourceDateEpoch, '1600000000')
  assert.throws(
    () => resolveSettings(base({ toml: toml('[bake]\nsource_date_epoch = "yesterday"') })),
    usage(/^\/p\/esb\.toml: key 'bake\.source_date_epoch': SOURCE_DATE_EPOCH "yesterday" is not a number of seconds since 1970/),
  )
})

test('wrong types', () => {
  bad('mode = "podman"', /^\/p\/esb\.toml:1: key 'mode' is "podman"; expected "docker" or "containerd"/)
  bad('[registry]\nport = 70000', /:2: key 'registry\.port' is 70000; expected an integer port 1-65535/)
  bad('[registry]\nport = "x"', /key 'registry\.port' is "x"; expected an integer port/)
  bad('[cache]\nlocal = "yes"', /key 'cache\.local' is "yes"; expected true or false/)
  bad('[bake]\nfiles = "a.hcl"', /key 'bake\.files' is "a\.hcl"; expected a list of strings/)
  bad('[cache]\nmode = "all"', /expected "max" or "min"/)
  bad(
    '[cache]\nmode = { function = "min" }',
    /:2: key 'cache\.mode' is \{"function":"min"\}; expected "max" or "min", or a table \{ bases = \.\.\., control = \.\.\., functions = \.\.\. \}/,
  )
  bad('[cache]\nmode = { bases = "none" }', /key 'cache\.mode' is \{"bases":"none"\}/)
  bad('registry = 1', /\[registry\] must be a table/)
})

test('bad values from the environment name the variable', () => {
  assert.throws(
    () => resolveSettings(base({ processEnv: { PORT_REGISTRY: '0' } })),
    usage(/^environment variable PORT_REGISTRY is "0"; expected an integer port/),
  )
  assert.throws(
    () => resolveSettings(base({ processEnv: { ESB_MODE: 'k8s' } })),
    usage(/^environment variable ESB_MODE is "k8s"/),
  )
  assert.throws(
    () => resolveSettings(base({ envFiles: [{ file: '/p/.env', vars: { PORT_REGISTRY: 'abc' } }] })),
    usage(/^\/p\/\.env: PORT_REGISTRY is "abc"/),
  )
  assert.throws(() => resolveSettings(base({ flags: { mode: 'x' } })), usage(/^--mode is "x"/))
  assert.throws(() => resolveSettings(base({ processEnv: { CONTAINER_REGISTRY: 'localhost:5010' } })), usage(/use 127\.0\.0\.1/))
  assert.throws(() => resolveSettings(base({ flags: { tag: 'a b' } })), usage(/tag "a b" is not a valid image tag/))
  assert.throws(() => resolveSettings(base({ flags: { env: 'Prod!' } })), usage(/^--env: env name "Prod!"/))
  assert.throws(() => resolveSettings(base({ toml: toml('env = ""') })), usage(/^\/p\/esb\.toml: key 'env': env name ""/))
  assert.throws(() => resolveSettings(base({ toml: toml('tag = "a b"') })), usage(/^\/p\/esb\.toml: key 'tag': tag "a b"/))
  assert.throws(
    () => resolveSettings(base({ toml: toml('[registry]\nruntime_address = "localhost:5000"') })),
    usage(/^\/p\/esb\.toml: key 'registry\.runtime_address': localhost:5000 uses localhost/),
  )
})

test('invalid brands name their source', () => {
  assert.throws(
    () => resolveSettings(base({ toml: toml('brand = "!!"') })),
    usage(/^\/p\/esb\.toml: key 'brand': brand "!!" must include at least one alphanumeric/),
  )
  assert.throws(
    () => resolveSettings(base({ brandingYaml: { file: '/p/config/branding.yaml', brand: '1x' } })),
    usage(/^\/p\/config\/branding\.yaml: brand "1x" must start with a letter/),
  )
})

test('PROJECT_NAME is checked as compose checks it, naming where it came from', () => {
  assert.throws(
    () => resolveSettings(base({ processEnv: { PROJECT_NAME: 'a\nb' } })),
    usage(/^environment variable PROJECT_NAME is "a\\nb"; a compose project name must be lowercase letters, digits, - or _/),
  )
  assert.throws(
    () => resolveSettings(base({ toml: toml('project_name = "My App"') })),
    usage(/^\/p\/esb\.toml: key 'project_name' is "My App"; a compose project name/),
  )
  assert.throws(
    () => resolveSettings(base({ envFiles: [{ file: '/p/.env', vars: { PROJECT_NAME: '-x' } }] })),
    usage(/^\/p\/\.env: PROJECT_NAME is "-x"/),
  )
  assert.is(resolveSettings(base({ processEnv: { PROJECT_NAME: 'my_app-2' } })).projectName, 'my_app-2')
})

test('a too long brand fails in the settings, naming its source', () => {
  assert.throws(
    () => resolveSettings(base({ toml: toml(`brand = "${'a'.repeat(300)}"`) })),
    usage(/^\/p\/esb\.toml: key 'brand': brand "a+\.\.\." gives a 300-character slug; use a brand whose slug has at most 40/),
  )
  assert.throws(
    () => resolveSettings(base({ brandingYaml: { file: '/p/config/branding.yaml', brand: 'b'.repeat(300) } })),
    usage(/^\/p\/config\/branding\.yaml: brand/),
  )
})

test('settings carry the brand warnings; a plain brand has none', () => {
  assert.equal(resolveSettings(base()).warnings, [])
  const s = resolveSettings(base({ flags: { brand: 'ñandú' } }))
  assert.is(s.slug, 'and')
  assert.equal(s.warnings.length, 1)
  assert.match(s.warnings[0], /^brand "ñandú" \(from --brand\) gives slug "and"/)
})

test('malformed TOML gives file and line', () => {
  assert.throws(
    () => parseToml('/p/esb.toml', 'a = 1\nb = [\n'),
    usage(/^\/p\/esb\.toml:3: malformed TOML: Unterminated inline array/),
  )
  assert.throws(() => parseToml('/p/esb.toml', 'a = = 1'), usage(/^\/p\/esb\.toml:1: malformed TOML/))
})

test('branding.yaml: comments and quotes; errors', () => {
  assert.is(parseBrandingYaml('b.yaml', '# c\nbrand: "Acme Prod" # inline\n'), 'Acme Prod')
  assert.is(parseBrandingYaml('b.yaml', "brand: 'x'\n"), 'x')
  assert.is(parseBrandingYaml('b.yaml', 'brand: acme # c\n'), 'acme')
  assert.throws(() => parseBrandingYaml('b.yaml', 'name: x\n'), usage(/^b\.yaml: missing key 'brand'/))
  assert.throws(() => parseBrandingYaml('b.yaml', 'brand: ""\n'), usage(/non-empty string/))
  assert.throws(() => parseBrandingYaml('b.yaml', 'brand: [x\n'), usage(/^b\.yaml(:\d+)?: malformed YAML/))
})

test('env files: KEY=VALUE, export, quotes, comments; bad lines name file and line', () => {
  assert.equal(parseEnvFile('e', '# c\nA=1\nexport B="two words"\n\nC=a=b\n'), { A: '1', B: 'two words', C: 'a=b' })
  assert.throws(() => parseEnvFile('/p/.env', 'A=1\nthis is not\n'), usage(/^\/p\/\.env:2: not a KEY=VALUE line/))
})

test('lineOf finds keys in sections', () => {
  assert.is(lineOf('a = 1\n[registry]\nport = 2\n', 'registry', 'port'), 3)
  assert.is(lineOf('a = 1\n', '', 'a'), 1)
  assert.is(lineOf('a = 1\n', 'x', 'a'), null)
})

test('env files: $VAR from the process environment first, then earlier files (as compose)', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-envfiles-'))
  fs.writeFileSync(path.join(d, '.env'), 'BASE=from-dotenv\nHOMEISH=$FROM_PROCESS\n')
  fs.writeFileSync(path.join(d, 'extra.env'), 'DERIVED=${BASE}-x\n')
  const inp = loadInputs(d, { envFiles: [path.join(d, 'extra.env')] }, { FROM_PROCESS: 'proc' })
  assert.equal(
    inp.envFiles.map((f) => f.vars),
    [{ BASE: 'from-dotenv', HOMEISH: 'proc' }, { DERIVED: 'from-dotenv-x' }],
  )
  fs.rmSync(d, { recursive: true })
})

test.run()
