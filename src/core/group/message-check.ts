// Group services messages as they arrive from the network, checked before the core sees them.
// The transport (cluster/wire.ts) proves that a member sent a message, not that the member runs
// this version or has no bug; the step functions of membership, agreement, lease and the cluster
// manager assume well-formed messages. So `parseGroupMessage` accepts exactly what the types
// (GroupMessage and the layers' unions) allow, and refuses everything else with a reason that
// names the field: "agreement.decide.event.node: expected a node number (1 to 1024), got -1".
//
// Choices, and why:
// - Hand-written parsers, not zod: the shapes below are checked by the compiler against the
//   existing types (Shape<T> requires a parser for every field, optional ones marked optional,
//   and no other field; Variants<M> requires every `type` of a union and no other), so a field
//   added to a message type cannot be forgotten here; a zod schema would infer a second set of
//   types that would have to be kept equal to these by hand. The reasons read as the house style
//   asks. Speed is not the argument: either is far faster than the hundreds of messages a
//   second the agent sees (this one takes 2 to 6 us a message, less than JSON.parse of it).
// - Unknown fields are ignored and stripped: a member running a newer version may add optional
//   fields, and refusing them would cut a mixed-version cluster in two. Stripping (the result is
//   built afresh from the fields the types name) means what this node stores, relays and
//   re-sends is exactly what it understands, and nothing else a peer sent (a `__proto__`, say)
//   reaches the core. A protocol change must therefore never count on an older node relaying a
//   field it does not know (membership rows are relayed as they are parsed here).
// - `extra` (agreement decide and sync) passes through unchecked, as `unknown`: node.ts checks it
//   itself (parseStops), and refuses a malformed one without dropping the message.
// - An optional field that is present with the value undefined counts as absent (JSON cannot
//   carry undefined; the simulator's messages can) and is left out of the result.
// - Only plain objects and arrays: a Map, a Set or a class instance is refused (none survives
//   JSON, so none can come from the network).
// - Semantics are the protocols' business, not this file's: a member list need not be sorted
//   or as long as its incarnations, a barrier need not exist. What is checked is what a step
//   function relies on not to throw or to store garbage: types, integers, ranges and sizes.
//
// Limits (lengths in UTF-16 code units, as String.length counts them). A frame's body is at
// most 60,000 bytes anyway (wire.ts); these bound each part so that no field can be absurd:
// - node numbers: whole numbers from 1 to 1024, as the configuration allows (config/schema.ts);
// - counts (epoch numbers, incarnations, versions, sequence numbers): whole numbers from 0 to
//   2^53-1; barriers from -1 (END, the closing barrier); times (t0, echo, remainingMs): numbers,
//   fractions allowed (the agent's clock is performance.now()), from 0 to 2^53-1;
// - lists: at most MAX_ITEMS (1024) items: a node list cannot be longer than the cluster;
// - names (event names, networks, groups, detail keys): MAX_NAME_CHARS (256); event keys and
//   detail values: MAX_KEY_CHARS (1024: a key holds a name, a node and a network); an error's
//   message: MAX_TEXT_CHARS (16384: it quotes the failed command); details: MAX_DETAILS (64)
//   entries.
// A reason is at most a few hundred characters whatever the input: values are quoted only when
// short, and keys in a path are cut.

import type { NodeNo } from '../cluster/node.js';
import type { AgreementMessage, ClusterEvent, EventId, Running } from './agreement.js';
import type { Row } from './connectivity.js';
import type { LeaseMessage } from './lease.js';
import type { Epoch, Known, MembershipMessage, View } from './membership.js';
import type { CmMessage, GroupMessage, StopMode } from './node.js';
import { parseFacts } from './resources.js';
import type { NodeFacts } from '../placement/types.js';

export const MAX_NODE_NO = 1024;
export const MAX_ITEMS = 1024;
export const MAX_NAME_CHARS = 256;
export const MAX_KEY_CHARS = 1024;
export const MAX_TEXT_CHARS = 16_384;
export const MAX_DETAILS = 64;

export type GroupMessageCheck =
  | { readonly ok: true; readonly message: GroupMessage }
  | { readonly ok: false; readonly reason: string };

/**
 * `x` (a message body as JSON.parse returned it) as a GroupMessage, or why it is not one. Never
 * throws on any input JSON can produce. The message is a fresh copy without unknown fields.
 */
