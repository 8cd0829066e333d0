// OCF meta-data: what an agent prints for `<agent> meta-data` (the resource-agent XML of the
// OCF resource agent API), parsed, and the checks Haven makes of a resource's parameters
// against it. Pure: no I/O here, so the checks are tested without running an agent.
//
// The format is small and regular (<resource-agent><parameters><parameter name= required=
// unique=><content type= default=/></parameter>...<actions><action name= timeout=/>), so a
// minimal XML reader does; it understands elements, attributes, text, entities, comments,
// CDATA, the XML declaration and a DOCTYPE, and rejects anything malformed with the offset.

import { HavenError } from '../../core/errors.js';
import { closest } from '../../core/config/suggest.js';

export interface OcfParameter {
  readonly name: string;
  readonly required: boolean;
  readonly unique: boolean;
  readonly deprecated: boolean;
  /** "string", "integer", "boolean", "select" (OCF 1.1), or whatever the agent wrote. */
  readonly type: string;
  readonly default: string | undefined;
  /** The allowed values of a "select" parameter (<option value=>). */
  readonly options: readonly string[];
  readonly shortdesc: string | undefined;
}

export interface OcfAction {
  readonly name: string;
  /** The agent's advised minimum time limit, when it gives one. */
  readonly timeoutMs: number | undefined;
  readonly intervalMs: number | undefined;
}

export interface OcfMetadata {
  readonly name: string;
  readonly version: string | undefined;
  readonly parameters: readonly OcfParameter[];
  readonly actions: readonly OcfAction[];
}

/** The meta-data an agent printed is not the XML the OCF API describes. */
export class OcfMetadataError extends HavenError<{ readonly offset: number | undefined }> {
  constructor(message: string, offset?: number) {
    super(
      'OCF_METADATA',
      `unreadable OCF meta-data: ${message}${offset === undefined ? '' : ` (at character ${offset})`}`,
      { details: { offset } },
    );
  }
}

export function parseOcfMetadata(xml: string): OcfMetadata {
  const root = parseXml(xml);
  if (root.name !== 'resource-agent') {
    throw new OcfMetadataError(`the root element is <${root.name}>, not <resource-agent>`);
  }
  const name = root.attrs['name'];
  if (name === undefined) throw new OcfMetadataError('<resource-agent> has no name attribute');
  const version = root.attrs['version'] ?? textOf(child(root, 'version'));
  const parameters = childrenNamed(child(root, 'parameters'), 'parameter').map(toParameter);
  const actions = childrenNamed(child(root, 'actions'), 'action').flatMap((a): OcfAction[] => {
    const actionName = a.attrs['name'];
    if (actionName === undefined) return [];
    return [
      {
        name: actionName,
        timeoutMs: parseDurationMs(a.attrs['timeout']),
        intervalMs: parseDurationMs(a.attrs['interval']),
      },
    ];
  });
  return { name, version, parameters, actions };
}

function toParameter(p: XmlElement): OcfParameter {
  const name = p.attrs['name'];
  if (name === undefined) throw new OcfMetadataError('a <parameter> has no name attribute');
  const content = child(p, 'content');
  return {
    name,
    required: isOcfTrue(p.attrs['required']),
    unique: isOcfTrue(p.attrs['unique']),
    // OCF 1.1 marks deprecation with a <deprecated/> child; older agents with an attribute.
    deprecated: isOcfTrue(p.attrs['deprecated']) || child(p, 'deprecated') !== undefined,
    type: content?.attrs['type'] ?? 'string',
    default: content?.attrs['default'],
    options: childrenNamed(content, 'option').flatMap((o) => {
      const v = o.attrs['value'];
      return v === undefined ? [] : [v];
    }),
    shortdesc: textOf(child(p, 'shortdesc'))?.trim(),
  };
}

// The attribute values meta-data uses for yes ("1", sometimes "true").
function isOcfTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes'].includes(v.trim().toLowerCase());
}

