// The reference's rules file (rules.hacmprd, 4.3.1 and 11.3.4): which recovery program an event
// runs. Each event is exactly nine lines, comment lines (starting with #) not counted, and a
// blank line is an empty field, not a separator. The reference warns that one line too many or
// too few makes the node hang; here it is a diagnostic that says which event, which line, and
// what the nine fields are.

import type { Diagnostic } from '../config/diagnostic.js';
import { splitLines } from './program.js';

export interface RuleDef {
  /** (1) The event name, unique in the file. */
  readonly name: string;
  /** (2) State (qualifier): with the name, the rule's trigger. The reference uses 0. */
  readonly state: number;
  /** (3) Absolute path of the recovery program (.rp file). */
  readonly programPath: string;
  /** (4) Recovery type: reserved, any non-blank value (the reference writes 2). */
  readonly recoveryType: string;
  /** (5) Recovery level: reserved, any non-blank value (the reference writes 0). */
  readonly recoveryLevel: string;
  /** (6) Resource variable name: user-defined events only; undefined when blank. */
  readonly resourceVariable: string | undefined;
  /** (7) Instance vector, e.g. `NodeNum=*;ProgName=rwhod`; undefined when blank. */
  readonly instance: string | undefined;
  /** (8) Predicate, e.g. `X@0==0&&X@1!=0`; undefined when blank. */
  readonly predicate: string | undefined;
  /** (9) Rearm predicate; undefined when blank. */
  readonly rearm: string | undefined;
  /** The file line of each of the nine fields, in order (1-based). */
  readonly lines: readonly number[];
}

export type RuleField = Exclude<keyof RuleDef, 'lines'>;

/** The nine fields, in file order, as errors name them. */
export const RULE_FIELDS: readonly { readonly key: RuleField; readonly label: string }[] = [
  { key: 'name', label: 'event name' },
  { key: 'state', label: 'state (qualifier)' },
  { key: 'programPath', label: 'recovery program path' },
  { key: 'recoveryType', label: 'recovery type (reserved)' },
  { key: 'recoveryLevel', label: 'recovery level (reserved)' },
  { key: 'resourceVariable', label: 'resource variable name' },
  { key: 'instance', label: 'instance vector' },
  { key: 'predicate', label: 'predicate' },
  { key: 'rearm', label: 'rearm predicate' },
];

/** "(1) event name, (2) state (qualifier), ..." */
export const NINE_FIELDS = RULE_FIELDS.map((f, i) => `(${i + 1}) ${f.label}`).join(', ');

const NINE_LINES = `exactly nine lines per event, comment lines not counted, a blank line for an empty field: ${NINE_FIELDS}`;

/**
 * The reference's event names (the TE_ prefix: topology events) and the built-in Haven event
 * each corresponds to, for importing a reference rules file.
 */
export const REFERENCE_EVENT_NAMES: Readonly<Record<string, string>> = {
  TE_JOIN_NODE: 'node_up',
  TE_FAIL_NODE: 'node_down',
  TE_JOIN_NETWORK: 'network_up',
  TE_FAIL_NETWORK: 'network_down',
  TE_SWAP_ADAPTER: 'swap_adapter',
  TE_JOIN_STANDBY: 'join_interface',
  TE_FAIL_STANDBY: 'fail_interface',
  TE_DARE_TOPOLOGY: 'reconfig_topology',
  TE_DARE_RESOURCE: 'reconfig_resource',
};

export type RulesParseResult =
  | { readonly ok: true; readonly rules: RuleDef[]; readonly diagnostics: Diagnostic[] }
  | { readonly ok: false; readonly diagnostics: Diagnostic[] };

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

interface Line {
  readonly number: number;
  readonly text: string;
  /** 1-based column of the first non-blank character. */
  readonly column: number;
}

function quote(text: string): string {
  const cps = Array.from(text);
  return JSON.stringify(cps.length > 40 ? `${cps.slice(0, 40).join('')}...` : text);
}