export function parseGroupMessage(x: unknown): GroupMessageCheck {
  try {
    return { ok: true, message: groupMessage(x) };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, reason: e.message };
    throw e;
  }
}

// ---- The machinery ---------------------------------------------------------------------------

/** Thrown by the parsers below, caught by parseGroupMessage only: one refusal ends the parse. */
class Refused extends Error {}

/** Parses `x`, found at `path`, or throws Refused. */
type Parser<T> = (x: unknown, path: string) => T;

/** A field that may be absent. */
interface Optional<T> {
  readonly optional: Parser<T>;
}

type Field = Parser<unknown> | Optional<unknown>;

const optional = <T>(parse: Parser<T>): Optional<T> => ({ optional: parse });

type OptionalKeys<T> = {
  [K in keyof T]-?: Pick<T, K> extends Required<Pick<T, K>> ? never : K;
}[keyof T];

/** A parser for every field of T: exactly T's fields, the optional ones marked optional. */
type Shape<T> = {
  readonly [K in keyof T]-?: K extends OptionalKeys<T>
    ? Optional<Exclude<T[K], undefined>>
    : Parser<T[K]>;
};

/** The shape of every variant of a union tagged on `type`, without the tag. */
type Variants<M extends { readonly type: string }> = {
  readonly [K in M['type']]: Shape<Omit<Extract<M, { readonly type: K }>, 'type'>>;
};

function refuse(path: string, expected: string, got: unknown): never {
  throw new Refused(`${path}: expected ${expected}, got ${describe(got)}`);
}

function missing(path: string, expected: string): never {
  throw new Refused(`${path}: missing (expected ${expected})`);
}

/** A value as a reason shows it: short values as they are, anything else by its kind and size. */
function describe(x: unknown): string {
  switch (typeof x) {
    case 'string':
      return x.length <= 40 ? JSON.stringify(x) : `a string of ${String(x.length)} characters`;
    case 'number':
    case 'boolean':
      return String(x);
    case 'bigint':
      return 'a bigint';
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    case 'object':
      if (x === null) return 'null';
      if (Array.isArray(x)) return `an array of ${String(x.length)} items`;
      return isPlain(x) ? 'an object' : `a ${Object.prototype.toString.call(x).slice(8, -1)}`;
  }
}

function isPlain(x: object): boolean {
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function plainObject(x: unknown, path: string): Readonly<Record<string, unknown>> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || !isPlain(x))
    refuse(path, 'an object', x);
  return x as Readonly<Record<string, unknown>>;
}

