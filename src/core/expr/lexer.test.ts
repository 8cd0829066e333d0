import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeChar, lex, MAX_PREDICATE_LENGTH, type Token } from './lexer.js';

function tokens(text: string): readonly Token[] {
  const r = lex(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.tokens;
}

describe('lex', () => {
  it('tokenises the reference examples with 1-based columns', () => {
    assert.deepEqual(
      tokens('X@0==0&&X@1!=0').map((t) => [t.type, t.text, t.column]),
      [
        ['variable', 'X@0', 1],
        ['punct', '==', 4],
        ['number', '0', 6],
        ['punct', '&&', 7],
        ['variable', 'X@1', 9],
        ['punct', '!=', 12],
        ['number', '0', 14],
        ['end', '', 15],
      ],
    );
  });

  it('reads X, X@n, X@P and X@Pn', () => {
    const refs = tokens('X X@2 X@P X@P1 X@007').map((t) =>
      t.type === 'variable' ? t.ref : t.type,
    );
    assert.deepEqual(refs, [
      { type: 'variable', when: 'current' },
      { type: 'variable', when: 'current', field: 2 },
      { type: 'variable', when: 'previous' },
      { type: 'variable', when: 'previous', field: 1 },
      { type: 'variable', when: 'current', field: 7 },
      'end',
    ]);
  });

  const numbers: [string, number][] = [
    ['0', 0],
    ['90', 90],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E+3', 1000],
    ['25e-1', 2.5],
    ['0.0', 0],
  ];
  for (const [text, value] of numbers) {
    it(`reads the number ${text}`, () => {
      const [t] = tokens(text);
      assert.deepEqual(t && [t.type, t.type === 'number' && t.value], ['number', value]);
    });
  }

  it('reads strings with escapes', () => {
    const [t] = tokens(String.raw`"a\"b\\c\nd\te\rf"`);
    assert.equal(t?.type === 'string' && t.value, 'a"b\\c\nd\te\rf');
  });

  it('counts columns in code points, not UTF-16 units', () => {
    const ts = tokens('"😀😀" == X');
    assert.deepEqual(
      ts.map((t) => t.column),
      [1, 6, 9, 10],
    );
  });

  it('skips spaces, tabs and line breaks', () => {
    assert.deepEqual(
      tokens(' X\t>\r\n90 ').map((t) => t.type),
      ['variable', 'punct', 'number', 'end'],
    );
  });

  const errors: [text: string, type: string, column: number, found: string][] = [
    ['X = 1', 'unexpected-character', 3, "'='"],
    ['X--1', 'unexpected-character', 2, "'--'"],
    ['--X', 'unexpected-character', 1, "'--'"],
    ['X++1', 'unexpected-character', 2, "'++'"],
    ['X & 1', 'unexpected-character', 3, "'&'"],
    ['X | 1', 'unexpected-character', 3, "'|'"],
    ["X == 'a'", 'unexpected-character', 6, `"'"`],
    ['X ≥ 1', 'unexpected-character', 3, "'≥' (U+2265)"],
    ['X > \u00a0', 'unexpected-character', 5, 'U+00A0'],
    ['X#', 'unexpected-character', 2, "'#'"],
    ['X @0', 'unexpected-character', 3, "'@'"],
    ['"abc', 'unterminated-string', 1, 'end of input'],
    ['X == "ab\ncd"', 'unterminated-string', 6, 'a line break'],
    [String.raw`"a\qb"`, 'invalid-escape', 3, "'\\' followed by 'q'"],
    ['"a\\', 'invalid-escape', 3, "'\\' followed by end of input"],
    ['012', 'invalid-number', 1, "'012'"],
    ['1.2.3', 'invalid-number', 1, "'1.2.3'"],
    ['90X', 'invalid-number', 1, "'90X'"],
    ['0x1F', 'invalid-number', 1, "'0x1F'"],
    ['1e', 'invalid-number', 1, "'1e'"],
    ['1' + '0'.repeat(400), 'invalid-number', 1, "'10000000000000000000...'"],
    ['Y > 1', 'unknown-name', 1, "'Y'"],
    ['x > 1', 'unknown-name', 1, "'x'"],
    ['X@', 'invalid-field', 3, 'end of input'],
    ['X@ 1', 'invalid-field', 3, 'U+0020'],
    ['X@Q', 'invalid-field', 3, "'Q'"],
    ['X@1a', 'invalid-field', 3, "'1a'"],
    ['X@1000', 'invalid-field', 3, "'1000'"],
    ['😀 X', 'unexpected-character', 1, "'😀' (U+1F600)"],
    ['"😀" #', 'unexpected-character', 5, "'#'"],
  ];
  for (const [text, type, column, found] of errors) {
    it(`rejects ${JSON.stringify(text).slice(0, 30)} at column ${column}`, () => {
      const r = lex(text);
      assert.equal(r.ok, false);
      assert.deepEqual([r.error.type, r.error.column, r.error.found], [type, column, found]);
      assert.ok(r.error.message.startsWith(`column ${column}: `), r.error.message);
    });
  }

  it('suggests the right spelling', () => {
    const message = (text: string): string => {
      const r = lex(text);
      return r.ok ? '' : r.error.message;
    };
    assert.equal(message('x > 1'), "column 1: unknown name 'x'; did you mean 'X'?");
    assert.equal(message('X2 > 1'), "column 1: unknown name 'X2'; did you mean 'X@2'?");
    assert.equal(message('X = 1'), "column 3: '=' assigns in C; write '==' to compare");
    assert.match(message('Y > 1'), /can only name X \(the value\), X@n \(field n\) or X@P/);
  });

  it('refuses input over the length limit before scanning it', () => {
    const r = lex('X'.repeat(MAX_PREDICATE_LENGTH + 1));
    assert.equal(!r.ok && r.error.type, 'too-long');
    assert.equal(lex(' '.repeat(MAX_PREDICATE_LENGTH)).ok, true);
  });

  it('refuses a non-string from an untyped caller', () => {
    const r = lex(42 as unknown as string);
    assert.equal(!r.ok && r.error.type, 'not-a-string');
  });
});

describe('describeChar', () => {
  it('quotes printable characters and names the others by code point', () => {
    assert.equal(describeChar('#'), "'#'");
    assert.equal(describeChar("'"), `"'"`);
    assert.equal(describeChar('é'), "'é' (U+00E9)");
    assert.equal(describeChar('\u0007'), 'U+0007');
    assert.equal(describeChar('\ud800'), 'U+D800');
  });
});
