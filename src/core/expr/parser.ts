// Recursive descent with precedence climbing over the C operator table in ast.ts.
// Recursion grows only with parentheses and unary operators (a chain of binary operators is a
// loop), and those are capped at MAX_NESTING_DEPTH, so no input can exhaust the stack.

import { BINARY_PRECEDENCE, isBinaryOp, type Expr } from './ast.js';
import { lex, type Token } from './lexer.js';
import { clip, oneOf, parseError, type ParseError } from './parse-error.js';

/** Most parentheses and unary operators that may enclose any part of a predicate. */
export const MAX_NESTING_DEPTH = 64;

export type ParseResult =
  { readonly ok: true; readonly expr: Expr } | { readonly ok: false; readonly error: ParseError };

const OPERAND = ['a number', 'a string', 'X', "'('"];

interface Failed {
  readonly error: ParseError;
}
type Parsed = Expr | Failed;
const failed = (p: Parsed): p is Failed => 'error' in p;

export function parsePredicate(text: string): ParseResult {
  const lexed = lex(text);
  if (!lexed.ok) return lexed;
  const tokens = lexed.tokens;
  let pos = 0;

  // The lexer always ends the list with an `end` token and nothing advances past it, so the
  // fallback is unreachable; it only satisfies noUncheckedIndexedAccess.
  const peek = (): Token => tokens[pos] ?? { type: 'end', text: '', column: 1 };
  const show = (t: Token): string => (t.type === 'end' ? 'end of input' : `'${clip(t.text)}'`);
  const after = (): string => {
    const prev = tokens[pos - 1];
    return prev ? ` after ${show(prev)}` : '';
  };

  function tooDeep(t: Token): Failed {
    return {
      error: parseError(
        'too-deep',
        t.column,
        show(t),
        [],
        `the predicate nests too deeply: at most ${MAX_NESTING_DEPTH} levels of parentheses and unary operators`,
      ),
    };
  }

  function binary(minPrecedence: number, depth: number): Parsed {
    let left = unary(depth);
    for (;;) {
      if (failed(left)) return left;
      const t = peek();
      if (t.type !== 'punct' || !isBinaryOp(t.text)) return left;
      const op = t.text;
      const precedence = BINARY_PRECEDENCE[op];
      if (precedence < minPrecedence) return left;
      pos++;
      const right = binary(precedence + 1, depth);
      if (failed(right)) return right;
      left = { type: 'binary', op, left, right };
    }
  }

  function unary(depth: number): Parsed {
    const t = peek();
    if (t.type === 'punct' && (t.text === '!' || t.text === '-')) {
      if (depth >= MAX_NESTING_DEPTH) return tooDeep(t);
      pos++;
      const operand = unary(depth + 1);
      if (failed(operand)) return operand;
      return { type: 'unary', op: t.text, operand };
    }
    return primary(depth);
  }

  function primary(depth: number): Parsed {
    const t = peek();
    switch (t.type) {
      case 'number':
        pos++;
        return { type: 'number', value: t.value };
      case 'string':
        pos++;
        return { type: 'string', value: t.value };
      case 'variable':
        pos++;
        return t.ref;
      case 'punct':
      case 'end':
        break;
    }
    if (t.type === 'punct' && t.text === '(') {
      if (depth >= MAX_NESTING_DEPTH) return tooDeep(t);
      pos++;
      const inner = binary(1, depth + 1);
      if (failed(inner)) return inner;
      const close = peek();
      if (close.type === 'punct' && close.text === ')') {
        pos++;
        return inner;
      }
      if (close.type === 'end') {
        return {
          error: parseError(
            'unexpected-token',
            close.column,
            show(close),
            ["')'"],
            `expected ')' to close the '(' at column ${t.column} but found end of input`,
          ),
        };
      }
      return expectedOperator(close, ["')'"]);
    }
    return {
      error: parseError(
        'unexpected-token',
        t.column,
        show(t),
        OPERAND,
        `expected ${oneOf(OPERAND)}${after()} but found ${show(t)}`,
      ),
    };
  }

  function expectedOperator(t: Token, orElse: readonly string[]): Failed {
    const expected = ['an operator', ...orElse];
    return {
      error: parseError(
        'unexpected-token',
        t.column,
        show(t),
        expected,
        `expected ${oneOf(expected)}${after()} but found ${show(t)}`,
      ),
    };
  }

  const expr = binary(1, 0);
  if (failed(expr)) return { ok: false, error: expr.error };
  const rest = peek();
  if (rest.type === 'end') return { ok: true, expr };
  if (rest.type === 'punct' && rest.text === ')') {
    return {
      ok: false,
      error: parseError(
        'unexpected-token',
        rest.column,
        show(rest),
        ['an operator', 'end of input'],
        "')' has no matching '('",
      ),
    };
  }
  return { ok: false, error: expectedOperator(rest, ['end of input']).error };
}
