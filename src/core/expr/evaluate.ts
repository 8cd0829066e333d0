// Evaluates a predicate against one sample of a resource variable.
// Semantics follow C where C is defined: comparisons and logic yield 1 or 0, non-zero is true,
// && and || short-circuit. Where C would need a type or be undefined, the result is an error
// value instead: strings only compare with == and != against strings, division by zero fails.
// Every number is a double, so `/` is real division (7 / 2 is 3.5, not C's 3).

import type { Expr } from './ast.js';
import { printPredicate } from './print.js';

export type Scalar = number | string;
/** One field of a structured value: a number, a string or a list (e.g. process ids). */
export type Field = Scalar | readonly Scalar[];
/** A resource variable's value: a scalar, or a structured value whose fields are X@0, X@1, ... */
export type Value = Scalar | readonly Field[];

export interface Sample {
  readonly current: Value;
  /** The previous sample's value, for X@P; absent on the first sample. */
  readonly previous?: Value;
}

export type EvalErrorType =
  | 'no-previous'
  | 'needs-field'
  | 'not-structured'
  | 'missing-field'
  | 'invalid-value'
  | 'type-mismatch'
  | 'division-by-zero'
  | 'not-a-number'
  | 'too-deep'
  | 'invalid-expression';

export interface EvalError {
  readonly type: EvalErrorType;
  /** Names the sub-expression at fault, e.g. `X@3: the value has only 3 fields (X@0 to X@2)`. */
  readonly message: string;
}

export type EvalResult =
  | { readonly ok: true; readonly value: boolean }
  | { readonly ok: false; readonly error: EvalError };

// Above anything the parser produces (each level costs at least two of the 1000 characters,
// so about 500, plus 64 of nesting); only a hand-built tree could reach it, and the check keeps
// even that from overflowing the stack.
const MAX_EVAL_DEPTH = 1000;

type Inner =
  { readonly ok: true; readonly value: Field } | { readonly ok: false; readonly error: EvalError };

export function evaluate(expr: Expr, sample: Sample): EvalResult {
  const r = evalExpr(expr, sample, 0);
  if (!r.ok) return r;
  const n = asNumber(r.value, expr, 'the predicate');
  return n.ok ? { ok: true, value: n.value !== 0 } : n;
}

function fail(type: EvalErrorType, message: string): { ok: false; error: EvalError } {
  return { ok: false, error: { type, message } };
}

function describe(v: unknown): string {
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return v === null ? 'null' : typeof v;
}

/** A number usable as a condition or an arithmetic operand. */
function asNumber(
  v: Field,
  expr: Expr,
  role: string,
): { ok: true; value: number } | { ok: false; error: EvalError } {
  if (typeof v === 'number') return { ok: true, value: v };
  return fail('type-mismatch', `${role} ${show(expr)} is ${describe(v)}, not a number`);
}

function show(expr: Expr): string {
  // A hand-built tree may be malformed; the message must not be what throws.
  try {
    return printPredicate(expr);
  } catch {
    return '(expression)';
  }
}

