// fast-check generators shared by this directory's property tests. Test support only: nothing
// outside tests imports this file, and index.ts does not export it.

import fc from 'fast-check';
import { MAX_FIELD, type BinaryOp, type Expr, type VariableRef } from './ast.js';
import type { Field, Scalar, Value } from './evaluate.js';
import type { ResourceVariable } from './variables.js';

const BINARY_OPS: readonly BinaryOp[] = [
  '*',
  '/',
  '%',
  '+',
  '-',
  '<',
  '<=',
  '>',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
];

/** Non-negative finite doubles, small integers most often (as in real predicates). */
export const literalNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.nat(200) },
  {
    weight: 1,
    arbitrary: fc
      .double({ min: 0, noNaN: true, noDefaultInfinity: true })
      .filter((n) => !Object.is(n, -0)),
  },
);

/** Any UTF-16 text, lone surrogates included. */
export const anyUtf16: fc.Arbitrary<string> = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
});

export const variableRef: fc.Arbitrary<VariableRef> = fc
  .record({
    when: fc.constantFrom('current' as const, 'previous' as const),
    field: fc.option(fc.oneof(fc.nat(4), fc.nat(MAX_FIELD)), { nil: undefined }),
  })
  .map(({ when, field }) =>
    field === undefined ? { type: 'variable', when } : { type: 'variable', when, field },
  );

/** Syntax trees the parser could produce: small, so they print within the length limit. */
export const expr: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', maxDepth: 7 },
    literalNumber.map((value): Expr => ({ type: 'number', value })),
    fc
      .oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }))
      .map((value): Expr => ({ type: 'string', value })),
    variableRef,
    fc
      .record({ op: fc.constantFrom('!' as const, '-' as const), operand: tie('expr') })
      .map(({ op, operand }): Expr => ({ type: 'unary', op, operand })),
    {
      weight: 3,
      arbitrary: fc
        .record({ op: fc.constantFrom(...BINARY_OPS), left: tie('expr'), right: tie('expr') })
        .map(({ op, left, right }): Expr => ({ type: 'binary', op, left, right })),
    },
  ),
})).expr;

const OPERANDS = ['X', 'X@0', 'X@1', 'X@P', 'X@P2', '0', '90', '2.5', '"up"'];
const space = fc.constantFrom('', '', ' ', '  ', '\t');

/** The language's tokens in any order: mostly syntax errors. */
const tokenJumble: fc.Arbitrary<string> = fc
  .array(fc.tuple(fc.constantFrom(...OPERANDS, '(', ')', '!', '-', ...BINARY_OPS), space), {
    maxLength: 25,
  })
  .map((parts) => parts.map(([token, s]) => token + s).join(''));

/** Operands with prefixes and parentheses, joined by operators: often well formed. */
const tokenChain: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.constantFrom('', '', '', '(', '((', '!', '-', '!(', '- '),
      fc.constantFrom(...OPERANDS),
      fc.constantFrom('', '', '', ')', '))'),
      space,
      fc.constantFrom(...BINARY_OPS),
      space,
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((items) =>
    items
      .map(([prefix, operand, suffix, s1, op, s2], i) =>
        i === items.length - 1
          ? prefix + operand + suffix
          : prefix + operand + suffix + s1 + op + s2,
      )
      .join(''),
  );

/** Well-formed text with spacing and redundant parentheses a person might write. */
const tokenTree: fc.Arbitrary<string> = fc.letrec<{ text: string }>((tie) => ({
  text: fc.oneof(
    { depthSize: 'small', maxDepth: 6 },
    fc.constantFrom(...OPERANDS),
    fc.tuple(fc.constantFrom('!', '-', '- ', '!!'), tie('text')).map(([op, t]) => op + t),
    fc.tuple(space, tie('text'), space).map(([a, t, b]) => `(${a}${t}${b})`),
    {
      weight: 3,
      arbitrary: fc
        .tuple(tie('text'), space, fc.constantFrom(...BINARY_OPS), space, tie('text'))
        .map(([l, a, op, b, r]) => `${l}${a}${op}${b}${r}`),
    },
  ),
})).text;

/** Text built from the language's own tokens, so that a good share of it parses. */
export const tokenSoup: fc.Arbitrary<string> = fc.oneof(tokenJumble, tokenChain, tokenTree);

export const scalar: fc.Arbitrary<Scalar> = fc.oneof(
  fc.integer({ min: -5, max: 200 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 4 }),
);

const field: fc.Arbitrary<Field> = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }));

/** Any value, of any shape: what a buggy or hostile resource monitor might send. */
export const value: fc.Arbitrary<Value> = fc.oneof(scalar, fc.array(field, { maxLength: 4 }));

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });

/** A value shaped as the catalogue says this variable's values are. */
export function valueOf(variable: ResourceVariable): fc.Arbitrary<Value> {
  if (variable.kind === 'number') return fc.oneof(fc.integer({ min: 0, max: 100 }), finite);
  return fc.tuple(
    ...variable.fields.map((f): fc.Arbitrary<Field> => {
      switch (f.kind) {
        case 'number':
          return fc.oneof(fc.nat(10), finite);
        case 'string':
          return fc.string({ maxLength: 4 });
        case 'list':
          return fc.array(fc.nat(99999), { maxLength: 4 });
      }
    }),
  );
}