/**
 * Parses a rules file. Decisions:
 * - a comment is a line whose first non-blank character is `#`; a line of only spaces or tabs
 *   is blank (an empty field); fields are trimmed;
 * - the name starts with a letter or `_` and has no spaces; the state is a decimal integer; the
 *   program path is absolute; recovery type and level must not be blank (the reference: "you
 *   have to specify some value");
 * - the four Event Manager fields go together: a resource variable needs a predicate and a
 *   predicate needs a resource variable; an instance vector or a rearm predicate needs both;
 * - after an event whose name, state or path is wrong the events that follow are out of step, so
 *   they are not checked (their errors would only be echoes of the first);
 * - fewer than nine blank lines after the last event are ignored with a warning (the reference
 *   says they hang the node); any other incomplete last event is an error.
 */
export function parseRules(text: string, file: string): RulesParseResult {
  const diagnostics: Diagnostic[] = [];
  const rules: RuleDef[] = [];
  let errors = 0;
  const report = (d: Omit<Diagnostic, 'file'>): void => {
    if (d.severity === 'error') errors++;
    diagnostics.push({ ...d, file });
  };

  const fields: Line[] = [];
  splitLines(typeof text === 'string' ? text : '').forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#')) return;
    const lead = raw.length - raw.trimStart().length;
    fields.push({
      number: i + 1,
      text: trimmed,
      column: Array.from(raw.slice(0, lead)).length + 1,
    });
  });

  const seen = new Map<string, number>();
  let previous: RuleDef | undefined;
  // The previous event's own findings wait until the next group of nine lines is known to be in
  // step: if it is not, the previous event most likely has a line too many or too few, and its
  // findings (a stray rearm predicate that is really the next event's name...) are echoes.
  let pending: Omit<Diagnostic, 'file'>[] = [];
  const flush = (): void => {
    for (const d of pending) report(d);
    pending = [];
  };
  const notChecked = (line: number): void => {
    report({
      severity: 'info',
      code: 'rules-not-checked',
      path: [],
      line,
      column: 1,
      message: 'the events after this point are not checked until it is fixed',
    });
  };
  const found = (t: string): string => (t === '' ? 'blank' : quote(t));

  for (let start = 0; start < fields.length; start += 9) {
    const group = fields.slice(start, start + 9);
    const head = group[0];
    if (head === undefined) break;
    const last = group[group.length - 1] ?? head;
    const previousEvent =
      previous === undefined
        ? undefined
        : `the event before, ${quote(previous.name)} (lines ${previous.lines[0] ?? 0}-${previous.lines[8] ?? 0})`;

    if (group.length < 9 && group.every((l) => l.text === '')) {
      flush();
      report({
        severity: 'warning',
        code: 'rules-trailing-blank-lines',
        path: [],
        line: head.number,
        column: 1,
        message: `${group.length} blank line${group.length === 1 ? '' : 's'} after the last event ${previous === undefined ? '' : `${quote(previous.name)} `}ignored (the reference's cluster manager hangs on them)`,
        expected: 'the file to end with the ninth line of its last event',
        hint: 'remove the blank lines at the end of the file',
      });
      break;
    }

    // Why the group before this one is the likely culprit, as precisely as can be told.
    const previousHint = (l: Line): string => {
      if (previous === undefined || previousEvent === undefined) {
        return 'the first line that is not a comment is the name of the first event';
      }
      const rearm = previous.rearm;
      if (previous.resourceVariable === undefined && rearm !== undefined && NAME_RE.test(rearm)) {
        return `${previousEvent} probably has a line too few: its (9) rearm predicate, line ${previous.lines[8] ?? 0}, is ${quote(rearm)}, which looks like the next event's name`;
      }
      if (l.text === '') {
        return `${previousEvent} probably has a line too many: the blank line ${l.number} is read as the next event's name`;
      }
      return `${previousEvent} probably has a line too many or too few`;
    };

    // The fields that tell whether this group of lines really is an event.
    const outOfStep = (l: Line, index: number, expected: string): void => {
      const field = RULE_FIELDS[index];
      pending = [];
      report({
        severity: 'error',
        code: 'rules-out-of-step',
        path: index === 0 ? [] : [head.text, field?.key ?? ''],
        line: l.number,
        column: l.column,
        message: `line ${l.number} should be field (${index + 1}) ${field?.label ?? ''} of ${index === 0 ? 'an event' : `event ${quote(head.text)}`}, but it is ${found(l.text)}`,
        expected: `${expected}; ${NINE_LINES}`,
        hint:
          index === 0
            ? previousHint(l)
            : `count the lines of event ${quote(head.text)}${previousEvent === undefined ? '' : ` and of ${previousEvent}`}: nine each, blank lines included`,
      });
      if (fields.length > start + group.length) notChecked(last.number);
    };
    if (!NAME_RE.test(head.text)) {
      outOfStep(head, 0, 'an event name: a letter or _, then letters, digits, _ . -');
      break;
    }
    const stateL = group[1];
    if (stateL !== undefined && !/^[0-9]{1,9}$/.test(stateL.text)) {
      outOfStep(stateL, 1, 'the state, a number (the reference uses 0)');
      break;
    }
    const pathL = group[2];
    if (pathL !== undefined && !pathL.text.startsWith('/')) {
      outOfStep(pathL, 2, 'the absolute path of a recovery program (.rp file)');
      break;
    }
    flush();

    if (group.length < 9) {
      const missing = RULE_FIELDS[group.length];
      report({
        severity: 'error',
        code: 'rules-incomplete-event',
        path: [head.text],
        line: last.number,
        column: 1,
        message: `event ${quote(head.text)} has ${group.length} of its 9 lines: the file ends where its (${group.length + 1}) ${missing?.label ?? ''} should be`,
        expected: NINE_LINES,
        hint: 'add the missing lines (a blank line for an empty field)',
      });
      break;
    }

    const [nameL, , , typeL, levelL, varL, instL, predL, rearmL] = group as [
      Line,
      Line,
      Line,
      Line,
      Line,
      Line,
      Line,
      Line,
      Line,
    ];
    const name = nameL.text;
    const blankField = (l: Line, index: number): void => {
      pending.push({
        severity: 'error',
        code: 'rules-blank-field',
        path: [name, RULE_FIELDS[index]?.key ?? ''],
        line: l.number,
        column: 1,
        message: `field (${index + 1}) ${RULE_FIELDS[index]?.label ?? ''} of event ${quote(name)} is blank`,
        expected: 'some value (the field is reserved: the reference writes 2 and 0)',
      });
    };
    if (typeL.text === '') blankField(typeL, 3);
    if (levelL.text === '') blankField(levelL, 4);

    const opt = (l: Line): string | undefined => (l.text === '' ? undefined : l.text);
    const rule: RuleDef = {
      name,
      state: Number(stateL?.text),
      programPath: pathL?.text ?? '',
      recoveryType: typeL.text,
      recoveryLevel: levelL.text,
      resourceVariable: opt(varL),
      instance: opt(instL),
      predicate: opt(predL),
      rearm: opt(rearmL),
      lines: group.map((l) => l.number),
    };

    const needs = (l: Line, index: number, other: Line, otherIndex: number, what: string): void => {
      pending.push({
        severity: 'error',
        code: 'rules-event-manager-fields',
        path: [name, RULE_FIELDS[otherIndex]?.key ?? ''],
        line: other.number,
        column: 1,
        message: `event ${quote(name)} has a ${RULE_FIELDS[index]?.label ?? ''} (line ${l.number}) but its ${RULE_FIELDS[otherIndex]?.label ?? ''} is blank`,
        expected: `${what}; for a built-in event, fields 6 to 9 are all blank`,
      });
    };
    if (rule.resourceVariable !== undefined && rule.predicate === undefined) {
      needs(varL, 5, predL, 7, 'a predicate on the eighth line of the event');
    }
    if (rule.resourceVariable === undefined) {
      for (const [l, index] of [
        [instL, 6],
        [predL, 7],
        [rearmL, 8],
      ] as const) {
        if (l.text !== '') {
          needs(l, index, varL, 5, 'a resource variable on the sixth line of the event');
          break;
        }
      }
    }

    const first = seen.get(name);
    if (first !== undefined) {
      pending.push({
        severity: 'error',
        code: 'rules-duplicate-name',
        path: [name],
        line: nameL.number,
        column: nameL.column,
        message: `event ${quote(name)} is defined twice: first at line ${first}`,
        expected: 'a unique event name',
      });
    } else {
      seen.set(name, nameL.number);
    }
    rules.push(rule);
    previous = rule;
  }
  flush();

  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  if (errors > 0) return { ok: false, diagnostics };
  return { ok: true, rules, diagnostics };
}