function isScalar(v: unknown): v is Scalar {
  return (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'string';
}

function isField(v: unknown): v is Field {
  return isScalar(v) || (Array.isArray(v) && v.every(isScalar));
}

function readVariable(expr: Expr & { type: 'variable' }, sample: Sample): Inner {
  const name = show(expr);
  const at = expr.when === 'previous' ? 'X@P' : 'X@';
  // Optional chaining: an untyped caller may pass no sample at all.
  const s = sample as Partial<Sample> | null | undefined;
  const whole: unknown = expr.when === 'previous' ? s?.previous : s?.current;
  if (whole === undefined) {
    return expr.when === 'previous'
      ? fail('no-previous', `${name}: there is no previous sample yet`)
      : fail('invalid-value', `${name}: the sample has no current value`);
  }
  if (expr.field === undefined) {
    if (Array.isArray(whole)) {
      return fail(
        'needs-field',
        `${name}: the value is structured (${whole.length} fields); name a field, e.g. ${at}0`,
      );
    }
    return isScalar(whole)
      ? { ok: true, value: whole }
      : fail('invalid-value', `${name}: the value is ${describe(whole)}`);
  }
  if (!Array.isArray(whole)) {
    return fail(
      'not-structured',
      `${name}: the value is ${describe(whole)}, which has no fields; use ${expr.when === 'previous' ? 'X@P' : 'X'}`,
    );
  }
  const fields = whole as readonly unknown[];
  if (expr.field >= fields.length) {
    const range =
      fields.length === 0
        ? 'no fields'
        : `only ${fields.length} fields (${at}0 to ${at}${fields.length - 1})`;
    return fail('missing-field', `${name}: the value has ${range}`);
  }
  const v = fields[expr.field];
  return isField(v)
    ? { ok: true, value: v }
    : fail('invalid-value', `${name}: the field is ${describe(v)}`);
}

function evalExpr(expr: Expr, sample: Sample, depth: number): Inner {
  if (depth > MAX_EVAL_DEPTH)
    return fail('too-deep', 'the expression nests too deeply to evaluate');
  // Checked at run time too: a tree may come from JSON or a caller that bypassed the parser.
  switch ((expr as { type?: unknown } | null)?.type) {
    case 'number':
    case 'string': {
      const v = (expr as { value: unknown }).value;
      return isScalar(v) && typeof v === expr.type ? { ok: true, value: v } : invalid(expr);
    }
    case 'variable':
      return readVariable(expr as Expr & { type: 'variable' }, sample);
    case 'unary':
      return evalUnary(expr as Expr & { type: 'unary' }, sample, depth);
    case 'binary':
      return evalBinary(expr as Expr & { type: 'binary' }, sample, depth);
    default:
      return invalid(expr);
  }
}

function invalid(expr: unknown): Inner {
  const type = (expr as { type?: unknown } | null)?.type;
  return fail(
    'invalid-expression',
    `not a predicate node: ${typeof type === 'string' ? type : describe(expr)}`,
  );
}

function evalUnary(expr: Expr & { type: 'unary' }, sample: Sample, depth: number): Inner {
  const r = evalExpr(expr.operand, sample, depth + 1);
  if (!r.ok) return r;
  const n = asNumber(r.value, expr.operand, `the operand of '${expr.op}',`);
  if (!n.ok) return n;
  switch (expr.op) {
    case '!':
      return { ok: true, value: n.value === 0 ? 1 : 0 };
    case '-':
      return { ok: true, value: -n.value };
    default:
      return invalid(expr);
  }
}

function evalBinary(expr: Expr & { type: 'binary' }, sample: Sample, depth: number): Inner {
  const l = evalExpr(expr.left, sample, depth + 1);
  if (!l.ok) return l;
  if (expr.op === '&&' || expr.op === '||') {
    const a = asNumber(l.value, expr.left, `the left operand of '${expr.op}',`);
    if (!a.ok) return a;
    // Short-circuit as C does: the right side is not evaluated, so its errors do not count.
    if ((a.value !== 0) === (expr.op === '||')) return { ok: true, value: a.value !== 0 ? 1 : 0 };
    const r = evalExpr(expr.right, sample, depth + 1);
    if (!r.ok) return r;
    const b = asNumber(r.value, expr.right, `the right operand of '${expr.op}',`);
    if (!b.ok) return b;
    return { ok: true, value: b.value !== 0 ? 1 : 0 };
  }
  const r = evalExpr(expr.right, sample, depth + 1);
  if (!r.ok) return r;
  const x = l.value;
  const y = r.value;
  if ((expr.op === '==' || expr.op === '!=') && typeof x === 'string' && typeof y === 'string') {
    return { ok: true, value: (x === y) === (expr.op === '==') ? 1 : 0 };
  }
  if (typeof x !== 'number' || typeof y !== 'number') {
    const strings =
      expr.op === '==' || expr.op === '!=' ? ' (strings compare only with strings)' : '';
    return fail(
      'type-mismatch',
      `'${expr.op}' needs two numbers${strings}, but ${show(expr.left)} is ${describe(x)} and ${show(expr.right)} is ${describe(y)}`,
    );
  }
  return arithmetic(expr, x, y);
}

function arithmetic(expr: Expr & { type: 'binary' }, x: number, y: number): Inner {
  const bool = (b: boolean): Inner => ({ ok: true, value: b ? 1 : 0 });
  let v: number;
  switch (expr.op) {
    case '<':
      return bool(x < y);
    case '<=':
      return bool(x <= y);
    case '>':
      return bool(x > y);
    case '>=':
      return bool(x >= y);
    case '==':
      return bool(x === y);
    case '!=':
      return bool(x !== y);
    case '+':
      v = x + y;
      break;
    case '-':
      v = x - y;
      break;
    case '*':
      v = x * y;
      break;
    case '/':
    case '%':
      if (y === 0) return fail('division-by-zero', `${show(expr)}: ${show(expr.right)} is zero`);
      v = expr.op === '/' ? x / y : x % y;
      break;
    default:
      // && and || are handled by the caller; anything else is a malformed tree.
      return invalid(expr);
  }
  // Only infinities can get here (Infinity - Infinity); NaN would be true in C and false in every
  // comparison, so it is refused rather than silently deciding an event.
  return Number.isNaN(v)
    ? fail('not-a-number', `${show(expr)} is not a number (NaN)`)
    : { ok: true, value: v };
}
