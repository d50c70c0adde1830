import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync, spawn } from 'node:child_process'
import { deriveBrand } from '../../scripts/project/brand.ts'
import { renderString, renderTemplates, planWrites, driftDiffs, newFileMode } from '../../scripts/render/render.ts'
import { applyWrites, readStates } from '../../scripts/render/files.ts'
import { bundledTemplates, loadTemplateDir } from '../../scripts/render/templates.ts'
import { UsageError } from '../../scripts/errors.ts'

const esb = deriveBrand('esb')
const acme = deriveBrand('Acme Prod')
const usage = (re: RegExp) => (e: unknown) => e instanceof UsageError && re.test((e as Error).message)

test('placeholders with and without inner spaces', () => {
  assert.is(
    renderString('a {{SLUG}} b {{ ENV_PREFIX }} c {{  LABEL_PREFIX}}', acme, 'f'),
    'a acme-prod b ACME_PROD c com.acme-prod',
  )
})

test('compose/HCL ${VAR:-default} passes through; ENV_PREFIX_VAR builds one', () => {
  assert.is(
    renderString('${PORT_REGISTRY:-5010} {{ENV_PREFIX_VAR}}_TAG:-latest}', acme, 'f'),
    '${PORT_REGISTRY:-5010} ${ACME_PROD_TAG:-latest}',
  )
})

test('unknown key names the key and the file', () => {
  assert.throws(
    () => renderString('{{NOPE}}', esb, 'templates/x.tmpl'),
    usage(/^templates\/x\.tmpl: unknown template key \{\{NOPE\}\}/),
  )
})

test('a value containing a placeholder is an error', () => {
  const ctx = { ...esb, SLUG: '{{HOME_DIR}}' }
  assert.throws(() => renderString('{{SLUG}}', ctx, 'f'), usage(/still present after rendering/))
})

test('lowercase braces are not placeholders', () => {
  assert.is(renderString('{{ .Values.x }} {{lower}}', esb, 'f'), '{{ .Values.x }} {{lower}}')
})

test('a known key in the wrong case or unclosed is an error naming file and line', () => {
  assert.throws(
    () => renderString('a\nb {{ slug }}\n', esb, 't/x.tmpl'),
    usage(/^t\/x\.tmpl:2: "\{\{ slug \}\}" is not a placeholder; write \{\{SLUG\}\}/),
  )
  assert.throws(
    () => renderString('{{Env_Prefix}}', esb, 'f'),
    usage(/^f:1: "\{\{Env_Prefix\}\}" is not a placeholder; write \{\{ENV_PREFIX\}\}/),
  )
  assert.throws(
    () => renderString('x\ny\nname: {{SLUG\n', esb, 'f'),
    usage(/^f:3: "\{\{SLUG" is not a placeholder; write \{\{SLUG\}\}/),
  )
  assert.throws(() => renderString('{{SLUG}-x', esb, 'f'), usage(/^f:1: "\{\{SLUG" is not a placeholder/))
  assert.throws(
    () => renderString('a: {{NOT_A_KEY\n', esb, 'f'),
    usage(/^f:1: unterminated placeholder "\{\{NOT_A_KEY"; close it with \}\}/),
  )
  assert.throws(
    () => renderTemplates([{ relPath: '{{slug}}.mk.tmpl', content: '', source: 'tm/{{slug}}.mk.tmpl' }], esb),
    usage(/^tm\/\{\{slug\}\}\.mk\.tmpl \(path\): "\{\{slug\}\}" is not a placeholder/),
  )
})

test('other {{ ... }} (Go and Helm templates) still pass through', () => {
  const go = '{{.Name}} {{ .Values.x }} {{- if .X }}{{ end -}} {{lower}} {{ range $i := .L }} {{"{{"}} {{ printf "%s" .S }}\n'
  assert.is(renderString(go, esb, 'f'), go)
  assert.is(renderString('{{ SLUG }}-{{\n  HOME_DIR\n}}', esb, 'f'), 'esb-.esb')
})

