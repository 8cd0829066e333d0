// A syntax error in a predicate, returned as a value (the lexer and parser never throw).

export type ParseErrorType =
  | 'not-a-string'
  | 'too-long'
  | 'too-deep'
  | 'unexpected-character'
  | 'unterminated-string'
  | 'invalid-escape'
  | 'invalid-number'
  | 'unknown-name'
  | 'invalid-field'
  | 'unexpected-token';

export interface ParseError {
  readonly type: ParseErrorType;
  /** Complete sentence for an operator, starting with `column N: `. */
  readonly message: string;
  /** 1-based, counted in Unicode code points from the start of the predicate. */
  readonly column: number;
  /** What was there, e.g. `'>'` or `end of input`. */
  readonly found: string;
  /** What would have been accepted there, e.g. `a number`, `')'`; may be empty. */
  readonly expected: readonly string[];
}

export function parseError(
  type: ParseErrorType,
  column: number,
  found: string,
  expected: readonly string[],
  detail: string,
): ParseError {
  return { type, message: `column ${column}: ${detail}`, column, found, expected };
}

/** `a, b or c`, for lists of expected things. */
export function oneOf(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

/** Token text as quoted in a message: long text is cut, on a code point boundary. */
export function clip(text: string, max = 20): string {
  const cps = Array.from(text);
  return cps.length > max ? `${cps.slice(0, max).join('')}...` : text;
}
