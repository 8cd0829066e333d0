// Recovery programs: the steps an event runs on the nodes of the view, and a parser for the
// reference's .rp file format. The step model is the configuration's (`RecoveryStep` in
// config/model.ts), so a program written inline in the cluster definition and one read from a
// file are the same value.
//
// The .rp format (HACMP ES, 4.4.1 and 11.3.2), one statement per line:
//
//   relationship "command" expected_status NULL      relationship: all | event | other
//   barrier                                          expected_status: 0-255 or X (any)
//
// Parsing never throws: problems are diagnostics placed at file:line:column (1-based, columns
// counted in code points) that say what was found and what was expected there.

import type { Diagnostic } from '../config/diagnostic.js';
import type { RecoveryStep } from '../config/model.js';

export type { RecoveryStep };

export type NodeSet = 'all' | 'event' | 'other';
export type CommandStep = Extract<RecoveryStep, { readonly type: 'command' }>;
export type RecoveryProgram = readonly RecoveryStep[];

/** The same bound as the configuration's command strings. */
export const MAX_COMMAND_LENGTH = 4096;

export type ProgramParseResult =
  | {
      readonly ok: true;
      readonly program: RecoveryStep[];
      /** The line each step of the program is on (1-based), for findings about a step. */
      readonly lines: number[];
      /** Warnings only (for instance a command line without its NULL). */
      readonly diagnostics: Diagnostic[];
    }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

const RELATIONSHIP_EXPECTED =
  'a relationship (all, event or other) followed by a quoted command, or barrier';
const STATUS_EXPECTED = 'an expected exit status 0-255, or X to ignore the status';
const COMMAND_EXPECTED = 'a command in double quotes, e.g. "/usr/local/bin/restart_app"';

interface Token {
  readonly text: string;
  /** 1-based, in code points. */
  readonly column: number;
  readonly quoted: boolean;
  readonly unterminated: boolean;
}

/** Splits a line into words and double-quoted strings; `#` at the start of a word begins a comment. */
function tokenize(line: string): Token[] {
  const cps = Array.from(line);
  const tokens: Token[] = [];
  let i = 0;
  while (i < cps.length) {
    const c = cps[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '#') break;
    const column = i + 1;
    if (c === '"') {
      // Inside quotes, \" and \\ are escapes; any other backslash is kept as written, so
      // ordinary shell text such as "grep a\.b" survives unchanged.
      let text = '';
      let j = i + 1;
      let closed = false;
      while (j < cps.length) {
        const d = cps[j] ?? '';
        if (d === '\\' && (cps[j + 1] === '"' || cps[j + 1] === '\\')) {
          text += cps[j + 1] ?? '';
          j += 2;
          continue;
        }
        if (d === '"') {
          closed = true;
          j++;
          break;
        }
        text += d;
        j++;
      }
      tokens.push({ text, column, quoted: true, unterminated: !closed });
      i = j;
      continue;
    }
    let text = '';
    let j = i;
    while (j < cps.length) {
      const d = cps[j] ?? '';
      if (d === ' ' || d === '\t' || d === '\f' || d === '\v') break;
      text += d;
      j++;
    }
    tokens.push({ text, column, quoted: false, unterminated: false });
    i = j;
  }
  return tokens;
}