/** "20s", "5min", "500ms", "1h", "20" (seconds, as Pacemaker reads a bare number). */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?\s*$/i.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor =
    unit === 'ms' || unit === 'msec'
      ? 1
      : unit === 's' || unit === 'sec'
        ? 1000
        : unit === 'm' || unit === 'min'
          ? 60_000
          : 3_600_000;
  return Math.round(n * factor);
}

// --- Parameter checks -------------------------------------------------------------------------

// What the agents' shell library (ocf_is_true in ocf-shellfuncs) reads as true; anything else
// is false to it. "Yes" or "On" would silently mean false, so only these and their
// counterparts below are accepted as booleans.
const OCF_TRUE = ['yes', 'true', '1', 'YES', 'TRUE', 'True', 'ja', 'on', 'ON'];
const OCF_FALSE = ['no', 'false', '0', 'NO', 'FALSE', 'False', 'nein', 'off', 'OFF'];
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParamCheckSubject {
  /** How problems name the resource, e.g. `OCF resource vip (heartbeat:IPaddr2)`. */
  readonly label: string;
  /** Where the parameters are in the configuration, e.g. `resources.ocf[0].params`. */
  readonly paramsPath: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The parameters checked against the agent's meta-data: unknown names (with a suggestion),
 * required ones missing, values that are not of the declared type. One sentence per problem.
 */
export function checkOcfParams(meta: OcfMetadata, subject: ParamCheckSubject): string[] {
  const problems: string[] = [];
  const known = new Map(meta.parameters.map((p) => [p.name, p]));
  const at = (name: string): string => `${subject.label}: ${subject.paramsPath}.${name}`;
  for (const [name, value] of Object.entries(subject.params)) {
    const p = known.get(name);
    if (p === undefined) {
      if (!ENV_NAME_RE.test(name)) {
        problems.push(
          `${at(name)}: not a valid parameter name (it is passed as the environment variable OCF_RESKEY_${name}, so letters, digits and _ only, not starting with a digit)`,
        );
        continue;
      }
      const guess = closest(name, known.keys());
      problems.push(
        `${at(name)}: ${meta.name} has no parameter "${name}"` +
          (guess === undefined
            ? `; it accepts ${listNames([...known.keys()])}`
            : `; did you mean "${guess}"?`),
      );
      continue;
    }
    const typeProblem = checkType(p, value);
    if (typeProblem !== undefined) problems.push(`${at(name)}: ${typeProblem}`);
  }
  for (const p of meta.parameters) {
    if (p.required && !(p.name in subject.params)) {
      problems.push(
        `${at(p.name)}: required by ${meta.name} but not set` +
          (p.shortdesc ? ` (${p.shortdesc})` : '') +
          '; add it to the params',
      );
    }
  }
  return problems;
}

function checkType(p: OcfParameter, value: string): string | undefined {
  switch (p.type) {
    case 'integer':
      return /^[+-]?\d+$/.test(value.trim())
        ? undefined
        : `${JSON.stringify(value)} is not an integer, which this parameter must be`;
    case 'boolean':
      if (OCF_TRUE.includes(value) || OCF_FALSE.includes(value)) return undefined;
      return OCF_TRUE.includes(value.toLowerCase()) || OCF_FALSE.includes(value.toLowerCase())
        ? `${JSON.stringify(value)} is not a boolean the agent reads correctly (its ocf_is_true is case-sensitive, so this would mean false); write true or false`
        : `${JSON.stringify(value)} is not a boolean; write true or false`;
    case 'select':
      return p.options.length === 0 || p.options.includes(value)
        ? undefined
        : `${JSON.stringify(value)} is not one of ${p.options.map((o) => JSON.stringify(o)).join(', ')}` +
            (closest(value, p.options) === undefined
              ? ''
              : `; did you mean "${closest(value, p.options) ?? ''}"?`);
    default:
      return undefined;
  }
}

function listNames(names: readonly string[]): string {
  if (names.length === 0) return 'no parameters';
  const shown = names.slice(0, 12).join(', ');
  return names.length > 12 ? `${shown}, ... (${names.length} in all)` : shown;
}

// --- A minimal XML reader ---------------------------------------------------------------------

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly (XmlElement | string)[];
}

interface Building {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: (XmlElement | string)[];
}

