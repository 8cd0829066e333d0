import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { anyUtf16, tokenSoup } from './arbitraries.test-helper.js';
import type { Expr } from './ast.js';
import { MAX_NESTING_DEPTH, parsePredicate } from './parser.js';
import { printVariable } from './print.js';

/** Fully parenthesised, so a test states the tree's shape in one readable line. */
function shape(e: Expr): string {
  switch (e.type) {
    case 'number':
      return String(e.value);
    case 'string':
      return JSON.stringify(e.value);
    case 'variable':
      return printVariable(e);
    case 'unary':
      return `(${e.op}${shape(e.operand)})`;
    case 'binary':
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
  }
}

function parsed(text: string): string {
  const r = parsePredicate(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return shape(r.expr);
}

describe('parsePredicate: structure and C precedence', () => {
  const cases: [string, string][] = [
    ['X>90', '(X > 90)'],
    ['X<80', '(X < 80)'],
    ['X@0==0', '(X@0 == 0)'],
    ['X@0==0&&X@1!=0', '((X@0 == 0) && (X@1 != 0))'],
    ['X@P < X', '(X@P < X)'],
    ['X@P2 > 0', '(X@P2 > 0)'],
    ['X == "eth0"', '(X == "eth0")'],
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['1 - 2 - 3', '((1 - 2) - 3)'],
    ['8 / 4 / 2', '((8 / 4) / 2)'],
    ['7 % 4 * 2', '((7 % 4) * 2)'],
    ['(1 + 2) * 3', '((1 + 2) * 3)'],
    ['1 < 2 == 3 > 4', '((1 < 2) == (3 > 4))'],
    ['1 < 2 < 3', '((1 < 2) < 3)'],
    ['a || b && c'.replace(/[abc]/g, 'X'), '(X || (X && X))'],
    ['X && X || X', '((X && X) || X)'],
    ['X > 1 + 2', '(X > (1 + 2))'],
    ['X + 1 > 2 && X - 1 <= 9 || !X', '((((X + 1) > 2) && ((X - 1) <= 9)) || (!X))'],
    ['-X * 2', '((-X) * 2)'],
    ['-(X * 2)', '(-(X * 2))'],
    ['!X == 0', '((!X) == 0)'],
    ['!!X', '(!(!X))'],
    ['- -1', '(-(-1))'],
    ['2 - -1', '(2 - (-1))'],
    ['2-(-1)', '(2 - (-1))'],
    ['-(-1)', '(-(-1))'],
    ['X >= 1 && X <= 2', '((X >= 1) && (X <= 2))'],
    ['((((X))))', 'X'],
    ['  X  >  90  ', '(X > 90)'],
    ['1.5e2 > .5', '(150 > 0.5)'],
  ];
  for (const [text, expected] of cases) {
    it(`${text}  =>  ${expected}`, () => {
      assert.equal(parsed(text), expected);
    });
  }

  it('builds the documented tree for the rules file example', () => {
    const r = parsePredicate('X@0==0&&X@1!=0');
    assert.deepEqual(r, {
      ok: true,
      expr: {
        type: 'binary',
        op: '&&',
        left: {
          type: 'binary',
          op: '==',
          left: { type: 'variable', when: 'current', field: 0 },
          right: { type: 'number', value: 0 },
        },
        right: {
          type: 'binary',
          op: '!=',
          left: { type: 'variable', when: 'current', field: 1 },
          right: { type: 'number', value: 0 },
        },
      },
    });
  });
});

describe('parsePredicate: errors', () => {
  // [text, column, found, message]: every message is checked in full, because it is UI.
  const cases: [string, number, string, string][] = [
    ['', 1, 'end of input', "expected a number, a string, X or '(' but found end of input"],
    [
      'X >',
      4,
      'end of input',
      "expected a number, a string, X or '(' after '>' but found end of input",
    ],
    ['X > > 1', 5, "'>'", "expected a number, a string, X or '(' after '>' but found '>'"],
    ['X > )', 5, "')'", "expected a number, a string, X or '(' after '>' but found ')'"],
    ['&& X', 1, "'&&'", "expected a number, a string, X or '(' but found '&&'"],
    ['X > 90 X', 8, "'X'", "expected an operator or end of input after '90' but found 'X'"],
    ['X ! 1', 3, "'!'", "expected an operator or end of input after 'X' but found '!'"],
    ['X 90', 3, "'90'", "expected an operator or end of input after 'X' but found '90'"],
    [
      '(X > 90',
      8,
      'end of input',
      "expected ')' to close the '(' at column 1 but found end of input",
    ],
    [
      'X > (1 + (2)',
      13,
      'end of input',
      "expected ')' to close the '(' at column 5 but found end of input",
    ],
    ['(X > 90 X)', 9, "'X'", "expected an operator or ')' after '90' but found 'X'"],
    ['X > 90)', 7, "')'", "')' has no matching '('"],
    ['()', 2, "')'", "expected a number, a string, X or '(' after '(' but found ')'"],
    [
      'X > 9 &&',
      9,
      'end of input',
      "expected a number, a string, X or '(' after '&&' but found end of input",
    ],
    [
      '!',
      2,
      'end of input',
      "expected a number, a string, X or '(' after '!' but found end of input",
    ],
    [
      'X == "a very long string value indeed" X',
      40,
      "'X'",
      `expected an operator or end of input after '"a very long string ...' but found 'X'`,
    ],
  ];
  for (const [text, column, found, detail] of cases) {
    it(`${JSON.stringify(text)}: column ${column}`, () => {
      const r = parsePredicate(text);
      assert.equal(r.ok, false);
      assert.equal(r.error.message, `column ${column}: ${detail}`);
      assert.equal(r.error.column, column);
      assert.equal(r.error.found, found);
      assert.ok(r.error.expected.length > 0);
    });
  }

  it('passes lexer errors through unchanged', () => {
    const r = parsePredicate('X = 90');
    assert.equal(!r.ok && r.error.type, 'unexpected-character');
    assert.equal(!r.ok && r.error.column, 3);
  });

  it(`accepts ${MAX_NESTING_DEPTH} levels of nesting and refuses one more, at the culprit`, () => {
    const nest = (n: number): string => '('.repeat(n) + 'X' + ')'.repeat(n);
    assert.equal(parsePredicate(nest(MAX_NESTING_DEPTH)).ok, true);
    const r = parsePredicate(nest(MAX_NESTING_DEPTH + 1));
    assert.equal(!r.ok && r.error.type, 'too-deep');
    assert.equal(!r.ok && r.error.column, MAX_NESTING_DEPTH + 1);
    assert.equal(
      !r.ok && r.error.message,
      `column 65: the predicate nests too deeply: at most 64 levels of parentheses and unary operators`,
    );
  });

  it('counts unary operators and parentheses together towards the depth', () => {
    const half = MAX_NESTING_DEPTH / 2;
    assert.equal(parsePredicate('!('.repeat(half) + 'X' + ')'.repeat(half)).ok, true);
    const r = parsePredicate('-('.repeat(half) + '-X' + ')'.repeat(half));
    assert.equal(!r.ok && r.error.type, 'too-deep');
  });

  it('handles a long chain of binary operators without recursion limits', () => {
    const text = Array.from({ length: 300 }, () => 'X').join('+');
    const r = parsePredicate(text);
    assert.equal(r.ok, true);
  });

  it('refuses input over the length limit', () => {
    const r = parsePredicate('('.repeat(100_000));
    assert.equal(!r.ok && r.error.type, 'too-long');
    assert.equal(
      !r.ok && r.error.message,
      'column 1: the predicate is 100000 characters long; at most 1000 are allowed',
    );
  });
});

describe('parsePredicate: never throws', () => {
  function wellFormed(text: string): void {
    const r = parsePredicate(text);
    if (r.ok) return;
    const { column, message, found, expected } = r.error;
    assert.ok(Number.isInteger(column) && column >= 1, `column ${column}`);
    assert.ok(column <= Array.from(text).length + 1 || r.error.type === 'too-long');
    assert.ok(message.startsWith(`column ${column}: `), message);
    assert.equal(typeof found, 'string');
    assert.ok(Array.isArray(expected));
  }

  it('for any Unicode text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), wellFormed), {
      numRuns: 2000,
    });
  });

  it('for any UTF-16 text, lone surrogates included', () => {
    fc.assert(fc.property(anyUtf16, wellFormed), { numRuns: 2000 });
  });

  it('for text made of the language tokens', () => {
    fc.assert(fc.property(tokenSoup, wellFormed), { numRuns: 3000 });
  });

  it('for very deep parentheses and unary chains, up to and past the length limit', () => {
    fc.assert(
      fc.property(
        fc.nat(3000),
        fc.constantFrom('(', '!', '-', '!(', '-('),
        fc.constantFrom('', 'X', 'X>1', ')'),
        (n, open, middle) => {
          wellFormed(open.repeat(n) + middle + ')'.repeat(n));
        },
      ),
      { numRuns: 300 },
    );
  });
});
