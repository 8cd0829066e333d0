// Instance vectors: which copy of a resource variable an event watches (which file system,
// which program). Accepts the reference's `NodeNum=6;ProgName=upr6;UserName=root` string form
// and the key/value map a YAML configuration naturally gives.

import { closest } from './suggest.js';
import type { InstanceField, ResourceVariable } from './variables.js';

export type Instance = Readonly<Record<string, string>>;

export const MAX_INSTANCE_LENGTH = 1000;

export type InstanceErrorType =
  | 'not-an-instance'
  | 'too-long'
  | 'missing-equals'
  | 'empty-field-name'
  | 'duplicate-field'
  | 'invalid-value';

export interface InstanceError {
  readonly type: InstanceErrorType;
  readonly message: string;
  /** The field concerned, when there is one. */
  readonly field?: string;
}

export type InstanceResult =
  | { readonly ok: true; readonly instance: Instance }
  | { readonly ok: false; readonly error: InstanceError };

/**
 * Parses `field=value;field=value`. Spaces around fields and values are ignored, as are empty
 * elements (a trailing `;`). There is no quoting: a value cannot contain `;` in this form; use
 * the map form for that. An empty string is the empty instance.
 */
export function parseInstance(input: string | Readonly<Record<string, unknown>>): InstanceResult {
  // Checked at run time: the value usually comes straight from a YAML document.
  const value: unknown = input;
  if (typeof value === 'string') return parseInstanceText(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(
      'not-an-instance',
      `an instance must be text like 'mount=/tmp' or a map of fields, not ${describe(value)}`,
    );
  }
  const entries: [string, string][] = [];
  for (const [field, v] of Object.entries(value) as [string, unknown][]) {
    if (typeof v === 'string') entries.push([field, v.trim()]);
    // YAML reads `node: 6` as a number; a number is as good as its text.
    else if (typeof v === 'number' && Number.isFinite(v)) entries.push([field, String(v)]);
    else {
      return fail(
        'invalid-value',
        `instance field '${field}' must be text, not ${describe(v)}`,
        field,
      );
    }
  }
  // fromEntries defines own properties, so even a field named __proto__ stays plain data.
  return { ok: true, instance: Object.fromEntries(entries) };
}

function parseInstanceText(text: string): InstanceResult {
  if (text.length > MAX_INSTANCE_LENGTH) {
    return fail(
      'too-long',
      `the instance is ${text.length} characters long; at most ${MAX_INSTANCE_LENGTH} are allowed`,
    );
  }
  const entries = new Map<string, string>();
  const elements = text.split(';');
  for (const [i, element] of elements.entries()) {
    if (element.trim() === '') continue;
    const eq = element.indexOf('=');
    const where = `element ${i + 1} '${element.trim()}'`;
    if (eq < 0) {
      return fail('missing-equals', `${where} has no '=': write field=value, e.g. mount=/tmp`);
    }
    const field = element.slice(0, eq).trim();
    if (field === '') return fail('empty-field-name', `${where} has no field name before '='`);
    if (entries.has(field)) {
      return fail('duplicate-field', `${where} repeats the field '${field}'`, field);
    }
    entries.set(field, element.slice(eq + 1).trim());
  }
  return { ok: true, instance: Object.fromEntries(entries) };
}

function fail(type: InstanceErrorType, message: string, field?: string): InstanceResult {
  return { ok: false, error: field === undefined ? { type, message } : { type, message, field } };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'object':
      return 'a map';
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof v} ${v.toString()}`;
    default:
      return typeof v;
  }
}

export type InstanceProblemType =
  'unknown-field' | 'missing-field' | 'empty-value' | 'wildcard-not-allowed';

export interface InstanceProblem {
  readonly type: InstanceProblemType;
  readonly field: string;
  readonly message: string;
  /** For an unknown field: the field probably meant. */
  readonly suggestion?: string;
}

/** Everything wrong with an instance for a variable, in a stable order; empty if it is fine. */
export function checkInstance(
  variable: ResourceVariable,
  instance: Instance,
): readonly InstanceProblem[] {
  const known: readonly InstanceField[] = [
    ...variable.instance.required,
    ...variable.instance.optional,
  ];
  const problems: InstanceProblem[] = [];
  for (const [field, value] of Object.entries(instance)) {
    const spec = known.find((f) => f.name === field);
    if (!spec) {
      problems.push(unknownField(variable, known, field));
      continue;
    }
    if (value === '') {
      problems.push({
        type: 'empty-value',
        field,
        message: `instance field '${field}' of ${variable.name} is empty: ${spec.description}`,
      });
    } else if (value === '*' && !spec.wildcard) {
      problems.push({
        type: 'wildcard-not-allowed',
        field,
        message: `instance field '${field}' of ${variable.name} does not accept '*': ${spec.description}`,
      });
    }
  }
  for (const spec of variable.instance.required) {
    if (!Object.hasOwn(instance, spec.name)) {
      problems.push({
        type: 'missing-field',
        field: spec.name,
        message: `${variable.name} needs the instance field '${spec.name}': ${spec.description}`,
      });
    }
  }
  return problems;
}

function unknownField(
  variable: ResourceVariable,
  known: readonly InstanceField[],
  field: string,
): InstanceProblem {
  const legacy = known.find((f) => f.legacyName?.toLowerCase() === field.toLowerCase());
  const suggestion =
    legacy?.name ??
    closest(
      field,
      known.map((f) => f.name),
    );
  const hint = legacy
    ? `; the PSSP field ${field} is '${legacy.name}' in Haven`
    : suggestion === undefined
      ? ''
      : `; did you mean '${suggestion}'?`;
  const list = known.map((f) => f.name).join(', ');
  return {
    type: 'unknown-field',
    field,
    message: `${variable.name} has no instance field '${field}'${hint} (its fields are ${list})`,
    ...(suggestion === undefined ? {} : { suggestion }),
  };
}
