// Turns predicate text into tokens. Works on code points, so a column is what a person counts
// in an editor, not a UTF-16 offset.

import { MAX_FIELD, type BinaryOp, type VariableRef } from './ast.js';
import { clip, parseError, type ParseError } from './parse-error.js';

/** Longest predicate accepted, in UTF-16 code units (checked before anything is allocated). */
export const MAX_PREDICATE_LENGTH = 1000;

export type Punct = '(' | ')' | '!' | BinaryOp;

interface At {
  /** 1-based code point column of the token's first character. */
  readonly column: number;
  /** The source text of the token. */
  readonly text: string;
}

export type Token =
  | (At & { readonly type: 'number'; readonly value: number })
  | (At & { readonly type: 'string'; readonly value: string })
  | (At & { readonly type: 'variable'; readonly ref: VariableRef })
  | (At & { readonly type: 'punct'; readonly text: Punct })
  | (At & { readonly type: 'end'; readonly text: '' });

export type LexResult =
  | { readonly ok: true; readonly tokens: readonly Token[] }
  | { readonly ok: false; readonly error: ParseError };

const TWO_CHAR: ReadonlySet<string> = new Set(['<=', '>=', '==', '!=', '&&', '||']);
const ONE_CHAR: ReadonlySet<string> = new Set(['(', ')', '!', '*', '/', '%', '+', '-', '<', '>']);
const WHITESPACE: ReadonlySet<string> = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  n: '\n',
  t: '\t',
  r: '\r',
};

// Characters people type by habit from other languages or word processors.
const HINTS: Readonly<Record<string, [replacement: string, advice: string]>> = {
  '=': ['==', "'=' assigns in C; write '==' to compare"],
  '&': ['&&', "'&' alone is not supported; write '&&' for 'and'"],
  '|': ['||', "'|' alone is not supported; write '||' for 'or'"],
  "'": ['"', 'single quotes are not supported; write strings in double quotes, e.g. "eth0"'],
  '\u201c': [
    '"',
    'typographic quotes are not supported; write strings in straight double quotes (")',
  ],
  '\u201d': [
    '"',
    'typographic quotes are not supported; write strings in straight double quotes (")',
  ],
  '\u2265': ['>=', "'\u2265' is not an operator here; write '>='"],
  '\u2264': ['<=', "'\u2264' is not an operator here; write '<='"],
  '\u2260': ['!=', "'\u2260' is not an operator here; write '!='"],
  '\u2212': ['-', "'\u2212' (Unicode minus) is not an operator here; write '-'"],
  '@': ['X@0', "'@' must follow X directly, as in X@0 or X@P"],
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isWordStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_');
const isWordChar = (c: string | undefined): boolean => isWordStart(c) || isDigit(c);

/** How a character is shown in an error: quoted if printable, always with its code point. */
export function describeChar(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const printable = cp > 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp <= 0xa0) && !isSurrogate(cp);
  if (!printable) return hex;
  const quoted = c === "'" ? `"'"` : `'${c}'`;
  return cp < 0x80 ? quoted : `${quoted} (${hex})`;
}

const isSurrogate = (cp: number): boolean => cp >= 0xd800 && cp <= 0xdfff;

export function lex(text: string): LexResult {
  if (typeof text !== 'string') {
    return fail(parseError('not-a-string', 1, typeof text, ['text'], 'a predicate must be text'));
  }
  if (text.length > MAX_PREDICATE_LENGTH) {
    return fail(
      parseError(
        'too-long',
        1,
        `${text.length} characters`,
        [`at most ${MAX_PREDICATE_LENGTH} characters`],
        `the predicate is ${text.length} characters long; at most ${MAX_PREDICATE_LENGTH} are allowed`,
      ),
    );
  }
  const cs = Array.from(text);
  const tokens: Token[] = [];
  let i = 0;
  while (i < cs.length) {
    const c = cs[i] ?? '';
    const column = i + 1;
    if (WHITESPACE.has(c)) {
      i++;
      continue;
    }
    const pair = c + (cs[i + 1] ?? '');
    if (pair === '--' || pair === '++') {
      // C reads these as decrement and increment, never as two signs: refusing them keeps every
      // accepted predicate meaning the same in C.
      const what = pair === '--' ? 'decrement' : 'increment';
      return fail(
        parseError(
          'unexpected-character',
          column,
          `'${pair}'`,
          [`'${pair[0] ?? ''}'`],
          `'${pair}' is C's ${what}, which predicates do not have; put a space or parentheses between the two signs, e.g. X - -1`,
        ),
      );
    }
    if (TWO_CHAR.has(pair)) {
      tokens.push({ type: 'punct', text: pair as Punct, column });
      i += 2;
      continue;
    }
    if (ONE_CHAR.has(c)) {
      tokens.push({ type: 'punct', text: c as Punct, column });
      i++;
      continue;
    }
    const scanned =
      isDigit(c) || (c === '.' && isDigit(cs[i + 1]))
        ? scanNumber(cs, i)
        : c === '"'
          ? scanString(cs, i)
          : isWordStart(c)
            ? scanWord(cs, i)
            : { error: unexpectedCharacter(c, column) };
    if ('error' in scanned) return fail(scanned.error);
    tokens.push(scanned.token);
    i = scanned.next;
  }
  tokens.push({ type: 'end', text: '', column: cs.length + 1 });
  return { ok: true, tokens };
}

type Scan = { readonly token: Token; readonly next: number } | { readonly error: ParseError };

const fail = (error: ParseError): LexResult => ({ ok: false, error });

