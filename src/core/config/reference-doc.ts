// The configuration reference in docs/configuration.md, generated from the JSON Schema of the
// cluster file (clusterJsonSchema()), so that the documentation says what the loader accepts.
//
// One section per object in the file (cluster, tunables, networks[], nodes[].interfaces[],
// each kind of dependency, events.<name>, ...), each a table of key, type, default, whether it
// is required, and the field's description. It follows $ref/$defs, anyOf/oneOf, arrays and
// records, and writes types as an administrator reads them: "duration", "name",
// "list of names", one of "a" | "b".
//
// A scalar's kind comes from an `x-haven-type` annotation when the schema has one, otherwise
// from its pattern (names, durations, absolute paths) or from its examples (addresses,
// commands); the tests pin the kinds of representative fields.
//
// Pure: JSON in, Markdown out. scripts/gen-config-docs.mjs writes it into the docs, and
// reference-doc.test.ts checks that the docs hold exactly what this produces.

import { DURATION_PATTERN } from './duration.js';
import { NAME_RE } from './schema.js';
import type { ResourceVariable } from '../expr/variables.js';

type Json = Readonly<Record<string, unknown>>;

/** Markers around the generated part of docs/configuration.md. */
export const BEGIN_MARKER = '<!-- BEGIN GENERATED REFERENCE -->';
export const END_MARKER = '<!-- END GENERATED REFERENCE -->';

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

// ---- Scalar kinds ---------------------------------------------------------------------------

interface Kind {
  readonly noun: string;
  readonly plural: string;
  /** What to write, for the table of value types. */
  readonly explain: string;
}

const KINDS: Readonly<Record<string, Kind>> = {
  name: {
    noun: 'name',
    plural: 'names',
    explain:
      'A letter, then letters, digits, `_`, `.` or `-`; at most 64 characters. Examples: `node1`, `net_ether_01`, `rg_web`.',
  },
  duration: {
    noun: 'duration',
    plural: 'durations',
    explain:
      'A number with a unit, `ms`, `s`, `m` or `h`, and parts may be combined: `200ms`, `1.5s`, `2m`, `1h30m`. A bare number is refused: write `30s`, not `30`.',
  },
  'address/prefix': {
    noun: 'address/prefix',
    plural: 'addresses with prefixes',
    explain:
      'An IPv4 or IPv6 address with its prefix length: `192.0.2.10/24`, `2001:db8:0:1::10/64`.',
  },
  'address[/prefix]': {
    noun: 'address[/prefix]',
    plural: 'addresses',
    explain:
      'An IPv4 or IPv6 address, with or without its prefix length: `192.0.2.10` or `192.0.2.10/24`.',
  },
  command: {
    noun: 'command',
    plural: 'commands',
    explain:
      'A command line, run with `/bin/sh -c` by the Haven daemon. Start it with an absolute path (`/usr/local/sbin/app_start --fast`): the daemon\u2019s PATH is not your login PATH.',
  },
  'absolute path': {
    noun: 'absolute path',
    plural: 'absolute paths',
    explain: 'A file system path starting with `/`.',
  },
};

const IP_PREFIX = /^[0-9A-Fa-f:.]+\/[0-9]{1,3}$/;
const IP_BARE = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/;

/** The administrator's name for a string schema, when it is one of the shared scalars. */
function stringKind(s: Json): string | undefined {
  const annotated = str(s['x-haven-type']);
  if (annotated !== undefined) return annotated;
  const pattern = str(s['pattern']);
  if (pattern === NAME_RE.source) return 'name';
  if (pattern === DURATION_PATTERN) return 'duration';
  if (pattern?.startsWith('^\\/') === true) return 'absolute path';
  const examples = Array.isArray(s['examples'])
    ? s['examples'].filter((e) => typeof e === 'string')
    : [];
  if (pattern === undefined && examples.length > 0) {
    if (examples.every((e) => IP_PREFIX.test(e))) return 'address/prefix';
    if (examples.every((e) => IP_PREFIX.test(e) || IP_BARE.test(e))) return 'address[/prefix]';
    if (examples.every((e) => e.startsWith('/'))) return 'command';
  }
  return undefined;
}

