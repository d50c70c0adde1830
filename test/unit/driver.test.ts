import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { builderCreateArgv, builderConfigWrites, ensureBuilderStep } from '../../scripts/builder/plan.ts'
import { parseInspect } from '../../scripts/builder/inspect.ts'
import { UsageError } from '../../scripts/errors.ts'
import { tomlSettings } from '../lib/settings.ts'

const settings = (text: string) => tomlSettings(text)
const bad = (text: string, re: RegExp) =>
  assert.throws(
    () => settings(text),
    (e: unknown) => e instanceof UsageError && re.test((e as Error).message),
  )

test('remote: buildx create with the endpoint and TLS files (resolved from the project); no buildkitd.toml; rm without --keep-state', () => {
  const s = settings(
    '[builder]\ndriver = "remote"\nendpoint = "tcp://10.0.0.5:1234"\ncacert = "certs/ca.pem"\ncert = "certs/client.pem"\nkey = "/abs/client-key.pem"\nservername = "buildkitd"\n',
  )
  assert.equal(builderCreateArgv(s, { HTTP_PROXY: 'http://proxy' }, true), [
    'buildx',
    'create',
    '--name',
    'esb-buildx',
    '--driver',
    'remote',
    '--driver-opt',
    'cacert=/p/certs/ca.pem',
    '--driver-opt',
    'cert=/p/certs/client.pem',
    '--driver-opt',
    'key=/abs/client-key.pem',
    '--driver-opt',
    'servername=buildkitd',
    'tcp://10.0.0.5:1234',
  ])
  assert.equal(builderConfigWrites(s, { procEnv: {}, buildkitdConfig: null }), [])
  const st = ensureBuilderStep(s, { procEnv: {}, buildkitdConfig: null }, {})
  assert.equal(st.remove, ['buildx', 'rm', 'esb-buildx'])
  assert.is(st.driver, 'remote')
  assert.match(st.hint, /BuildKit answers on tcp:\/\/10\.0\.0\.5:1234 .*cacert, cert, key and servername/)
  assert.not.ok(st.create.includes('--buildkitd-config'))
})

test('kubernetes: driver options from esb.toml keys (the dry-run plan; not exercised on a cluster here)', () => {
  const s = settings(
    '[builder]\ndriver = "kubernetes"\nnamespace = "ci"\nreplicas = 3\nloadbalance = "sticky"\nrequests_cpu = "2"\nlimits_memory = "8Gi"\nnodeselector = "kubernetes.io/arch=amd64"\nimage = "mirror/buildkit:v0.34"\n',
  )
  assert.equal(builderCreateArgv(s, {}, false), [
    'buildx',
    'create',
    '--name',
    'esb-buildx',
    '--driver',
    'kubernetes',
    '--driver-opt',
    'namespace=ci',
    '--driver-opt',
    'replicas=3',
    '--driver-opt',
    'loadbalance=sticky',
    '--driver-opt',
    'requests.cpu=2',
    '--driver-opt',
    'limits.memory=8Gi',
    '--driver-opt',
    'nodeselector=kubernetes.io/arch=amd64',
    '--driver-opt',
    'image=mirror/buildkit:v0.34',
  ])
  assert.equal(ensureBuilderStep(s, { procEnv: {}, buildkitdConfig: null }, {}).remove, ['buildx', 'rm', 'esb-buildx'])
})

test('docker-container stays the default, network=host, rm --keep-state', () => {
  const s = settings('')
  assert.equal(builderCreateArgv(s, {}, false).slice(4, 8), ['--driver', 'docker-container', '--driver-opt', 'network=host'])
  assert.equal(ensureBuilderStep(s, { procEnv: {}, buildkitdConfig: null }, {}).remove, [
    'buildx',
    'rm',
    '--keep-state',
    'esb-buildx',
  ])
})

test('bad driver settings: one line naming the file, line and key', () => {
  bad(
    '[builder]\ndriver = "docker"',
    /^\/p\/esb\.toml:2: key 'builder\.driver' is "docker"; use "docker-container", "remote", "kubernetes" \(never "docker"/,
  )
  bad('[builder]\ndriver = "remote"', /the remote driver needs key 'builder\.endpoint' = "tcp:\/\/host:port"/)
  bad('[builder]\ndriver = "remote"\nendpoint = "10.0.0.5:1234"', /:3: the remote driver needs .*, not "10\.0\.0\.5:1234"/)
  bad(
    '[builder]\ndriver = "remote"\nendpoint = "tcp://h:1"\ncert = "c.pem"',
    /keys 'builder\.cert' and 'builder\.key' go together/,
  )
  bad('[builder]\nendpoint = "tcp://h:1"', /:2: key 'builder\.endpoint' does not apply to driver "docker-container"/)
  bad(
    '[builder]\ndriver = "remote"\nendpoint = "tcp://h:1"\nimage = "x"',
    /:4: key 'builder\.image' does not apply to driver "remote" \(the server has its own image and config\)/,
  )
  bad('[builder]\ndriver = "kubernetes"\nloadbalance = "roundrobin"', /key 'builder\.loadbalance' is "roundrobin"; use "sticky"/)
  bad('[builder]\ndriver = "kubernetes"\nreplicas = 0', /key 'builder\.replicas' is 0; expected an integer >= 1/)
})

test('buildx inspect output: driver, state, BuildKit version, network=host', () => {
  const out =
    'Name:          esb-buildx\nDriver:        docker-container\nNodes:\nName:                  esb-buildx0\nStatus:                running\nDriver Options:        network="host"\nBuildKit version:      v0.34.2\n'
  assert.equal(parseInspect(out), { driver: 'docker-container', status: 'running', buildkit: 'v0.34.2', networkHost: true })
  assert.equal(parseInspect('Driver: remote\nStatus: inactive\n'), {
    driver: 'remote',
    status: 'inactive',
    buildkit: null,
    networkHost: false,
  })
})

test.run()