test('the bundled templates and the examples still render', () => {
  assert.ok(renderTemplates(bundledTemplates(), acme).length > 0)
  for (const ex of fs.readdirSync(path.join(import.meta.dirname, '../../examples'))) {
    const dir = path.join(import.meta.dirname, '../../examples', ex, 'templates')
    if (fs.existsSync(dir)) assert.ok(renderTemplates(loadTemplateDir(dir), acme).length > 0, ex)
  }
})

test('a template that is not a regular file (a FIFO) is refused, not read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-fifo-'))
  fs.writeFileSync(path.join(dir, 'a.txt.tmpl'), '{{SLUG}}')
  execFileSync('mkfifo', [path.join(dir, 'b.txt.tmpl')])
  // a writer that ends a read of the FIFO (an unfixed reader would block here forever, not fail)
  const writer = spawn('sh', ['-c', 'exec 3>"$0"', path.join(dir, 'b.txt.tmpl')], { stdio: 'ignore' })
  try {
    assert.throws(
      () => loadTemplateDir(dir),
      usage(/^template .*\/b\.txt\.tmpl is not a regular file \(a FIFO\); replace it with a file or remove it$/),
    )
  } finally {
    writer.kill()
    fs.rmSync(dir, { recursive: true })
  }
})

test('an existing output that is not a regular file (a FIFO, a folder) is refused, not read or replaced', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-fifo-out-'))
  execFileSync('mkfifo', [path.join(dir, 'b.txt')])
  fs.mkdirSync(path.join(dir, 'c.txt'))
  const writer = spawn('sh', ['-c', 'exec 3>"$0"', path.join(dir, 'b.txt')], { stdio: 'ignore' })
  try {
    const r = (rel: string) => [{ relPath: rel, content: 'x', template: 'x.tmpl' }]
    assert.throws(
      () => readStates(dir, r('b.txt')),
      usage(
        /\/b\.txt: output is not a regular file \(a FIFO\); docker esb writes only regular files: remove it or choose another --out$/,
      ),
    )
    assert.throws(() => readStates(dir, r('c.txt')), usage(/\/c\.txt: output is not a regular file \(a folder\)/))
    assert.ok(fs.statSync(path.join(dir, 'b.txt')).isFIFO(), 'the FIFO is untouched')
  } finally {
    writer.kill()
    fs.rmSync(dir, { recursive: true })
  }
})

test('output paths are rendered and lose .tmpl', () => {
  const r = renderTemplates([{ relPath: '{{SLUG}}/meta.go.tmpl', content: 'x', source: 's' }], acme)
  assert.is(r[0].relPath, 'acme-prod/meta.go')
})

test('output paths outside the output dir are refused', () => {
  for (const p of ['../x.tmpl', '/etc/x.tmpl', 'a/../../x.tmpl']) {
    assert.throws(() => renderTemplates([{ relPath: p, content: '', source: p }], esb), usage(/outside the output dir/), p)
  }
})

test('CRLF templates render with LF, like the reference tool', () => {
  assert.is(renderTemplates([{ relPath: 'a.tmpl', content: 'x\r\ny\r\n', source: 'a' }], esb)[0].content, 'x\ny\n')
})

test('byte-identical to the reference tool on its infra template', () => {
  const tmpl =
    'container_name: ${REGISTRY_CONTAINER_NAME:-{{SLUG}}-infra-registry}\n    name: ${NETWORK_EXTERNAL:-${PROJECT_NAME:-{{SLUG}}-${ENV:-default}}-external}\n'
  const want =
    'container_name: ${REGISTRY_CONTAINER_NAME:-acme-prod-infra-registry}\n    name: ${NETWORK_EXTERNAL:-${PROJECT_NAME:-acme-prod-${ENV:-default}}-external}\n'
  assert.is(renderString(tmpl, acme, 't'), want)
})