// ---- Markdown helpers -----------------------------------------------------------------------

/** Markdown text as written: no stray HTML or emphasis (escaped, except inside code spans). */
function para(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) =>
      i % 2 === 1 ? part : part.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\*/g, '\\*'),
    )
    .join('');
}

/** Text for a table cell: one line, no cell breaks (even in code spans), no stray HTML. */
function cell(text: string): string {
  return para(text.replace(/\s*\n\s*/g, ' ')).replace(/\|/g, '\\|');
}

const code = (text: string): string => `\`${text}\``;

/** The anchor GitHub (and most Markdown renderers) give a heading. */
export function headingAnchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

function literal(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : JSON.stringify(v);
}

function oneOfText(values: readonly unknown[]): string {
  if (values.length === 1) return literal(values[0]);
  return `one of ${values.map(literal).join(' | ')}`;
}

function joinOr(parts: readonly string[]): string {
  const unique = [...new Set(parts)];
  if (unique.length <= 1) return unique[0] ?? '';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1] ?? ''}`;
}

function range(s: Json): string {
  const min = num(s['minimum']);
  const max = num(s['maximum']);
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return '';
}

// ---- The walk -------------------------------------------------------------------------------

interface Row {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly required: boolean;
  readonly description: string;
}

interface Section {
  readonly heading: string;
  readonly anchor: string;
  readonly intro: string[];
  readonly rows: Row[];
  /** For a union: the kinds, each with its own section. */
  readonly kinds: {
    readonly label: string;
    readonly anchor: string;
    readonly description: string;
  }[];
  readonly notes: string[];
  readonly level: 3 | 4;
}

/** A type as the table shows it: singular and plural, and where its fields are described. */
interface TypeText {
  readonly noun: string;
  readonly plural: string;
  readonly see: readonly string[];
}

const typeText = (noun: string, plural = noun, see: readonly string[] = []): TypeText => ({
  noun,
  plural,
  see,
});

class Walker {
  readonly sections: Section[] = [];
  readonly kindsUsed = new Set<string>();
  private readonly anchors = new Set<string>();
  /** $ref target -> its type, once written. */
  private readonly refTypes = new Map<string, TypeText>();
  /** $ref target -> link to its section, from the moment the section is opened (recursion). */
  private readonly refLinks = new Map<string, string>();
  /** The $ref whose target is being written: the next section opened is its section. */
  private pendingRef: string | undefined;

  constructor(private readonly root: Json) {}

  /** Follows $ref (siblings of $ref override the target, as in draft 2020-12). */
  resolve(s: unknown, seen: readonly string[] = []): { schema: Json; ref: string | undefined } {
    if (!isObj(s)) return { schema: {}, ref: undefined };
    const ref = str(s['$ref']);
    if (ref === undefined || seen.includes(ref)) return { schema: s, ref: undefined };
    const target = this.pointer(ref);
    const siblings = Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref'));
    const inner = this.resolve(target, [...seen, ref]);
    return { schema: { ...inner.schema, ...siblings }, ref: inner.ref ?? ref };
  }

  private pointer(ref: string): unknown {
    if (!ref.startsWith('#')) return {};
    const parts = ref
      .slice(1)
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
    let node: unknown = this.root;
    for (const p of parts) node = isObj(node) ? node[p] : undefined;
    return node;
  }

  private newSection(heading: string, level: 3 | 4 = 3): Section {
    let anchor = headingAnchor(heading);
    for (let i = 1; this.anchors.has(anchor); i++) anchor = `${headingAnchor(heading)}-${i}`;
    this.anchors.add(anchor);
    const section: Section = { heading, anchor, intro: [], rows: [], kinds: [], notes: [], level };
    this.sections.push(section);
    if (this.pendingRef !== undefined) {
      this.refLinks.set(this.pendingRef, `[${heading}](#${anchor})`);
      this.pendingRef = undefined;
    }
    return section;
  }

  /** The section of the whole file; a `$ref` back to it links here. */
  rootSection(schema: unknown): void {
    const { schema: root, ref } = this.resolve(schema);
    this.pendingRef = ref ?? '#';
    this.objectSection(root, '', [], 'Top level');
  }

  /** The description of a value, looking through arrays to their items. */
  describe(s: Json): string | undefined {
    const own = str(s['description']);
    if (own !== undefined) return own;
    if (s['type'] === 'array') return str(this.resolve(s['items']).schema['description']);
    return undefined;
  }

  /** A section for an object with properties; returns it and the link to it. */
  objectSection(
    s: Json,
    path: string,
    intro: readonly string[],
    heading = code(path),
  ): { section: Section; link: string } {
    const section = this.newSection(heading);
    const own = str(s['description']);
    for (const t of [...intro, ...(own === undefined ? [] : [own])]) {
      if (t !== '' && !section.intro.includes(t)) section.intro.push(t);
    }
    const props = isObj(s['properties']) ? s['properties'] : {};
    const required = Array.isArray(s['required']) ? s['required'] : [];
    for (const [key, raw] of Object.entries(props)) {
      const p = this.resolve(raw).schema;
      const childPath = path === '' ? key : `${path}.${key}`;
      const t = this.typeOf(raw, childPath);
      const description =
        this.describe(p) ?? (p['const'] !== undefined ? 'Says which kind this is.' : '');
      section.rows.push({
        key,
        type: t.see.length ? `${t.noun}, see ${t.see.join(', ')}` : t.noun,
        default: defaultText(p),
        required: required.includes(key),
        description,
      });
    }
    const extra = s['additionalProperties'];
    if (isObj(extra) && Object.keys(props).length > 0) {
      const t = this.typeOf(extra, `${path}.<key>`);
      section.notes.push(`Any other key takes ${t.noun}.`);
    }
    return { section, link: `[${heading}](#${section.anchor})` };
  }

  /** The type of a value, registering a section for every object inside it. */
  typeOf(raw: unknown, path: string): TypeText {
    const { schema: s, ref } = this.resolve(raw);
    if (ref !== undefined) {
      const done = this.refTypes.get(ref);
      if (done !== undefined) return done;
      // Still being written: a recursive definition. Link to its section.
      const link = this.refLinks.get(ref);
      if (link !== undefined) return typeText('mapping', 'mappings', [link]);
    }
    this.pendingRef = ref;
    const t = this.typeOfResolved(s, path);
    if (this.pendingRef === ref) this.pendingRef = undefined;
    if (ref !== undefined) this.refTypes.set(ref, t);
    return t;
  }

  private typeOfResolved(s: Json, path: string): TypeText {
    if (s['const'] !== undefined) return typeText(literal(s['const']));
    if (Array.isArray(s['enum'])) return typeText(oneOfText(s['enum']));
    const alternatives = Array.isArray(s['anyOf'])
      ? s['anyOf']
      : Array.isArray(s['oneOf'])
        ? s['oneOf']
        : undefined;
    if (alternatives !== undefined) return this.unionType(s, alternatives, path);

    const type = s['type'];
    if (Array.isArray(type)) {
      const parts = type.map((t) => this.typeOfResolved({ ...s, type: t }, path));
      return typeText(joinOr(parts.map((p) => p.noun)), joinOr(parts.map((p) => p.plural)));
    }
    switch (type) {
      case 'string': {
        const kind = stringKind(s);
        if (kind !== undefined) {
          this.kindsUsed.add(kind);
          const k = KINDS[kind];
          return typeText(k?.noun ?? kind, k?.plural ?? kind);
        }
        const pattern = str(s['pattern']);
        return pattern === undefined
          ? typeText('text', 'text values')
          : typeText(`text matching ${code(pattern)}`, `text values matching ${code(pattern)}`);
      }
      case 'integer':
        return typeText(`whole number${range(s)}`, `whole numbers${range(s)}`);
      case 'number':
        return typeText(`number${range(s)}`, `numbers${range(s)}`);
      case 'boolean':
        return typeText('true or false', 'true/false values');
      case 'null':
        return typeText('null');
      case 'array': {
        const item = this.typeOf(s['items'], `${path}[]`);
        const min = num(s['minItems']);
        const max = num(s['maxItems']);
        const count =
          min !== undefined && min > 0
            ? ` (at least ${min}${max === undefined ? '' : `, at most ${max}`})`
            : max === undefined
              ? ''
              : ` (at most ${max})`;
        return typeText(`list of ${item.plural}${count}`, `lists of ${item.plural}`, item.see);
      }
      case 'object':
      case undefined: {
        if (isObj(s['properties'])) {
          const { link } = this.objectSection(s, path, []);
          return typeText('mapping', 'mappings', [link]);
        }
        const values = s['additionalProperties'];
        if (isObj(values)) {
          const keys = isObj(s['propertyNames'])
            ? this.typeOf(s['propertyNames'], path)
            : undefined;
          const keyText = keys === undefined || keys.noun === 'text' ? 'keys' : keys.plural;
          const v = this.typeOf(values, `${path}.<name>`);
          return typeText(`mapping from ${keyText} to ${v.plural}`, 'mappings', v.see);
        }
        return type === 'object'
          ? typeText('mapping', 'mappings')
          : typeText('any value', 'values');
      }
      default:
        return typeText(String(type));
    }
  }

  private unionType(s: Json, alternatives: readonly unknown[], path: string): TypeText {
    const resolved = alternatives.map((a) => this.resolve(a).schema);
    const objects = resolved.filter((a) => isObj(a['properties']));
    const others = resolved.filter((a) => !isObj(a['properties']));
    const otherTexts = others.map((a) => this.typeOf(a, path));
    if (objects.length === 0) {
      return typeText(
        joinOr(otherTexts.map((t) => t.noun)),
        joinOr(otherTexts.map((t) => t.plural)),
        otherTexts.flatMap((t) => t.see),
      );
    }
    const description = str(s['description']);
    const intro = description === undefined ? [] : [description];
    if (objects.length === 1 && objects[0] !== undefined) {
      const { section, link } = this.objectSection(objects[0], path, intro);
      for (const o of others) {
        const d = str(o['description']);
        const t = this.typeOf(o, path);
        section.notes.push(
          `Instead of a mapping, an entry may be ${code(t.noun)}${d === undefined ? '.' : `: ${d}`}`,
        );
      }
      const nouns = [...otherTexts.map((t) => t.noun), 'mapping'];
      return typeText(joinOr(nouns), joinOr([...otherTexts.map((t) => t.plural), 'mappings']), [
        link,
      ]);
    }
    // Several kinds of mapping, told apart by a field with a fixed value (e.g. `type`).
    const section = this.newSection(code(path));
    section.intro.push(...intro);
    const discriminator = discriminatorOf(objects);
    objects.forEach((o, i) => {
      const value = discriminator === undefined ? undefined : this.constAt(o, discriminator);
      const label =
        discriminator !== undefined && value !== undefined
          ? `${discriminator}: ${typeof value === 'string' ? value : JSON.stringify(value)}`
          : `form ${i + 1}`;
      const kind = this.objectSection(o, path, [], `${code(path)} with ${code(label)}`);
      section.kinds.push({
        label,
        anchor: kind.section.anchor,
        description: str(o['description']) ?? '',
      });
    });
    for (const t of otherTexts) section.notes.push(`Or ${t.noun}.`);
    const link = `[${code(path)}](#${section.anchor})`;
    return typeText(
      joinOr([...otherTexts.map((t) => t.noun), 'mapping']),
      joinOr([...otherTexts.map((t) => t.plural), 'mappings']),
      [link],
    );
  }

  private constAt(o: Json, key: string): unknown {
    const props = isObj(o['properties']) ? o['properties'] : {};
    return this.resolve(props[key]).schema['const'];
  }
}