/** Lines of a text file: \n, \r\n or \r; a final newline does not start another line. */
export function splitLines(text: string): string[] {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split(/\r\n|\n|\r/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** How a token is quoted in a message. */
function shown(t: Token | undefined): string {
  if (t === undefined) return 'the end of the line';
  const cps = Array.from(t.text);
  const clipped = cps.length > 40 ? `${cps.slice(0, 40).join('')}...` : t.text;
  return t.quoted ? JSON.stringify(clipped) : `'${clipped}'`;
}

function endColumn(line: string): number {
  return Array.from(line.replace(/[ \t\f\v]+$/, '')).length + 1;
}

/**
 * Parses a recovery program in the reference's .rp format.
 *
 * Decisions where the reference is silent or lenient:
 * - relationship, `barrier`, `NULL` and `X` are case-insensitive (the reference writes both
 *   `All` and `all`);
 * - a command line without its trailing NULL is accepted with a warning: the field is reserved
 *   and carries nothing, so the line means the same with or without it; anything else after the
 *   status (or after NULL) is an error;
 * - `barrier NULL` is accepted with a warning; anything else after `barrier` is an error;
 * - the command must be in double quotes (as the reference requires), may contain spaces, and
 *   takes the escapes \" and \\; an empty command is an error;
 * - `#` starts a comment at the start of a line or of a word outside quotes;
 * - a program without any command is an error (there would be nothing to run).
 */
export function parseRecoveryProgram(text: string, file: string): ProgramParseResult {
  const diagnostics: Diagnostic[] = [];
  const program: RecoveryStep[] = [];
  const stepLines: number[] = [];
  const lines = splitLines(typeof text === 'string' ? text : '');
  let errors = 0;

  const report = (
    severity: 'error' | 'warning',
    code: string,
    line: number,
    column: number,
    message: string,
    expected?: string,
    hint?: string,
  ): void => {
    if (severity === 'error') errors++;
    diagnostics.push({
      severity,
      code,
      path: [],
      file,
      line,
      column,
      message,
      ...(expected === undefined ? {} : { expected }),
      ...(hint === undefined ? {} : { hint }),
    });
  };

  lines.forEach((raw, index) => {
    const line = index + 1;
    const tokens = tokenize(raw);
    const [first, second, third, fourth, ...rest] = tokens;
    if (first === undefined) return;
    const keyword = first.quoted ? '' : first.text.toLowerCase();

    if (keyword === 'barrier') {
      if (second === undefined) {
        program.push({ type: 'barrier' });
        stepLines.push(line);
        return;
      }
      if (!second.quoted && second.text.toUpperCase() === 'NULL' && third === undefined) {
        report(
          'warning',
          'rp-barrier-null',
          line,
          second.column,
          'NULL is not written on barrier lines; it is ignored',
          'barrier alone on its line',
        );
        program.push({ type: 'barrier' });
        stepLines.push(line);
        return;
      }
      report(
        'error',
        'rp-unexpected-token',
        line,
        second.column,
        `unexpected ${shown(second)} after barrier`,
        'barrier alone on its line',
      );
      return;
    }

    if (keyword !== 'all' && keyword !== 'event' && keyword !== 'other') {
      report(
        'error',
        'rp-unknown-relationship',
        line,
        first.column,
        first.quoted
          ? `the command ${shown(first)} has no relationship before it`
          : `unknown relationship ${shown(first)}`,
        RELATIONSHIP_EXPECTED,
        'all: every node of the view; event: the node the event is about; other: every node but that one',
      );
      return;
    }
    const on: 'all' | 'event' | 'other' = keyword;

    if (second === undefined) {
      report(
        'error',
        'rp-missing-command',
        line,
        endColumn(raw),
        `the ${on} line has no command`,
        COMMAND_EXPECTED,
      );
      return;
    }
    if (!second.quoted) {
      report(
        'error',
        'rp-unquoted-command',
        line,
        second.column,
        `the command ${shown(second)} is not in double quotes`,
        COMMAND_EXPECTED,
      );
      return;
    }
    if (second.unterminated) {
      report(
        'error',
        'rp-unterminated-string',
        line,
        second.column,
        'the command\u2019s closing double quote is missing',
        COMMAND_EXPECTED,
      );
      return;
    }
    if (second.text.trim() === '') {
      report(
        'error',
        'rp-empty-command',
        line,
        second.column,
        'the command is empty',
        COMMAND_EXPECTED,
      );
      return;
    }
    if (Array.from(second.text).length > MAX_COMMAND_LENGTH) {
      report(
        'error',
        'rp-command-too-long',
        line,
        second.column,
        `the command is longer than ${MAX_COMMAND_LENGTH} characters`,
        COMMAND_EXPECTED,
      );
      return;
    }

    if (third === undefined) {
      report(
        'error',
        'rp-missing-status',
        line,
        endColumn(raw),
        'the expected exit status is missing after the command',
        STATUS_EXPECTED,
      );
      return;
    }
    let expect: number | undefined;
    if (!third.quoted && third.text.toUpperCase() === 'X') {
      expect = undefined;
    } else if (!third.quoted && /^[0-9]{1,3}$/.test(third.text) && Number(third.text) <= 255) {
      expect = Number(third.text);
    } else {
      report(
        'error',
        'rp-invalid-status',
        line,
        third.column,
        `${shown(third)} is not an exit status`,
        STATUS_EXPECTED,
        third.quoted ? 'a command with spaces goes in one pair of double quotes' : undefined,
      );
      return;
    }

    if (fourth === undefined) {
      report(
        'warning',
        'rp-missing-null',
        line,
        endColumn(raw),
        'the line does not end with NULL; accepted, as the field is reserved',
        'NULL at the end of each command line',
      );
    } else if (fourth.quoted || fourth.text.toUpperCase() !== 'NULL') {
      report(
        'error',
        'rp-unexpected-token',
        line,
        fourth.column,
        `unexpected ${shown(fourth)} after the expected status`,
        'NULL at the end of the line',
        fourth.quoted ? 'a command with spaces goes in one pair of double quotes' : undefined,
      );
      return;
    } else if (rest[0] !== undefined) {
      report(
        'error',
        'rp-unexpected-token',
        line,
        rest[0].column,
        `unexpected ${shown(rest[0])} after NULL`,
        'the end of the line',
      );
      return;
    }
    program.push({ type: 'command', on, run: second.text, expect });
    stepLines.push(line);
  });

  if (errors === 0 && !program.some((s) => s.type === 'command')) {
    report(
      'error',
      'rp-empty-program',
      Math.max(1, lines.length),
      1,
      'the recovery program has no command',
      'at least one line: relationship "command" expected_status NULL',
    );
  }
  if (errors > 0) return { ok: false, diagnostics };
  return { ok: true, program, lines: stepLines, diagnostics };
}

/** Writes a program in the .rp format; `parseRecoveryProgram` reads it back to the same steps. */
export function printRecoveryProgram(program: RecoveryProgram): string {
  return program
    .map((s) =>
      s.type === 'barrier'
        ? 'barrier\n'
        : `${s.on} "${s.run.replace(/[\\"]/g, (c) => `\\${c}`)}" ${s.expect ?? 'X'} NULL\n`,
    )
    .join('');
}

/** Whether `self` runs a command step of an event about `eventNode`. */
export function runsOn(on: NodeSet, eventNode: number, self: number): boolean {
  switch (on) {
    case 'all':
      return true;
    case 'event':
      return self === eventNode;
    case 'other':
      return self !== eventNode;
    default:
      // Unreachable for typed programs; a program from untyped data must not throw.
      return false;
  }
}

/** The number of barriers: the program's commands run in `barrierCount + 1` segments. */
export function barrierCount(program: RecoveryProgram): number {
  return program.filter((s) => s.type === 'barrier').length;
}

/** The command steps between barriers: `segments(p)[k]` runs after barrier k-1, before barrier k. */
export function segments(program: RecoveryProgram): CommandStep[][] {
  const out: CommandStep[][] = [[]];
  for (const s of program) {
    if (s.type === 'barrier') out.push([]);
    else out[out.length - 1]?.push(s);
  }
  return out;
}