/** An own field only: never one inherited from Object.prototype ("constructor", say). */
const own = (o: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(o, key) ? o[key] : undefined;

/** Fills `out` with the fields of `shape`, read from `o`. */
function fill(
  out: Record<string, unknown>,
  o: Readonly<Record<string, unknown>>,
  shape: Readonly<Record<string, Field>>,
  keys: readonly string[],
  path: string,
): void {
  for (const k of keys) {
    const field = shape[k] as Field;
    const v = own(o, k);
    const at = `${path}.${k}`;
    if (typeof field === 'function') {
      if (v === undefined) missing(at, EXPECTED.get(field) ?? 'a value');
      out[k] = field(v, at);
    } else if (v !== undefined) out[k] = field.optional(v, at);
  }
}

/** What each parser expects, for "missing" reasons. */
const EXPECTED = new WeakMap<Parser<unknown>, string>();

function named<T>(expected: string, parse: Parser<T>): Parser<T> {
  EXPECTED.set(parse, expected);
  return parse;
}

function object<T>(shape: Shape<T>): Parser<T> {
  const fields = shape as Readonly<Record<string, Field>>;
  const keys = Object.keys(fields);
  return named('an object', (x, path) => {
    const out: Record<string, unknown> = {};
    fill(out, plainObject(x, path), fields, keys, path);
    return out as T;
  });
}

/** A union tagged on `type`, as the `msg` of a group message of `layer`. */
function variants<M extends { readonly type: string }>(
  layer: string,
  shapes: Variants<M>,
): Parser<M> {
  // A Map, not the object: a peer's "constructor" or "__proto__" must find nothing.
  const byType = new Map(
    Object.entries(shapes as Readonly<Record<string, Readonly<Record<string, Field>>>>).map(
      ([type, shape]) => [type, { shape, keys: Object.keys(shape) }] as const,
    ),
  );
  const expected = `one of ${[...byType.keys()].join(', ')}`;
  return (x, path) => {
    if (x === undefined) missing(path, `a ${layer} message`);
    const o = plainObject(x, path);
    const type = own(o, 'type');
    const v = typeof type === 'string' ? byType.get(type) : undefined;
    if (v === undefined) {
      if (type === undefined) missing(`${layer}.type`, expected);
      refuse(`${layer}.type`, expected, type);
    }
    const out: Record<string, unknown> = { type };
    fill(out, o, v.shape, v.keys, `${layer}.${type as string}`);
    return out as M;
  };
}

function array<T>(item: Parser<T>, what: string): Parser<T[]> {
  const expected = `a list of at most ${String(MAX_ITEMS)} ${what}`;
  return named(expected, (x, path) => {
    if (!Array.isArray(x) || x.length > MAX_ITEMS) refuse(path, expected, x);
    const out = new Array<T>(x.length);
    for (let i = 0; i < x.length; i++) out[i] = item(x[i], `${path}[${String(i)}]`);
    return out;
  });
}

const nullable = <T>(parse: Parser<T>): Parser<T | null> =>
  named(`${EXPECTED.get(parse) ?? 'a value'} or null`, (x, path) =>
    x === null ? null : parse(x, path),
  );

function string(max: number, what: string): Parser<string> {
  const expected = `${what} (a string of at most ${String(max)} characters)`;
  return named(expected, (x, path) => {
    if (typeof x !== 'string' || x.length > max) refuse(path, expected, x);
    return x;
  });
}

function integer(min: number, max: number, expected: string): Parser<number> {
  return named(expected, (x, path) => {
    if (!Number.isSafeInteger(x) || (x as number) < min || (x as number) > max)
      refuse(path, expected, x);
    return x as number;
  });
}

/** A key in a path: as it is when it is a plain word, quoted and cut otherwise. */
function keyText(key: string): string {
  if (/^[A-Za-z_][\w-]{0,63}$/.test(key)) return `.${key}`;
  return `[${JSON.stringify(key.length > 32 ? `${key.slice(0, 32)}...` : key)}]`;
}

/** A record of strings (event details): keys are names, values bounded by `value`. */
function stringRecord(value: Parser<string>): Parser<Readonly<Record<string, string>>> {
  const expected = `an object of at most ${String(MAX_DETAILS)} strings`;
  const keyExpected = `a key of at most ${String(MAX_NAME_CHARS)} characters`;
  return named(expected, (x, path) => {
    const o = plainObject(x, path);
    const keys = Object.keys(o);
    if (keys.length > MAX_DETAILS) refuse(path, expected, `an object of ${String(keys.length)}`);
    const entries: [string, string][] = [];
    for (const k of keys) {
      const at = `${path}${keyText(k)}`;
      if (k.length > MAX_NAME_CHARS) refuse(at, keyExpected, k);
      entries.push([k, value(o[k], at)]);
    }
    // fromEntries defines own properties: a "__proto__" key stays a key, not a prototype.
    return Object.fromEntries(entries);
  });
}

// ---- The fields ------------------------------------------------------------------------------

const nodeNo: Parser<NodeNo> = integer(
  1,
  MAX_NODE_NO,
  `a node number (1 to ${String(MAX_NODE_NO)})`,
);
const count = integer(0, Number.MAX_SAFE_INTEGER, 'a whole number from 0 to 2^53-1');
const barrier = integer(
  -1,
  Number.MAX_SAFE_INTEGER,
  'a barrier (a whole number from 0, or -1 for the closing barrier)',
);

const TIME_EXPECTED = 'a time in ms (a number from 0 to 2^53-1)';
const time: Parser<number> = named(TIME_EXPECTED, (x, path) => {
  // Fractions are fine: the agent's clock is performance.now().
  if (typeof x !== 'number' || !(x >= 0 && x <= Number.MAX_SAFE_INTEGER))
    refuse(path, TIME_EXPECTED, x);
  return x;
});

const anything: Parser<unknown> = (x) => x;

const nodes = array(nodeNo, 'node numbers');
const name = string(MAX_NAME_CHARS, 'a name');

const epoch = object<Epoch>({ n: count, leader: nodeNo, inc: count });

const eventId = object<EventId>({ epoch, seq: count });

const clusterEvent = object<ClusterEvent>({
  key: string(MAX_KEY_CHARS, 'an event key'),
  name,
  node: nodeNo,
  network: optional(name),
  details: optional(stringRecord(string(MAX_KEY_CHARS, 'a detail'))),
});
const events = array(clusterEvent, 'events');

const view = object<View>({
  epoch,
  members: nodes,
  incarnations: array(count, 'incarnations'),
});

const row = object<Row>({
  node: nodeNo,
  version: count,
  incarnation: count,
  hears: nodes,
  view: optional(nullable(epoch)),
});
const rows = array(row, 'rows');

const known: Parser<Known> = named('a [node, incarnation, version] triple', (x, path): Known => {
  if (!Array.isArray(x) || x.length !== 3) refuse(path, 'a [node, incarnation, version] triple', x);
  return [nodeNo(x[0], `${path}[0]`), count(x[1], `${path}[1]`), count(x[2], `${path}[2]`)];
});

const barriers = array(barrier, 'barriers');

const running = object<Running>({
  id: eventId,
  event: clusterEvent,
  participants: nodes,
  reached: barriers,
  released: barriers,
});

// ---- The layers ------------------------------------------------------------------------------

const membershipMessage = variants<MembershipMessage>('membership', {
  rows: { rows, known: optional(array(known, 'digest entries')) },
  prepare: { epoch, members: nodes },
  'prepare-ok': { epoch, inc: count, last: nullable(view) },
  'prepare-no': { epoch, promised: nullable(epoch), rows },
  commit: { view, joined: nodes, left: nodes },
});

const agreementMessage = variants<AgreementMessage>('agreement', {
  submit: { events },
  propose: { id: eventId, event: clusterEvent },
  vote: { id: eventId, higher: nullable(clusterEvent) },
  decide: { id: eventId, event: clusterEvent, participants: nodes, extra: optional(anything) },
  reached: { id: eventId, barrier },
  release: { id: eventId, barrier, participants: nodes },
  sync: {
    epoch,
    running: nullable(running),
    mine: events,
    lastDone: nullable(eventId),
    extra: optional(anything),
  },
  synced: { epoch },
  abandon: { id: eventId },
});

const leaseMessage = variants<LeaseMessage>('lease', {
  ping: { epoch, t0: time, echo: optional(time) },
  pong: { epoch, t0: time },
});

const STOP_MODES: readonly StopMode[] = ['graceful', 'takeover', 'forced'];
const stopMode: Parser<StopMode> = named('graceful, takeover or forced', (x, path) =>
  STOP_MODES.includes(x as StopMode)
    ? (x as StopMode)
    : refuse(path, 'graceful, takeover or forced', x),
);

const FACTS_EXPECTED = 'facts: freeMemory, idleCpu, diskBusy (numbers), script (numbers by group)';
const facts: Parser<NodeFacts> = named(FACTS_EXPECTED, (x, path) => {
  const f = parseFacts(x);
  return f ?? refuse(path, FACTS_EXPECTED, x);
});

const cmMessage = variants<CmMessage>('cm', {
  stop: { mode: stopMode },
  facts: { facts },
  error: {
    id: eventId,
    event: name,
    groups: array(name, 'group names'),
    message: string(MAX_TEXT_CHARS, 'a message'),
  },
  resume: {},
  resumed: { id: eventId },
  'tie-ask': { epoch, t0: time },
  'tie-grant': { epoch, t0: time, remainingMs: time },
});

const LAYERS = 'one of membership, agreement, lease, cm';

function groupMessage(x: unknown): GroupMessage {
  const o = plainObject(x, 'message');
  const layer = own(o, 'layer');
  const msg = own(o, 'msg');
  switch (layer) {
    case 'membership':
      return { layer, msg: membershipMessage(msg, 'msg') };
    case 'agreement':
      return { layer, msg: agreementMessage(msg, 'msg') };
    case 'lease':
      return { layer, msg: leaseMessage(msg, 'msg') };
    case 'cm':
      return { layer, msg: cmMessage(msg, 'msg') };
    case undefined:
      return missing('layer', LAYERS);
    default:
      return refuse('layer', LAYERS, layer);
  }
}