function discriminatorOf(objects: readonly Json[]): string | undefined {
  const first = objects[0];
  if (first === undefined || !isObj(first['properties'])) return undefined;
  return Object.keys(first['properties']).find((key) =>
    objects.every((o) => {
      const p = isObj(o['properties']) ? o['properties'][key] : undefined;
      return isObj(p) && p['const'] !== undefined;
    }),
  );
}

function defaultText(s: Json): string {
  if (!('default' in s)) return '';
  const v = s['default'];
  if (Array.isArray(v)) return v.length === 0 ? 'empty list' : code(JSON.stringify(v));
  if (isObj(v)) {
    if (Object.keys(v).length === 0) return 'empty';
    return isObj(s['properties']) ? 'the defaults of its fields' : code(JSON.stringify(v));
  }
  if (typeof v === 'string') return code(v);
  return code(JSON.stringify(v));
}

// ---- Rendering ------------------------------------------------------------------------------

function renderSection(s: Section): string[] {
  const out = [`${'#'.repeat(s.level)} ${s.heading}`, ''];
  for (const t of s.intro) out.push(para(t), '');
  if (s.kinds.length > 0) {
    out.push('| kind | description |', '| --- | --- |');
    for (const k of s.kinds)
      out.push(`| [${code(k.label)}](#${k.anchor}) | ${cell(k.description)} |`);
    out.push('');
  }
  if (s.rows.length > 0) {
    out.push(
      '| key | type / allowed values | default | required | description |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const r of s.rows) {
      out.push(
        `| ${code(r.key)} | ${cell(r.type)} | ${cell(r.default)} | ${r.required ? 'yes' : 'no'} | ${cell(r.description)} |`,
      );
    }
    out.push('');
  }
  for (const n of s.notes) out.push(para(n), '');
  return out;
}

