import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expr, value } from './arbitraries.test-helper.js';
import type { Expr } from './ast.js';
import { evaluate, type EvalResult, type Sample, type Value } from './evaluate.js';
import { parsePredicate } from './parser.js';

function parse(text: string): Expr {
  const r = parsePredicate(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.expr;
}

function run(text: string, current: Value, previous?: Value): EvalResult {
  return evaluate(parse(text), previous === undefined ? { current } : { current, previous });
}

describe('evaluate', () => {
  const truth: [text: string, current: Value, previous: Value | undefined, expected: boolean][] = [
    // The reference's /tmp example and its rearm predicate.
    ['X>90', 95, undefined, true],
    ['X>90', 90, undefined, false],
    ['X<80', 79.5, undefined, true],
    // The reference's process examples: X@0 current count, X@1 previous count, X@2 pids.
    ['X@0==0', [0, 1, []], undefined, true],
    ['X@0>0', [1, 0, [7218]], undefined, true],
    ['X@0==0&&X@1!=0', [0, 2, []], undefined, true],
    ['X@0==0&&X@1!=0', [0, 0, []], undefined, false],
    ['X@0==0&&X@1!=0', [2, 2, [1, 2]], undefined, false],
    // C truthiness: non-zero is true.
    ['X', 0, undefined, false],
    ['X', 0.5, undefined, true],
    ['X', -1, undefined, true],
    ['!X', 0, undefined, true],
    ['!!X', 7, undefined, true],
    // Comparisons and logic give 1 or 0, usable in arithmetic as in C.
    ['(X > 1) + (X > 2) == 2', 3, undefined, true],
    ['(X > 1) * 5 == 5', 3, undefined, true],
    ['(X || 0) == 1', 42, undefined, true],
    // Arithmetic is on doubles.
    ['7 / 2 == 3.5', 0, undefined, true],
    ['7 % 4 == 3', 0, undefined, true],
    ['-7 % 4 == -3', 0, undefined, true],
    ['5.5 % 2 == 1.5', 0, undefined, true],
    ['-X == 0 - X', 4, undefined, true],
    ['1 + 2 * 3 == 7', 0, undefined, true],
    ['X > 1e308', Infinity, undefined, true],
    // Strings compare by value with == and !=.
    ['X == "up"', 'up', undefined, true],
    ['X != "up"', 'down', undefined, true],
    ['X == "up"', 'UP', undefined, false],
    ['X@1 == "root"', [1, 'root'], undefined, true],
    // X@P is the previous sample; X@Pn a field of it.
    ['X@P < X', 20, 10, true],
    ['X - X@P > 5', 20, 10, true],
    ['X@P0 > X@0', [1, 3, []], [3, 3, []], true],
  ];
  for (const [text, current, previous, expected] of truth) {
    const prev = previous === undefined ? '' : `, previous ${JSON.stringify(previous)}`;
    it(`${text} on ${JSON.stringify(current)}${prev} is ${expected}`, () => {
      assert.deepEqual(run(text, current, previous), { ok: true, value: expected });
    });
  }

  const errors: [
    text: string,
    current: Value,
    previous: Value | undefined,
    type: string,
    message: string,
  ][] = [
    ['X@P < X', 1, undefined, 'no-previous', 'X@P: there is no previous sample yet'],
    [
      'X > 1',
      [1, 2, []],
      undefined,
      'needs-field',
      'X: the value is structured (3 fields); name a field, e.g. X@0',
    ],
    [
      'X@P > 1',
      1,
      [1, 2],
      'needs-field',
      'X@P: the value is structured (2 fields); name a field, e.g. X@P0',
    ],
    [
      'X@0 > 1',
      5,
      undefined,
      'not-structured',
      'X@0: the value is the number 5, which has no fields; use X',
    ],
    [
      'X@P1 > 1',
      1,
      5,
      'not-structured',
      'X@P1: the value is the number 5, which has no fields; use X@P',
    ],
    [
      'X@P3 > 1',
      1,
      [1, 2, []],
      'missing-field',
      'X@P3: the value has only 3 fields (X@P0 to X@P2)',
    ],
    [
      'X@3 > 1',
      [1, 2, []],
      undefined,
      'missing-field',
      'X@3: the value has only 3 fields (X@0 to X@2)',
    ],
    ['X@0 > 1', [], undefined, 'missing-field', 'X@0: the value has no fields'],
    [
      'X@2 > 1',
      [1, 2, [5, 6]],
      undefined,
      'type-mismatch',
      "'>' needs two numbers, but X@2 is a list of 2 and 1 is the number 1",
    ],
    [
      'X < "up"',
      'up',
      undefined,
      'type-mismatch',
      `'<' needs two numbers, but X is the string "up" and "up" is the string "up"`,
    ],
    [
      'X == 1',
      'up',
      undefined,
      'type-mismatch',
      `'==' needs two numbers (strings compare only with strings), but X is the string "up" and 1 is the number 1`,
    ],
    ['X', 'up', undefined, 'type-mismatch', 'the predicate X is the string "up", not a number'],
    [
      '!X',
      'up',
      undefined,
      'type-mismatch',
      `the operand of '!', X is the string "up", not a number`,
    ],
    [
      'X && 1',
      'up',
      undefined,
      'type-mismatch',
      `the left operand of '&&', X is the string "up", not a number`,
    ],
    [
      '1 && X',
      'up',
      undefined,
      'type-mismatch',
      `the right operand of '&&', X is the string "up", not a number`,
    ],
    ['X / (X - 4) > 1', 4, undefined, 'division-by-zero', 'X / (X - 4): X - 4 is zero'],
    ['X % 0 == 1', 4, undefined, 'division-by-zero', 'X % 0: 0 is zero'],
    ['X - X > 0', Infinity, undefined, 'not-a-number', 'X - X is not a number (NaN)'],
    ['X > 0', NaN, undefined, 'invalid-value', 'X: the value is the number NaN'],
    ['X@0 > 0', [{} as unknown as number], undefined, 'invalid-value', 'X@0: the field is object'],
  ];
  for (const [text, current, previous, type, message] of errors) {
    it(`${text} on ${JSON.stringify(current)} fails: ${type}`, () => {
      assert.deepEqual(run(text, current, previous), { ok: false, error: { type, message } });
    });
  }

  it('short-circuits && and || as C does: an unevaluated side cannot fail', () => {
    assert.deepEqual(run('0 && X@5', 1), { ok: true, value: false });
    assert.deepEqual(run('1 || X@5', 1), { ok: true, value: true });
    assert.equal(run('1 && X@5', 1).ok, false);
    assert.equal(run('0 || X@5', 1).ok, false);
  });

  it('refuses malformed trees from untyped callers instead of throwing', () => {
    const bad = (e: unknown, sample: unknown = { current: 1 }): string => {
      const r = evaluate(e as Expr, sample as Sample);
      return r.ok ? 'ok' : r.error.type;
    };
    assert.equal(bad(null), 'invalid-expression');
    assert.equal(bad({ type: 'call' }), 'invalid-expression');
    assert.equal(bad({ type: 'number', value: '1' }), 'invalid-expression');
    assert.equal(
      bad({ type: 'unary', op: '~', operand: { type: 'number', value: 1 } }),
      'invalid-expression',
    );
    assert.equal(
      bad({
        type: 'binary',
        op: '**',
        left: { type: 'number', value: 1 },
        right: { type: 'number', value: 1 },
      }),
      'invalid-expression',
    );
    assert.equal(bad({ type: 'binary', op: '+' }), 'invalid-expression');
    assert.equal(bad({ type: 'variable', when: 'current' }, {}), 'invalid-value');
    assert.equal(bad({ type: 'variable', when: 'current' }, { current: null }), 'invalid-value');
    assert.equal(bad({ type: 'variable', when: 'current' }, null), 'invalid-value');
    assert.equal(
      bad({ type: 'variable', when: 'current', field: -1 }, { current: [1] }),
      'invalid-value',
    );
  });

  it('evaluates the deepest trees the parser accepts', () => {
    const chain = parse(Array.from({ length: 499 }, () => 'X').join('+') + '>1');
    assert.deepEqual(evaluate(chain, { current: 1 }), { ok: true, value: true });
    const nested = parse('-('.repeat(32) + 'X' + ')'.repeat(32) + ' + X'.repeat(200));
    assert.deepEqual(evaluate(nested, { current: 1 }), { ok: true, value: true });
  });

  it('refuses a hand-built tree too deep to evaluate', () => {
    let e: Expr = { type: 'number', value: 1 };
    for (let i = 0; i < 100_000; i++) e = { type: 'unary', op: '!', operand: e };
    const r = evaluate(e, { current: 1 });
    assert.equal(!r.ok && r.error.type, 'too-deep');
  });

  it('never throws, whatever the tree and the sample', () => {
    fc.assert(
      fc.property(expr, value, fc.option(value, { nil: undefined }), (e, current, previous) => {
        const r = evaluate(e, previous === undefined ? { current } : { current, previous });
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on samples of any JavaScript value', () => {
    fc.assert(
      fc.property(expr, fc.anything(), fc.anything(), (e, current, previous) => {
        evaluate(e, { current, previous } as unknown as Sample);
        evaluate(e, current as Sample);
      }),
      { numRuns: 1000 },
    );
  });
});