const NAME_RE = /[A-Za-z_:][A-Za-z0-9_.:-]*/y;
const ATTR_RE = /\s+([A-Za-z_:][A-Za-z0-9_.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;

/** Parses a document and returns its root element. */
export function parseXml(text: string): XmlElement {
  const stack: Building[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new OcfMetadataError(message, at);
  };
  const skipPast = (end: string, what: string): void => {
    const j = text.indexOf(end, i);
    if (j < 0) fail(`unterminated ${what}`);
    i = j + end.length;
  };
  const addText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top) top.children.push(t);
    else if (t.trim() !== '') fail('text outside the root element');
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      addText(decodeEntities(text.slice(i), i));
      break;
    }
    if (lt > i) addText(decodeEntities(text.slice(i, lt), i));
    i = lt;
    if (text.startsWith('<?', i)) skipPast('?>', 'processing instruction');
    else if (text.startsWith('<!--', i)) skipPast('-->', 'comment');
    else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i);
      if (end < 0) fail('unterminated CDATA section');
      addText(text.slice(i + 9, end));
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      // <!DOCTYPE ...> with an optional internal subset in brackets.
      let depth = 0;
      let j = i + 2;
      for (; j < text.length; j++) {
        const c = text[j];
        if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      if (j >= text.length) fail('unterminated <! declaration');
      i = j + 1;
    } else if (text.startsWith('</', i)) {
      NAME_RE.lastIndex = i + 2;
      const m = NAME_RE.exec(text);
      if (!m) return fail('a closing tag without a name');
      const top = stack.pop();
      if (top?.name !== m[0]) {
        fail(`</${m[0]}> does not close ${top ? `<${top.name}>` : 'any open element'}`);
      }
      i = NAME_RE.lastIndex;
      while (/\s/.test(text[i] ?? '')) i++;
      if (text[i] !== '>') fail(`</${m[0]}> is not closed with >`);
      i++;
      finish(top as Building);
    } else {
      NAME_RE.lastIndex = i + 1;
      const m = NAME_RE.exec(text);
      if (!m) return fail('a < that starts no element (write &lt; in text)');
      const el: Building = { name: m[0], attrs: {}, children: [] };
      i = NAME_RE.lastIndex;
      for (;;) {
        ATTR_RE.lastIndex = i;
        const a = ATTR_RE.exec(text);
        if (!a) break;
        const [, attrName = '', dq, sq] = a;
        if (attrName in el.attrs) fail(`<${el.name}> repeats the attribute ${attrName}`);
        el.attrs[attrName] = decodeEntities(dq ?? sq ?? '', i);
        i = ATTR_RE.lastIndex;
      }
      while (/\s/.test(text[i] ?? '')) i++;
      if (text.startsWith('/>', i)) {
        i += 2;
        finish(el);
      } else if (text[i] === '>') {
        i++;
        if (stack.length === 0 && root !== undefined) fail('a second root element');
        stack.push(el);
      } else {
        fail(`<${el.name}> has a malformed attribute or is not closed`);
      }
    }
  }
  const open = stack[stack.length - 1];
  if (open) fail(`<${open.name}> is never closed`, text.length);
  if (root === undefined) return fail('no element at all', 0);
  return root;

  function finish(el: Building): void {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root === undefined) root = el;
    else fail('a second root element');
  }
}

const ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

function decodeEntities(s: string, offset: number): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    const named = ENTITIES[ref];
    if (named !== undefined && whole.endsWith(';')) return named;
    const m = /^#(x[0-9a-fA-F]+|\d+)$/.exec(ref);
    const code = m?.[1] === undefined ? NaN : Number(m[1].startsWith('x') ? `0${m[1]}` : m[1]);
    if (whole.endsWith(';') && Number.isInteger(code) && code >= 0 && code <= 0x10ffff) {
      return String.fromCodePoint(code);
    }
    throw new OcfMetadataError(`unknown entity ${whole}`, offset);
  });
}

function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return childrenNamed(el, name)[0];
}

function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  if (el === undefined) return [];
  return el.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

function textOf(el: XmlElement | undefined): string | undefined {
  if (el === undefined) return undefined;
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