export interface ReferenceOptions {
  /** The resource variables user-defined events can watch (core/expr), listed at the end. */
  readonly variables?: readonly ResourceVariable[];
}

function renderVariables(variables: readonly ResourceVariable[]): string[] {
  const out = [
    '### Resource variables',
    '',
    'What `userEvents[].resourceVariable` can watch, with the `instance` fields that pick one copy',
    'of it. The value is `X` in a predicate; a structured value has fields `X@0`, `X@1`, ...',
    '',
  ];
  for (const v of variables) {
    out.push(`#### ${code(v.name)}`, '');
    out.push(para(`${v.description} Unit: ${v.unit}.`), '');
    const fields = [
      ...v.instance.required.map((f) => ({ f, required: true })),
      ...v.instance.optional.map((f) => ({ f, required: false })),
    ];
    if (fields.length > 0) {
      out.push('| instance field | required | description |', '| --- | --- | --- |');
      for (const { f, required } of fields) {
        out.push(`| ${code(f.name)} | ${required ? 'yes' : 'no'} | ${cell(f.description)} |`);
      }
      out.push('');
    }
    if (v.fields.length > 0) {
      out.push('| field | type | description |', '| --- | --- | --- |');
      for (const f of v.fields) {
        out.push(`| ${code(`X@${f.index}`)} | ${f.kind} | ${cell(f.description)} |`);
      }
      out.push('');
    }
    out.push(para(`Measured on Linux: ${v.linux}`), '');
    if (v.legacyNames.length > 0) {
      out.push(`In PSSP/HACMP: ${v.legacyNames.map(code).join(', ')}.`, '');
    }
    out.push('```yaml', `resourceVariable: ${v.name}`);
    if (v.example.instance !== '') out.push(`instance: ${JSON.stringify(v.example.instance)}`);
    out.push(`predicate: ${JSON.stringify(v.example.predicate)}`);
    out.push(`rearm: ${JSON.stringify(v.example.rearm)}`, '```', '');
  }
  return out;
}

