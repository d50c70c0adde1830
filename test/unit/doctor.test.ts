import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checks, checksText, type Facts } from '../../scripts/doctor/checks.ts'

const good: Facts = {
  engine: { version: '28.2.2', error: null },
  buildx: '0.29.1',
  compose: '2.40.3',
  composeBakeEnv: undefined,
  builder: {
    name: 'esb-buildx',
    exists: true,
    driver: 'docker-container',
    status: 'running',
    buildkit: 'v0.34.2',
    networkHost: true,
    reachesRegistry: true,
    drift: 'match',
  },
  registry: {
    url: 'http://127.0.0.1:5010/v2/',
    bind: '127.0.0.1',
    answers: true,
    distribution: true,
    container: 'esb-infra-registry',
    containerProject: 'esb-infra',
    expectedProject: 'esb-infra',
    running: true,
    publishedOn: '127.0.0.1:5010',
    diskBytes: 1048576,
  },
  proxy: { http: undefined, noProxy: undefined },
  localhostFirst: '127.0.0.1',
  cache: { dir: '/p/.esb/buildx-cache', freeBytes: 50 * 1024 ** 3 },
  buildkitdConfig: '.esb/buildkitd.toml',
  builderDriver: 'docker-container',
}
const withF = (over: (f: Facts) => void) => {
  const f = structuredClone(good)
  over(f)
  return checks(f)
}
const failed = (cs: ReturnType<typeof checks>) => cs.filter((c) => c.status === 'fail').map((c) => [c.check, c.detail, c.fix])

test('all good: no failure, one line per check', () => {
  assert.equal(failed(checks(good)), [])
  assert.match(checksText(checks(good)), /^ok {4}engine +docker engine 28\.2\.2$/m)
  assert.match(checksText(checks(good)), /^info {2}compose build +builds through bake$/m)
})

test('each failure names what is wrong and how to fix it', () => {
  assert.equal(
    failed(
      withF((f) => {
        f.engine = { version: null, error: 'Cannot connect to the Docker daemon' }
      }),
    )[0],
    [
      'engine',
      'not reachable: Cannot connect to the Docker daemon',
      'start Docker (or check DOCKER_HOST / --context) until `docker version` shows a Server',
    ],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.buildx = '0.12.0'
      }),
    )[0].slice(0, 2),
    ['buildx', 'buildx 0.12.0'],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.buildx = null
      }),
    )[0].slice(0, 2),
    ['buildx', 'docker buildx is not installed'],
  )
  assert.match(
    String(
      failed(
        withF((f) => {
          f.compose = '2.17.3'
        }),
      )[0][2],
    ),
    /install compose >= 2\.20/,
  )
  assert.equal(
    failed(
      withF((f) => {
        f.builder.driver = 'docker'
      }),
    )[0][0],
    'builder',
  )
  assert.equal(
    failed(
      withF((f) => {
        f.builder.networkHost = false
      }),
    )[0][0],
    'builder network',
  )
  assert.equal(
    failed(
      withF((f) => {
        f.builder.reachesRegistry = false
      }),
    )[0].slice(0, 2),
    ['registry from the builder', 'http://127.0.0.1:5010/v2/ does not answer inside esb-buildx'],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.builder.drift = 'changed'
      }),
    )[0].slice(0, 2),
    ['builder config', 'esb-buildx no longer matches its options or .esb/buildkitd.toml'],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.registry.distribution = false
      }),
    )[0][0],
    'registry',
  )
  assert.equal(
    failed(
      withF((f) => {
        f.registry.answers = false
      }),
    )[0].slice(0, 2),
    ['registry', 'esb-infra-registry runs but http://127.0.0.1:5010/v2/ does not answer'],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.registry.publishedOn = '0.0.0.0:5010'
      }),
    )[0].slice(0, 2),
    ['registry bind', 'published on 0.0.0.0:5010, reachable from the network'],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.proxy = { http: 'http://proxy:3128', noProxy: 'localhost' }
      }),
    )[0].slice(0, 2),
    ['proxy', 'a proxy is set (http://proxy:3128) and NO_PROXY leaves out 127.0.0.1, registry'],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.cache.freeBytes = 100 * 1024 ** 2
      }),
    )[0].slice(0, 2),
    ['disk', '0.1 GB free for /p/.esb/buildx-cache'],
  )
  const refused =
    "registry reg:5000 refused the credentials for reg:5000 in /h/.docker/config.json (HTTP 401); run 'docker login reg:5000' with the right user and password"
  assert.equal(
    failed(
      withF((f) => {
        f.buildRegistry = { address: 'reg:5000', error: refused }
      }),
    )[0],
    ['build registry', refused, "check [registry] build_address and build_ca in esb.toml, and 'docker login reg:5000'"],
  )
  assert.match(
    checksText(
      withF((f) => {
        f.buildRegistry = { address: 'reg:5000', error: null }
      }),
    ),
    /^ok {4}build registry +reg:5000 answers and takes your credentials$/m,
  )
})

test('not failures: no builder or registry yet (build makes them), compose without bake, a proxy with NO_PROXY set', () => {
  assert.equal(
    failed(
      withF((f) => {
        f.builder.exists = false
        f.registry.answers = false
        f.registry.running = false
        f.registry.containerProject = null
      }),
    ),
    [],
  )
  assert.match(
    checksText(
      withF((f) => {
        f.compose = '2.30.0'
      }),
    ),
    /builds without bake \(compose 2\.30\.0\)/,
  )
  assert.match(
    checksText(
      withF((f) => {
        f.compose = '2.31.0'
        f.composeBakeEnv = 'true'
      }),
    ),
    /compose build +builds through bake/,
  )
  assert.equal(
    failed(
      withF((f) => {
        f.proxy = { http: 'http://p:3128', noProxy: '127.0.0.1,localhost,registry' }
      }),
    ),
    [],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.proxy = { http: 'http://p:3128', noProxy: '*' }
      }),
    ),
    [],
  )
  assert.equal(
    failed(
      withF((f) => {
        f.proxy = { http: 'http://p:3128', noProxy: '127.0.0.0/8,localhost,registry' }
      }),
    ),
    [],
  )
  // the registry container of the repo's own compose project is used as it is; localhost -> ::1 is only worth knowing
  assert.equal(
    failed(
      withF((f) => {
        f.registry.containerProject = 'other'
        f.localhostFirst = '::1'
      }),
    ),
    [],
  )
  assert.match(
    checksText(
      withF((f) => {
        f.localhostFirst = '::1'
      }),
    ),
    /^info {2}localhost +resolves to ::1 first: use 127\.0\.0\.1/m,
  )
})

test.run()
