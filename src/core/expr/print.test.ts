import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expr, tokenSoup } from './arbitraries.test-helper.js';
import { MAX_PREDICATE_LENGTH } from './lexer.js';
import { parsePredicate } from './parser.js';
import { printPredicate } from './print.js';

function reprint(text: string): string {
  const r = parsePredicate(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return printPredicate(r.expr);
}

describe('printPredicate', () => {
  const cases: [string, string][] = [
    ['X>90', 'X > 90'],
    ['X@0==0&&X@1!=0', 'X@0 == 0 && X@1 != 0'],
    ['X@P<X', 'X@P < X'],
    ['X@P0>X@0', 'X@P0 > X@0'],
    ['((X))', 'X'],
    ['(1+2)*3', '(1 + 2) * 3'],
    ['1+(2*3)', '1 + 2 * 3'],
    ['1-(2-3)', '1 - (2 - 3)'],
    ['(1-2)-3', '1 - 2 - 3'],
    ['(X||X)&&X', '(X || X) && X'],
    ['-(X+1)', '-(X + 1)'],
    ['-(-X)', '-(-X)'],
    ['- -X', '-(-X)'],
    ['!(!X)', '!!X'],
    ['-!X', '-!X'],
    ['1 - -1', '1 - -1'],
    ['X == "a\\"b\\\\c\\n"', 'X == "a\\"b\\\\c\\n"'],
    ['1e21 < 0.0000001', '1e+21 < 1e-7'],
    ['.5 > 5.', '0.5 > 5'],
  ];
  for (const [text, printed] of cases) {
    it(`${text}  =>  ${printed}`, () => {
      assert.equal(reprint(text), printed);
    });
  }

  it('round-trips every syntax tree: parse(print(e)) equals e', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const text = printPredicate(e);
        fc.pre(text.length <= MAX_PREDICATE_LENGTH);
        assert.deepEqual(parsePredicate(text), { ok: true, expr: e });
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips whatever parses, and printing is idempotent', () => {
    fc.assert(
      fc.property(tokenSoup, (text) => {
        const r = parsePredicate(text);
        if (!r.ok) return;
        const printed = printPredicate(r.expr);
        const again = parsePredicate(printed);
        assert.deepEqual(again, r);
        assert.equal(printPredicate(again.expr), printed);
      }),
      { numRuns: 3000 },
    );
  });
});