/**
 * The reference part of docs/configuration.md, from the cluster file's JSON Schema. The text
 * goes between BEGIN_MARKER and END_MARKER, markers excluded; it ends with a newline.
 */
export function renderConfigReference(
  jsonSchema: Readonly<Record<string, unknown>>,
  options: ReferenceOptions = {},
): string {
  const w = new Walker(jsonSchema);
  w.rootSection(jsonSchema);

  const out: string[] = [
    '<!-- Generated from src/core/config/schema.ts: do not edit by hand. To update it, run',
    '     npm run build && npm run docs:config -->',
    '',
    '## Reference',
    '',
    'Every key of the cluster file, section by section. A key marked "required: no" may be',
    'left out; the default column gives the value it then takes (a blank default means the',
    'description says what happens, or the key is simply unset).',
    '',
  ];
  if (w.kindsUsed.size > 0) {
    out.push('### Value types', '', '| type | what to write |', '| --- | --- |');
    for (const [name, k] of Object.entries(KINDS)) {
      if (w.kindsUsed.has(name)) out.push(`| ${cell(k.noun)} | ${cell(k.explain)} |`);
    }
    for (const name of [...w.kindsUsed].filter((n) => !(n in KINDS)).sort()) {
      out.push(`| ${cell(name)} | See the field\u2019s description. |`);
    }
    out.push('');
  }
  for (const s of w.sections) out.push(...renderSection(s));
  if (options.variables !== undefined) out.push(...renderVariables(options.variables));
  while (out[out.length - 1] === '') out.pop();
  return `${out.join('\n')}\n`;
}