test('only new or changed files are written; new files get 0644, *.sh 0755', () => {
  const rendered = renderTemplates(
    [
      { relPath: 'a.tmpl', content: '{{SLUG}}', source: 'a' },
      { relPath: 'b.tmpl', content: 'same', source: 'b' },
      { relPath: 'run.sh.tmpl', content: '#!/bin/sh', source: 'c' },
    ],
    esb,
  )
  const w = planWrites(
    rendered,
    new Map([
      ['a', 'old'],
      ['b', 'same'],
      ['run.sh', null],
    ]),
  )
  assert.equal(
    w.map((x) => [x.relPath, x.reason, x.mode]),
    [
      ['a', 'changed', null],
      ['run.sh', 'new', 0o755],
    ],
  )
  assert.is(newFileMode('x.yml'), 0o644)
})

test('drift diffs go current -> generated', () => {
  const rendered = renderTemplates([{ relPath: 'a.tmpl', content: 'one\ntwo\n', source: 'a' }], esb)
  const d = driftDiffs(rendered, new Map([['a', 'one\nTWO\n']]))
  assert.is(d.length, 1)
  assert.match(d[0].diff, /--- current\/a/)
  assert.match(d[0].diff, /\+\+\+ generated\/a/)
  assert.match(d[0].diff, /-TWO\n\+two/)
  assert.is(driftDiffs(rendered, new Map([['a', 'one\ntwo\n']])).length, 0)
})

test('writing keeps an existing mode and refuses symlink escapes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-unit-'))
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'esb-unit-out-'))
  try {
    fs.writeFileSync(path.join(dir, 'x.sh'), 'old')
    fs.chmodSync(path.join(dir, 'x.sh'), 0o700)
    applyWrites(dir, [
      { relPath: 'x.sh', content: 'new', mode: null, reason: 'changed' },
      { relPath: 'sub/y.yml', content: 'y', mode: 0o644, reason: 'new' },
    ])
    assert.is(fs.statSync(path.join(dir, 'x.sh')).mode & 0o777, 0o700)
    assert.is(fs.readFileSync(path.join(dir, 'x.sh'), 'utf8'), 'new')
    assert.is(fs.statSync(path.join(dir, 'sub/y.yml')).mode & 0o777, 0o644)
    fs.symlinkSync(outside, path.join(dir, 'link'))
    const r = renderTemplates([{ relPath: 'link/evil.tmpl', content: 'x', source: 's' }], esb)
    assert.throws(() => readStates(dir, r), usage(/outside/))
    assert.throws(() => applyWrites(dir, [{ relPath: 'link/evil', content: 'x', mode: 0o644, reason: 'new' }]), usage(/outside/))
    assert.equal(fs.readdirSync(outside), [])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
    fs.rmSync(outside, { recursive: true, force: true })
  }
})

test('the bundled set renders for esb and Acme Prod with nothing left over', () => {
  const t = bundledTemplates()
  const names = renderTemplates(t, acme)
    .map((r) => r.relPath)
    .sort()
  assert.equal(names, [
    'acme-prod.mk',
    'config/defaults.env',
    'docker-bake.hcl',
    'docker-compose.containerd.yml',
    'docker-compose.docker.yml',
    'docker-compose.infra.yml',
    'meta/meta.go',
  ])
  for (const r of renderTemplates(t, acme)) assert.not.match(r.content, /\{\{\s*[A-Z0-9_]+\s*\}\}/)
  const infra = renderTemplates(t, acme).find((r) => r.relPath === 'docker-compose.infra.yml')!.content
  assert.match(infra, /\$\{REGISTRY_BIND:-127\.0\.0\.1\}:\$\{PORT_REGISTRY:-5010\}:5010/)
  assert.match(infra, /acme-prod-infra-registry/)
  const defaults = renderTemplates(t, esb).find((r) => r.relPath === 'config/defaults.env')!.content
  assert.match(defaults, /^CLI_CMD=esb$/m)
  assert.match(defaults, /^ENV_PREFIX=ESB$/m)
})

test.run()
