// The stack environment every docker child gets (scripts/plan/env.ts). Pure.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { stackEnv } from '../../scripts/plan/env.ts'
import { settings } from '../lib/settings.ts'

test('env for docker: docker mode', () => {
  const e = stackEnv(settings())
  assert.is(e.BUILDX_BUILDER, 'esb-buildx')
  assert.is(e.CONTAINER_REGISTRY, '127.0.0.1:5010')
  assert.is(e.HOST_REGISTRY_ADDR, '127.0.0.1:5010')
  assert.is(e.PORT_REGISTRY, '5010')
  assert.is(e.PROJECT_NAME, 'esb-default')
  assert.is(e.ESB_TAG, 'latest')
  assert.is(e.ESB_REGISTRY, '127.0.0.1:5010/')
  assert.is(e.DOCKER_BUILDKIT, '1')
  assert.is(e.BUILDX_NO_DEFAULT_ATTESTATIONS, '1')
  assert.is(e.CONTAINER_REGISTRY_INSECURE, undefined)
  assert.is(e.REGISTRY_IMAGE, 'registry:2', 'the infra compose file reads [registry] image from it')
  assert.is(e.REGISTRY_BIND, '127.0.0.1')
  assert.is(e.SOURCE_DATE_EPOCH, '0', 'image timestamps repeat across builders')
})

test('env for docker: containerd mode, other brand keeps the literal ESB_ names too', () => {
  const e = stackEnv(settings({ flags: { brand: 'Acme Prod', mode: 'containerd', tag: 't1' } }))
  assert.is(e.CONTAINER_REGISTRY, 'registry:5010')
  assert.is(e.CONTAINER_REGISTRY_INSECURE, '1')
  assert.is(e.HOST_REGISTRY_ADDR, '127.0.0.1:5010')
  assert.is(e.ACME_PROD_TAG, 't1')
  assert.is(e.ACME_PROD_REGISTRY, '127.0.0.1:5010/')
  assert.is(e.ESB_TAG, 't1')
  assert.is(e.BUILDX_BUILDER, 'acme-prod-buildx')
})

test.run()
