import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { expr, valueOf } from './arbitraries.test-helper.js';
import type { Expr } from './ast.js';
import { checkPredicate, type PredicateProblem } from './check.js';
import { evaluate } from './evaluate.js';
import { parsePredicate } from './parser.js';
import { findVariable, RESOURCE_VARIABLES, type ResourceVariable } from './variables.js';

function parse(text: string): Expr {
  const r = parsePredicate(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.expr;
}

function check(name: string, text: string): readonly PredicateProblem[] {
  const v = findVariable(name);
  assert.ok(v, name);
  return checkPredicate(v, parse(text));
}

describe('checkPredicate', () => {
  const fine: [string, string][] = [
    ['fs.used_percent', 'X>90'],
    ['fs.used_percent', 'X@P < X && X - X@P > 5'],
    ['process.count', 'X@0==0&&X@1!=0'],
    ['process.count', 'X@P0 > X@0'],
    ['net.interface_up', '!X'],
    ['fs.used_percent', '"a" == "b" || X > 1'],
  ];
  for (const [name, text] of fine) {
    it(`accepts ${text} on ${name}`, () => {
      assert.deepEqual(check(name, text), []);
    });
  }

  const problems: [name: string, text: string, type: string, message: string][] = [
    [
      'process.count',
      'X == 0',
      'needs-field',
      'X: process.count is structured; name a field: X@0 (current number of processes), X@1 (number of processes at the previous sample), X@2 (process ids, ascending)',
    ],
    [
      'fs.used_percent',
      'X@0 > 90',
      'not-structured',
      'X@0: fs.used_percent is a single number with no fields; write X',
    ],
    [
      'fs.used_percent',
      'X@P1 > 90',
      'not-structured',
      'X@P1: fs.used_percent is a single number with no fields; write X@P',
    ],
    [
      'process.count',
      'X@3 > 0',
      'no-such-field',
      'X@3: process.count has no field 3; its fields are X@0 (current number of processes), X@1 (number of processes at the previous sample), X@2 (process ids, ascending)',
    ],
    [
      'process.count',
      'X@2 > 0',
      'type-mismatch',
      "the left operand of '>', X@2 is a list, not a number",
    ],
    [
      'process.count',
      'X@2 == 0',
      'type-mismatch',
      "'==' compares two numbers or two strings, but X@2 is a list and 0 is a number",
    ],
    [
      'fs.used_percent',
      'X == "full"',
      'type-mismatch',
      `'==' compares two numbers or two strings, but X is a number and "full" is a string`,
    ],
    [
      'fs.used_percent',
      '"full"',
      'type-mismatch',
      'the predicate "full" is a string, not a number',
    ],
    [
      'fs.used_percent',
      '!"x"',
      'type-mismatch',
      `the operand of '!', "x" is a string, not a number`,
    ],
    [
      'fs.used_percent',
      '"a" < "b"',
      'type-mismatch',
      `the left operand of '<', "a" is a string, not a number`,
    ],
  ];
  for (const [name, text, type, message] of problems) {
    it(`reports ${type} for ${text} on ${name}`, () => {
      assert.deepEqual(check(name, text)[0], { type, message });
    });
  }

  it('checks the side of && and || that short-circuit might skip', () => {
    assert.equal(check('process.count', '0 && X@9').length, 1);
  });

  it('reports one mistake once, not again in every enclosing operator', () => {
    assert.equal(check('process.count', '-(X@3 + 1) * 2 > 2 && !X@3').length, 2);
  });

  it('guarantees evaluate() meets no type or field error on a well-shaped sample', () => {
    const allowed = new Set(['division-by-zero', 'no-previous', 'not-a-number']);
    const variable = fc.constantFrom(...RESOURCE_VARIABLES);
    const arb = variable.chain((v: ResourceVariable) =>
      fc.record({
        v: fc.constant(v),
        e: expr,
        current: valueOf(v),
        previous: fc.option(valueOf(v), { nil: undefined }),
      }),
    );
    let checked = 0;
    fc.assert(
      fc.property(arb, ({ v, e, current, previous }) => {
        if (checkPredicate(v, e).length > 0) return;
        checked++;
        const r = evaluate(e, previous === undefined ? { current } : { current, previous });
        assert.ok(r.ok || allowed.has(r.error.type), r.ok ? '' : r.error.message);
      }),
      { numRuns: 3000 },
    );
    assert.ok(checked > 300, `only ${checked} generated predicates passed the check`);
  });
});
