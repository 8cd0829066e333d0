// Prints a predicate in canonical form, with only the parentheses the C precedence needs.
// Invariant (property-tested): parsePredicate(printPredicate(e)) gives back e.

import { BINARY_PRECEDENCE, UNARY_PRECEDENCE, type Expr, type VariableRef } from './ast.js';

export function printPredicate(expr: Expr): string {
  switch (expr.type) {
    case 'number':
      // String() gives the shortest text that reads back as the same double, using an
      // exponent for very large or small values; the lexer accepts both forms.
      return String(expr.value);
    case 'string':
      return printString(expr.value);
    case 'variable':
      return printVariable(expr);
    case 'unary': {
      const inner = printPredicate(expr.operand);
      // Parenthesise binary operands, and `- -x` so nobody reads it as C's decrement.
      const wrap =
        precedenceOf(expr.operand) < UNARY_PRECEDENCE ||
        (expr.op === '-' && expr.operand.type === 'unary' && expr.operand.op === '-');
      return `${expr.op}${wrap ? `(${inner})` : inner}`;
    }
    case 'binary': {
      const p = BINARY_PRECEDENCE[expr.op];
      // Left-associative: an equal-precedence child needs parentheses only on the right.
      const left = printPredicate(expr.left);
      const right = printPredicate(expr.right);
      const l = precedenceOf(expr.left) < p ? `(${left})` : left;
      const r = precedenceOf(expr.right) <= p ? `(${right})` : right;
      return `${l} ${expr.op} ${r}`;
    }
  }
}

export function printVariable(ref: VariableRef): string {
  const at = ref.when === 'previous' ? '@P' : ref.field === undefined ? '' : '@';
  return `X${at}${ref.field === undefined ? '' : String(ref.field)}`;
}

function printString(value: string): string {
  const body = value.replace(/[\\"\n\r\t]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\${c}`,
  );
  return `"${body}"`;
}

function precedenceOf(expr: Expr): number {
  switch (expr.type) {
    case 'binary':
      return BINARY_PRECEDENCE[expr.op];
    case 'unary':
      return UNARY_PRECEDENCE;
    case 'number':
    case 'string':
    case 'variable':
      return UNARY_PRECEDENCE + 1;
  }
}