function unexpectedCharacter(c: string, column: number): ParseError {
  const found = describeChar(c);
  const hint = HINTS[c];
  if (hint) {
    return parseError('unexpected-character', column, found, [`'${hint[0]}'`], hint[1]);
  }
  return parseError(
    'unexpected-character',
    column,
    found,
    [],
    `unexpected character ${found}; a predicate is made of numbers, "strings", X, X@n, X@P, ` +
      'parentheses and the operators ! * / % + - < <= > >= == != && ||',
  );
}

function scanNumber(cs: readonly string[], start: number): Scan {
  let j = start;
  while (isDigit(cs[j])) j++;
  const intEnd = j;
  if (cs[j] === '.') {
    j++;
    while (isDigit(cs[j])) j++;
  }
  if (
    (cs[j] === 'e' || cs[j] === 'E') &&
    (isDigit(cs[j + 1]) || ((cs[j + 1] === '+' || cs[j + 1] === '-') && isDigit(cs[j + 2])))
  ) {
    j += 2;
    while (isDigit(cs[j])) j++;
  }
  const column = start + 1;
  if (isWordChar(cs[j]) || cs[j] === '.') {
    // Glued letters or a second dot: report the whole run, not a confusing later token.
    while (isWordChar(cs[j]) || cs[j] === '.') j++;
    const text = cs.slice(start, j).join('');
    return {
      error: parseError(
        'invalid-number',
        column,
        `'${clip(text)}'`,
        ['a number'],
        `'${clip(text)}' is not a number; write decimal numbers such as 90, 0.5 or 1e6`,
      ),
    };
  }
  const text = cs.slice(start, j).join('');
  if (intEnd - start > 1 && cs[start] === '0') {
    return {
      error: parseError(
        'invalid-number',
        column,
        `'${clip(text)}'`,
        ['a number'],
        `'${clip(text)}' has a leading zero, which C reads as octal; remove the leading zero`,
      ),
    };
  }
  const value = Number(text);
  if (!Number.isFinite(value)) {
    return {
      error: parseError(
        'invalid-number',
        column,
        `'${clip(text)}'`,
        ['a number'],
        'the number is too large',
      ),
    };
  }
  return { token: { type: 'number', value, text, column }, next: j };
}

function scanString(cs: readonly string[], start: number): Scan {
  let value = '';
  let j = start + 1;
  for (;;) {
    const c = cs[j];
    if (c === undefined || c === '\n' || c === '\r') {
      const found = c === undefined ? 'end of input' : 'a line break';
      return {
        error: parseError(
          'unterminated-string',
          start + 1,
          found,
          ["'\"'"],
          `the string that starts here is not closed: expected '"' but found ${found}`,
        ),
      };
    }
    if (c === '"') break;
    if (c === '\\') {
      const e = cs[j + 1];
      const replacement = e === undefined ? undefined : ESCAPES[e];
      if (replacement === undefined) {
        const shown = e === undefined ? 'end of input' : describeChar(e);
        return {
          error: parseError(
            'invalid-escape',
            j + 1,
            `'\\' followed by ${shown}`,
            ['\\"', '\\\\', '\\n', '\\t', '\\r'],
            `unknown escape in string: '\\' followed by ${shown}; the escapes are \\" \\\\ \\n \\t \\r`,
          ),
        };
      }
      value += replacement;
      j += 2;
      continue;
    }
    value += c;
    j++;
  }
  const text = cs.slice(start, j + 1).join('');
  return { token: { type: 'string', value, text, column: start + 1 }, next: j + 1 };
}

function scanWord(cs: readonly string[], start: number): Scan {
  let j = start;
  while (isWordChar(cs[j])) j++;
  const word = cs.slice(start, j).join('');
  const column = start + 1;
  if (word !== 'X') {
    const suggestion =
      word.toUpperCase() === 'X' ? 'X' : /^X\d+$/i.test(word) ? `X@${word.slice(1)}` : undefined;
    return {
      error: parseError(
        'unknown-name',
        column,
        `'${clip(word)}'`,
        ['X'],
        suggestion === undefined
          ? `unknown name '${clip(word)}': a predicate can only name X (the value), X@n (field n) or X@P (the previous value)`
          : `unknown name '${clip(word)}'; did you mean '${suggestion}'?`,
      ),
    };
  }
  if (cs[j] !== '@') {
    return {
      token: { type: 'variable', ref: { type: 'variable', when: 'current' }, text: 'X', column },
      next: j,
    };
  }
  let k = j + 1;
  while (isWordChar(cs[k])) k++;
  const suffix = cs.slice(j + 1, k).join('');
  const text = `X@${suffix}`;
  const m = /^(P?)(\d*)$/.exec(suffix);
  const previous = m?.[1] === 'P';
  const digits = m?.[2] ?? '';
  if (!m || (!previous && digits === '')) {
    const found =
      suffix === ''
        ? cs[k] === undefined
          ? 'end of input'
          : describeChar(cs[k] ?? '')
        : `'${clip(suffix)}'`;
    return {
      error: parseError(
        'invalid-field',
        j + 2,
        found,
        ['a field number', 'P'],
        `expected a field number or P after 'X@' but found ${found}; write X@0, X@1, ... or X@P`,
      ),
    };
  }
  const when = previous ? 'previous' : 'current';
  if (digits === '') {
    return { token: { type: 'variable', ref: { type: 'variable', when }, text, column }, next: k };
  }
  const field = Number(digits);
  if (field > MAX_FIELD) {
    return {
      error: parseError(
        'invalid-field',
        j + 2,
        `'${clip(digits)}'`,
        [`a field number from 0 to ${MAX_FIELD}`],
        `field number ${clip(digits)} is out of range: fields are numbered 0 to ${MAX_FIELD}`,
      ),
    };
  }
  return {
    token: { type: 'variable', ref: { type: 'variable', when, field }, text, column },
    next: k,
  };
}
