// .env files read as `docker compose` reads them (compose-go's dotenv): the
// issue's cases, compose-go's own test inputs, and what compose refuses.
// test/contract/envfile.test.ts checks the same reader against real compose.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseEnvFile, substitute } from '../../scripts/project/envfile.ts'
import { UsageError } from '../../scripts/errors.ts'

const parse = (text: string, env: Record<string, string> = {}) => parseEnvFile('/p/.env', text, (n) => env[n])
/** Throws a one-line UsageError starting with `/p/.env:<line>: ` and matching re. */
function refuses(text: string, line: number, re: RegExp, env: Record<string, string> = {}): void {
  try {
    parse(text, env)
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e))
    const m = (e as Error).message
    assert.not.match(m, /\n/, 'one line')
    assert.ok(m.startsWith(`/p/.env:${line}: `), m)
    assert.match(m, re)
    assert.match(m, /; \S/, 'says how to fix it')
    return
  }
  assert.unreachable(`accepted ${JSON.stringify(text)}`)
}

test('the issue: an inline comment ends the value; unterminated and doubled quotes are errors, not silently merged lines', () => {
  assert.equal(parse('A=1 # c\nPORT_REGISTRY=6000\n'), { A: '1', PORT_REGISTRY: '6000' })
  refuses('FOO="unterminated\nB=1\nC=2\n', 1, /double-quoted value of FOO is never closed/)
  refuses(
    "X=1\nFOO='it''s'\nB=2\n",
    2,
    /a name cannot hold "'" \(compose reads text after a closing quote.*; write a quote inside a quoted value as \\'/,
  )
})

test('KEY=VALUE basics (compose-go TestParsing)', () => {
  const one: [string, string, string][] = [
    ['FOO=bar', 'FOO', 'bar'],
    ['FOO =bar', 'FOO', 'bar'],
    ['FOO= bar', 'FOO', 'bar'],
    ['FOO="bar"', 'FOO', 'bar'],
    ["FOO='bar'", 'FOO', 'bar'],
    ['FOO="escaped\\"bar"', 'FOO', 'escaped"bar'],
    ['FOO="\\"quoted\\""', 'FOO', '"quoted"'],
    ['FOO="\'d\'"', 'FOO', "'d'"],
    ['OPTION_A: 1', 'OPTION_A', '1'],
    ['OPTION_A: Foo=bar', 'OPTION_A', 'Foo=bar'],
    ['OPTION_A=1:B', 'OPTION_A', '1:B'],
    ['export OPTION_A=2', 'OPTION_A', '2'],
    ["export OPTION_B='\\n'", 'OPTION_B', '\\n'],
    ['export exportFoo=2', 'exportFoo', '2'],
    ['exportFOO=2', 'exportFOO', '2'],
    ['export_FOO =2', 'export_FOO', '2'],
    ['export.FOO= 2', 'export.FOO', '2'],
    ['export\tOPTION_A=2', 'OPTION_A', '2'],
    ['  export OPTION_A=2', 'OPTION_A', '2'],
    ['\texport OPTION_A=2', 'OPTION_A', '2'],
    ['export OPTION_A="export A"', 'OPTION_A', 'export A'],
    ['FOO="bar\\nbaz"', 'FOO', 'bar\nbaz'],
    ['FOO=a\\tb', 'FOO', 'a\\tb'],
    ['FOO="a\\tb"', 'FOO', 'a\tb'],
    ['KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', 'KEY', 'Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ'],
    ['FOO.BAR=foobar', 'FOO.BAR', 'foobar'],
    ['FOO=foobar=', 'FOO', 'foobar='],
    ['FOO=bar ', 'FOO', 'bar'],
    ['FOO=bar # this is foo', 'FOO', 'bar'],
    ['FOO=bar #this is foo', 'FOO', 'bar'],
    ['FOO=bar #', 'FOO', 'bar'],
    ['FOO=123#not-an-inline-comment', 'FOO', '123#not-an-inline-comment'],
    ['FOO="bar#baz"', 'FOO', 'bar#baz'],
    ['FOO="bar#baz"#', 'FOO', 'bar#baz'],
    ['FOO="bar#baz" # comment', 'FOO', 'bar#baz'],
    ["FOO='bar#baz' # comment", 'FOO', 'bar#baz'],
    ['FOO="ba#r"', 'FOO', 'ba#r'],
    ['FOO="bar\\n\\ b\\az"', 'FOO', 'bar\n\\ b\x07z'],
    ['FOO="bar\\\\\\n\\ b\\az"', 'FOO', 'bar\\\n\\ b\x07z'],
    ['FOO="bar\\\\r\\ b\\az"', 'FOO', 'bar\\r\\ b\x07z'],
    ['FOO="bar\\nbaz\\\\"', 'FOO', 'bar\nbaz\\'],
    [' KEY =value', 'KEY', 'value'],
    ['   KEY=value', 'KEY', 'value'],
    ['\tKEY=value', 'KEY', 'value'],
    ['KEY="\\0123"', 'KEY', 'S'],
    ['KEY="\\x07"', 'KEY', '\\x07'],
    ['KEY="\\u12e4"', 'KEY', '\\u12e4'],
    ['KEY="\\U00101234"', 'KEY', '\\U00101234'],
  ]
  for (const [text, k, v] of one) assert.equal(parse(text), { [k]: v }, text)
})

test('compose-go fixtures: plain, quoted, unquoted, special names, unicode names', () => {
  assert.equal(
    parse(
      'OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\n456 = ABC\nOPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n',
    ),
    {
      OPTION_A: '1',
      OPTION_B: '2',
      OPTION_C: '3',
      OPTION_D: '4',
      OPTION_E: '5',
      456: 'ABC',
      OPTION_F: '',
      OPTION_G: '',
      OPTION_H: 'my string',
    },
  )
  assert.equal(
    parse(
      "OPTION_A='1'\nOPTION_C=''\nOPTION_D='\\n'\nOPTION_G=\"\"\nOPTION_H=\"\\n\"\nOPTION_I = \"echo 'asd'\" # Inline comment\nOPTION_J = 'first line\nsecond line'\nOPTION_K='Let\\'s go!'\n",
    ),
    {
      OPTION_A: '1',
      OPTION_C: '',
      OPTION_D: '\\n',
      OPTION_G: '',
      OPTION_H: '\n',
      OPTION_I: "echo 'asd'",
      OPTION_J: 'first line\nsecond line',
      OPTION_K: "Let's go!",
    },
  )
  assert.equal(parse('OPTION_A = "some quoted phrase"\nOPTION_D = unquoted special è char\n'), {
    OPTION_A: 'some quoted phrase',
    OPTION_D: 'unquoted special è char',
  })
  assert.equal(parse('VAR.WITH.DOTS=dots\nVAR-WITH-DASHES=dashes\na[1]=c\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ\n²=2\n'), {
    'VAR.WITH.DOTS': 'dots',
    'VAR-WITH-DASHES': 'dashes',
    'a[1]': 'c',
    'árvíztűrő-TÜKÖRFÚRÓGÉP': 'ÁRVÍZTŰRŐ',
    '²': '2',
  })
  assert.equal(parse('TEST_URLS="stratum+tcp://a.com:3333\nstratum+tcp://a.com:443"'), {
    TEST_URLS: 'stratum+tcp://a.com:3333\nstratum+tcp://a.com:443',
  })
})

test('surprises compose really has', () => {
  assert.equal(parse('A= # c\n'), { A: '# c' }, "' #' starts a comment only after a value")
  assert.equal(parse('A=x\t#c\n'), { A: 'x\t#c' }, 'a tab before # is not a comment')
  assert.equal(parse('A="x" B=2\n'), { A: 'x', B: '2' }, 'after a closing quote the line goes on with the next variable')
  assert.equal(
    parse('A=\\$x $$y\nB="\\$x $$y"\nC=\'$x $$y\'\n'),
    { A: '\\ $y', B: '$x $y', C: '$x $$y' },
    '\\$ escapes only in double quotes',
  )
  assert.equal(parse("A='a\\'b\\\\c\\nd'\n"), { A: "a'b\\\\c\\nd" }, "single quotes: only \\' is an escape")
  assert.equal(parse('A\tB=1\n1A=x\nA.b-c[0]=1\n'), { 'A\tB': '1', '1A': 'x', 'A.b-c[0]': '1' })
  assert.equal(parse('export \nA=1\nexport\nexport=5\n'), { A: '1', export: '5' }, "a bare 'export' line is skipped")
  assert.equal(parse('A="a\\"\nB=2"\n'), { A: 'a"\nB=2' })
  assert.equal(
    parse('A=1\r\nB="x\r\ny"\r\nC=3 # c\r\n'),
    { A: '1', B: 'x\r\ny', C: '3' },
    'CRLF: \\r ends unquoted values but stays inside quotes',
  )
  assert.equal(parse('\uFEFFA=1\n'), { A: '1' }, 'a UTF-8 BOM is skipped')
  assert.equal(parse('A=1\nA=2\n'), { A: '2' })
  assert.equal(
    parse('K="\\0|\\01|\\012|\\0400|\\0377|\\0089|\\01234|\\c|\\q"\n'),
    { K: '\\|\\1|\\12|\\400|\u00ff|\\089|S4|\\c|\\q' },
    'octal needs \\0 and 3 digits up to 377',
  )
})

test('NAME alone takes the environment or an earlier line; else it stays unset', () => {
  assert.equal(parse('foo=bar\nVAR_FROM_ENV\nbar=baz\nNOT_FOUND\n', { VAR_FROM_ENV: 'v' }), {
    foo: 'bar',
    VAR_FROM_ENV: 'v',
    bar: 'baz',
  })
  assert.equal(parse('A=1\nA\n'), { A: '1' })
})

test('interpolation: $VAR, ${VAR}, defaults, alternates; the environment wins over earlier lines', () => {
  assert.equal(
    parse(
      'OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n',
    ),
    { OPTION_A: '1', OPTION_B: '1', OPTION_C: '1', OPTION_D: '1_1', OPTION_E: '' },
  )
  assert.equal(parse('OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_D=${OPTION_A}_${OPTION_B}\n', { OPTION_A: '5' }), {
    OPTION_A: '1',
    OPTION_B: '5',
    OPTION_D: '5_5',
  })
  assert.equal(parse('OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}\n', { OPTION_A: '5' }), { OPTION_A: '5', OPTION_B: '5' })
  assert.equal(parse('FOO=test\nBAR="quote $FOO"\nBAZ=\'quote $FOO\'\nQ="foo\\${FOO} ${FOO}"\n'), {
    FOO: 'test',
    BAR: 'quote test',
    BAZ: 'quote $FOO',
    Q: 'foo${FOO} test',
  })
  assert.equal(
    parse(
      'E=\nT=v\nA=${U:-d}|${E:-d}|${T:-d}\nB=${U-d}|${E-d}|${T-d}\nC=${U:+a}|${E:+a}|${T:+a}\nD=${U+a}|${E+a}|${T+a}\nF=${E?m}|${T:?m}\n',
    ),
    { E: '', T: 'v', A: 'd|d|v', B: 'd||v', C: '||a', D: '|a|a', F: '|v' },
  )
  assert.equal(parse('A=1\nB=${X:-${A}}\nC=${A:+${A}x}\nD=${X:-${Y:-d}}e}f\nE=$1$-$ $}x$\nF=$$$$A\n'), {
    A: '1',
    B: '1',
    C: '1x',
    D: 'de}f',
    E: '$1$-$ $}x$',
    F: '$$A',
  })
  assert.equal(
    parse('A=x\nB=${X:-{}}\nC=${X:-{x}y}\nD=${X:-}}\n'),
    { A: 'x', B: '{}', C: '{x}y', D: '}' },
    "a default's braces, as compose matches them",
  )
  assert.equal(parse('HOME=x\nB=$HOME\n', { HOME: '/h' }), { HOME: 'x', B: '/h' })
})

test('compose reads the file again with its own values: a later line can fail ${A:?}; COMPOSE_* take their last value', () => {
  assert.equal(parse('A=1\nB=$A\nA=2\n'), { A: '2', B: '1' })
  refuses('A=1\nB=${A:?need}\nA=\n', 2, /required variable A is empty \("need"\) by the end of the file/)
  assert.equal(parse('COMPOSE_X=1\nB=$COMPOSE_X\nCOMPOSE_X=2\n'), { COMPOSE_X: '2', B: '2' })
  assert.equal(parse('COMPOSE_X=$COMPOSE_Y\nCOMPOSE_Y=y\n'), { COMPOSE_X: '', COMPOSE_Y: 'y' })
})

test('what compose refuses names the line and the fix', () => {
  refuses('A=1\nthis is not\n', 2, /not a KEY=VALUE line: "this is not": a name cannot hold a space/)
  refuses('A=1\n\n"A"=1\n', 3, /a name cannot hold "\\""/)
  refuses('lol$wut', 1, /a name cannot hold "\$"/)
  for (const t of [
    'KEY="',
    'KEY="value',
    'KEY="value\\"',
    'KEY="value\'',
    "KEY='",
    "KEY='value",
    "KEY='value\\'",
    'KEY=\'value"',
  ])
    refuses(t, 1, /quoted value of KEY is never closed/)
  refuses('# c\nA=${B\n', 2, /invalid "\$\{"/)
  refuses('A=${}\n', 1, /invalid/)
  refuses('A=${A.B}\n', 1, /invalid/)
  refuses('A="${B:-x\ny}"\n', 1, /invalid/)
  refuses('A=${B:?boom}\n', 1, /required variable B is not set \("boom"\)/)
  refuses('A=\nB=${A:?e}\n', 2, /required variable A is empty/)
  refuses('A=1\nB=${X:-${Y:?unused}}\n', 2, /required variable Y/)
  refuses('export \t', 1, /'export' with no name/)
})

test('refused although compose reads it: a variable with an empty name', () => {
  refuses('=x\n', 1, /no name before '='/)
  refuses('A=1\nFOO', 2, /no '=' and no line break/)
  refuses('A="x"y', 1, /no '=' and no line break after it \(compose reads text after a closing quote/)
})

test('substitute on its own', () => {
  const env: Record<string, string> = { A: 'a' }
  assert.is(
    substitute('${A}-$A-${B:-b}-$$', (n) => env[n]),
    'a-a-b-$',
  )
})

test('comments, blank lines and an empty file', () => {
  assert.equal(parse(''), {})
  assert.equal(parse('# only a comment'), {})
  assert.equal(parse('\n\n  \t\n   # indented\nA=1\n'), { A: '1' })
})

test.run()
