import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { COMMANDS } from '../../scripts/commands/index.ts'
import { completeWords, completionText, DIRECTIVE } from '../../scripts/complete/complete.ts'

const lookup = {
  bakeTargets: async () => ['base-images', 'fn-hello', 'os-base'],
  images: async () => ['fn-echo', 'fn-hello', 'gateway-docker'],
}
const values = async (...args: string[]) => {
  const c = await completeWords(COMMANDS, args, lookup)
  return { items: c.items.map((i) => i.split('\t')[0]), directive: c.directive }
}

test('commands, with their summary as the description', async () => {
  assert.equal(await values('sta'), { items: ['status'], directive: DIRECTIVE.noFileComp })
  assert.ok((await values('')).items.includes('doctor'))
  const c = await completeWords(COMMANDS, ['bu'], lookup)
  assert.is(completionText(c), `build\t${COMMANDS.build.summary}\n:4\n`)
})

test('flags of the command (common ones too), --no-<flag> for booleans that default to true', async () => {
  const f = (await values('build', '--')).items
  assert.ok(
    f.includes('--no-skip') && f.includes('--dry-run') && f.includes('--project-dir') && f.includes('--format'),
    String(f),
  )
  assert.not.ok(f.includes('--skip'))
  assert.equal((await values('version', '--s')).items, ['--short'])
  assert.equal((await values('nope', '')).directive, DIRECTIVE.error)
})

test('flag values: fixed lists, folders, files, free text', async () => {
  assert.equal(await values('up', '--mode', ''), { items: ['docker', 'containerd'], directive: DIRECTIVE.noFileComp })
  assert.equal(await values('images', '--format', 'j'), { items: ['json'], directive: DIRECTIVE.noFileComp })
  assert.equal((await values('build', '-C', '')).directive, DIRECTIVE.filterDirs)
  assert.equal((await values('export', 'fn-hello', '-o', '')).directive, DIRECTIVE.default)
  assert.equal(await values('build', '--brand', ''), { items: [], directive: DIRECTIVE.noFileComp })
})

test('positionals: bake targets after build --, image names for export, paths for import', async () => {
  assert.equal((await values('build', '--', 'fn')).items, ['fn-hello'])
  assert.equal((await values('export', 'fn-')).items, ['fn-echo', 'fn-hello'])
  assert.equal((await values('import', '')).directive, DIRECTIVE.default)
  // a lookup that fails (no registry) completes nothing rather than an error
  const c = await completeWords(COMMANDS, ['export', ''], {
    ...lookup,
    images: async () => {
      throw new Error('down')
    },
  })
  assert.equal(c.items, [])
})

test.run()