/**
 * Replaces the generated part of a document (between the markers) by `generated`.
 * Returns undefined when the markers are missing or out of order.
 */
export function spliceGenerated(document: string, generated: string): string | undefined {
  const begin = document.indexOf(BEGIN_MARKER);
  const end = document.indexOf(END_MARKER);
  if (begin < 0 || end < begin) return undefined;
  const head = document.slice(0, begin + BEGIN_MARKER.length);
  return `${head}\n${generated}${document.slice(end)}`;
}

/** The generated part of a document, as spliceGenerated wrote it; undefined without markers. */
export function extractGenerated(document: string): string | undefined {
  const begin = document.indexOf(BEGIN_MARKER);
  const end = document.indexOf(END_MARKER);
  if (begin < 0 || end < begin) return undefined;
  return document.slice(begin + BEGIN_MARKER.length + 1, end);
}

// ---- Completeness ---------------------------------------------------------------------------

/**
 * The fields of the schema that carry no description of their own, as paths such as
 * "resources.ocf[].timeouts.start". A description that is only the generic description of
 * the field's type (one of `generic`, e.g. the duration format) does not count; an array's
 * description may come from its items; the fixed `type` of a kind of dependency needs none.
 */
export function undocumentedFields(
  jsonSchema: Readonly<Record<string, unknown>>,
  generic: ReadonlySet<string> = new Set(),
): string[] {
  const w = new Walker(jsonSchema);
  const out: string[] = [];
  const specific = (d: string | undefined): boolean => d !== undefined && !generic.has(d);

  const visit = (raw: unknown, path: string, seen: readonly string[]): void => {
    const { schema: s, ref } = w.resolve(raw);
    if (ref !== undefined) {
      if (seen.includes(ref)) return;
      seen = [...seen, ref];
    }
    const alternatives: unknown[] = [
      ...(Array.isArray(s['anyOf']) ? (s['anyOf'] as unknown[]) : []),
      ...(Array.isArray(s['oneOf']) ? (s['oneOf'] as unknown[]) : []),
    ];
    for (const a of alternatives) visit(a, path, seen);
    if (s['type'] === 'array' || s['items'] !== undefined) visit(s['items'], `${path}[]`, seen);
    if (isObj(s['additionalProperties'])) visit(s['additionalProperties'], `${path}.<name>`, seen);
    if (!isObj(s['properties'])) return;
    for (const [key, rawProp] of Object.entries(s['properties'])) {
      const p = w.resolve(rawProp).schema;
      const childPath = path === '' ? key : `${path}.${key}`;
      const own = str(p['description']);
      const items =
        p['type'] === 'array' ? str(w.resolve(p['items']).schema['description']) : undefined;
      const documented = specific(own) || specific(items) || p['const'] !== undefined;
      if (!documented) out.push(childPath);
      visit(rawProp, childPath, seen);
    }
  };
  visit(jsonSchema, '', []);
  return [...new Set(out)];
}
