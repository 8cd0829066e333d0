// The syntax tree of a predicate. Nodes carry no source positions on purpose: two predicates
// that mean the same thing compare equal (deepStrictEqual), which is what the print/parse
// round trip and configuration diffs rely on. Syntax errors carry columns instead.

export type UnaryOp = '!' | '-';

export type BinaryOp =
  '*' | '/' | '%' | '+' | '-' | '<' | '<=' | '>' | '>=' | '==' | '!=' | '&&' | '||';

export interface NumberLiteral {
  readonly type: 'number';
  /** Finite and not negative: `-5` is a unary minus applied to 5, as in C. */
  readonly value: number;
}

export interface StringLiteral {
  readonly type: 'string';
  readonly value: string;
}

/**
 * `X` (the whole value), `X@n` (field n of a structured value), `X@P` (the previous sample's
 * value) or `X@Pn` (field n of the previous sample's value).
 */
export interface VariableRef {
  readonly type: 'variable';
  readonly when: 'current' | 'previous';
  /** Absent for the whole value. */
  readonly field?: number;
}

export interface UnaryExpr {
  readonly type: 'unary';
  readonly op: UnaryOp;
  readonly operand: Expr;
}

export interface BinaryExpr {
  readonly type: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export type Expr = NumberLiteral | StringLiteral | VariableRef | UnaryExpr | BinaryExpr;

/** C precedence, higher binds tighter. Every binary operator is left-associative. */
export const BINARY_PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

/** Binds tighter than every binary operator. */
export const UNARY_PRECEDENCE = 7;

/** The largest field number accepted in `X@n`. */
export const MAX_FIELD = 999;

export function isBinaryOp(text: string): text is BinaryOp {
  return Object.hasOwn(BINARY_PRECEDENCE, text);
}
