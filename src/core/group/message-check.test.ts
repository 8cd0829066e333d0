import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NodeMachine, NodeNo } from '../cluster/node.js';
import { runSeed } from '../../sim/run.js';
import { groupServices } from '../../sim/group/scenario.js';
import type { Scenario } from '../../sim/scenario.js';
import type { GroupMessage, GroupNodeState } from './node.js';
import { MAX_ITEMS, MAX_TEXT_CHARS, parseGroupMessage } from './message-check.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const roundTrip = (x: unknown): Json => JSON.parse(JSON.stringify(x)) as Json;
const variantOf = (m: GroupMessage): string => `${m.layer}.${m.msg.type}`;

function accepted(x: unknown): GroupMessage {
  const r = parseGroupMessage(x);
  if (!r.ok) assert.fail(`refused ${JSON.stringify(x)}: ${r.reason}`);
  return r.message;
}

function refusal(x: unknown): string {
  const r = parseGroupMessage(x);
  if (r.ok) assert.fail(`accepted ${JSON.stringify(x)}`);
  return r.reason;
}

/**
 * Where `x` holds something JSON does not carry faithfully (a Set or Map becomes {}, NaN and
 * Infinity become null, undefined in a list becomes null, a class instance loses its class),
 * or undefined when it carries all of it. An object field that is undefined is fine: it is
 * dropped, and the types allow that only for optional fields.
 */
function jsonHazard(x: unknown, path: string): string | undefined {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return undefined;
  if (typeof x === 'number')
    return Number.isFinite(x) ? undefined : `${path} is ${String(x)}: JSON sends null`;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const v: unknown = x[i];
      if (v === undefined) return `${path}[${String(i)}] is undefined: JSON sends null`;
      const h = jsonHazard(v, `${path}[${String(i)}]`);
      if (h !== undefined) return h;
    }
    return undefined;
  }
  if (typeof x === 'object') {
    const proto: unknown = Object.getPrototypeOf(x);
    if (proto !== Object.prototype && proto !== null)
      return `${path} is a ${Object.prototype.toString.call(x).slice(8, -1)}: JSON sends {} or loses its class`;
    for (const [k, v] of Object.entries(x)) {
      if (v === undefined) continue;
      const h = jsonHazard(v, `${path}.${k}`);
      if (h !== undefined) return h;
    }
    return undefined;
  }
  return `${path} is a ${typeof x}: JSON cannot send it`;
}

// ---- Every message the real code sends ---------------------------------------------------------

interface Corpus {
  /** How many distinct messages of each variant were checked. */
  readonly counts: Map<string, number>;
  /** Problems found (JSON hazards, refusals, changed messages), at most a few per variant. */
  readonly problems: string[];
  /** Per variant, the first message and the largest one (as JSON), to mutate. */
  readonly samples: Map<string, Json[]>;
  /** Messages whose ClusterEvent carried details / network, decide and sync with extra. */
  readonly features: Set<string>;
}

/**
 * The group-services scenario with every sent message checked as it leaves: it must survive
 * JSON, and parse back to itself. The scenario is driven harder than usual so that every message
 * type is sent: commands fail (errors, the operator's resume), and the operator moves groups,
 * stops nodes, and topology events with a network and details are raised.
 */
function checkingScenario(c: Corpus): Scenario<GroupNodeState, GroupMessage> {
  const seen = new WeakSet<object>();
  const largest = new Map<string, number>();
  const problem = (variant: string, text: string): void => {
    if (c.problems.filter((p) => p.startsWith(variant)).length < 3)
      c.problems.push(`${variant}: ${text}`);
  };
  const check = (m: GroupMessage): void => {
    // The same message object goes to every peer: check it once.
    if (seen.has(m.msg)) return;
    seen.add(m.msg);
    const variant = variantOf(m);
    c.counts.set(variant, (c.counts.get(variant) ?? 0) + 1);
    const hazard = jsonHazard(m, 'message');
    if (hazard !== undefined) problem(variant, `does not survive JSON: ${hazard}`);
    const text = JSON.stringify(m);
    const wire = JSON.parse(text) as Json;
    const fromWire = parseGroupMessage(wire);
    if (!fromWire.ok) problem(variant, `refused: ${fromWire.reason} in ${text}`);
    else if (!isDeepStrictEqual(fromWire.message, wire))
      problem(variant, `parsed into ${JSON.stringify(fromWire.message)} from ${text}`);
    // Given the object itself (the simulator's way), the result is the same.
    const direct = parseGroupMessage(m);
    if (!direct.ok) problem(variant, `refused as an object: ${direct.reason}`);
    else if (!isDeepStrictEqual(direct.message, wire))
      problem(variant, `parsed as an object into ${JSON.stringify(direct.message)}`);
    if (text.includes('"details":')) c.features.add('details');
    if (text.includes('"network":')) c.features.add('network');
    if ('extra' in m.msg) c.features.add(`${variant}+extra`);
    const samples = c.samples.get(variant) ?? [];
    if (samples.length === 0) samples.push(wire);
    else if (text.length > (largest.get(variant) ?? 0)) samples[1] = wire;
    largest.set(variant, Math.max(text.length, largest.get(variant) ?? 0));
    c.samples.set(variant, samples);
  };
  return {
    ...groupServices,
    setup(nodes, random) {
      const base = groupServices.setup(nodes, random);
      const machine: NodeMachine<GroupNodeState, GroupMessage> = {
        step(s, input, nowMs) {
          const r = base.machine.step(s, input, nowMs);
          for (const e of r.effects) if (e.type === 'send') check(e.msg);
          return r;
        },
      };
      return {
        ...base,
        machine,
        commands: { ...base.commands, failPercent: 5 },
        drive(sim, r) {
          // A clean split into halves: tie views, whose members ask their leader for the
          // tie-breaker (cm tie-ask, tie-grant).
          if (nodes.length >= 4 && nodes.length % 2 === 0) {
            const half = nodes.length / 2;
            sim.schedule(4_000, { type: 'split', a: nodes.slice(0, half), b: nodes.slice(half) });
            sim.schedule(8_000, { type: 'heal' });
          }
          const node = (): NodeNo => r.pick(nodes);
          const group = (): string => r.pick(['rg_a', 'rg_b', 'rg_c']);
          for (let t = 1_000; t < base.faultsEndMs; t += 500 + r.int(1_000)) {
            const n = node();
            switch (r.int(6)) {
              case 0:
                sim.inject(t, n, {
                  type: 'operator',
                  request: { type: 'rg-move', group: group(), to: node() },
                });
                break;
              case 1:
                sim.inject(t, n, {
                  type: 'operator',
                  request: { type: 'rg-offline', group: group() },
                });
                break;
              case 2:
                sim.inject(t, n, {
                  type: 'operator',
                  request: { type: 'rg-online', group: group(), node: node() },
                });
                break;
              case 3:
                sim.inject(t, n, {
                  type: 'local-event',
                  event: {
                    name: 'network_down',
                    node: node(),
                    network: 'net_ether_01',
                    details: { interface: 'eth1', reason: 'carrier lost' },
                  },
                });
                break;
              case 4:
                sim.inject(t, n, { type: 'operator', request: { type: 'resume' } });
                break;
              default:
                // Rarely: a stop takes a node out for good.
                if (r.int(4) === 0)
                  sim.inject(t, n, {
                    type: 'operator',
                    request: { type: 'stop', mode: r.pick(['graceful', 'takeover', 'forced']) },
                  });
            }
          }
        },
      };
    },
  };
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

const ALL_VARIANTS = [
  'membership.rows',
  'membership.prepare',
  'membership.prepare-ok',
  'membership.prepare-no',
  'membership.commit',
  'agreement.submit',
  'agreement.propose',
  'agreement.vote',
  'agreement.decide',
  'agreement.reached',
  'agreement.release',
  'agreement.sync',
  'agreement.synced',
  'agreement.abandon',
  'lease.ping',
  'lease.pong',
  'cm.error',
  'cm.resume',
  'cm.resumed',
  'cm.tie-ask',
  'cm.tie-grant',
];

/** Sent by nothing today: lease.ts still understands a pong, node.ts never sends one. */
const NEVER_SENT = new Set(['lease.pong']);

let corpus: Corpus | undefined;

/** The simulator's messages, for a few seeds (computed once, shared by the tests below). */
function simCorpus(): Corpus {
  if (corpus) return corpus;
  const c: Corpus = { counts: new Map(), problems: [], samples: new Map(), features: new Set() };
  const scenario = checkingScenario(c);
  for (const seed of [1, 2, 3]) runSeed(seed, scenario);
  runSeed(4, scenario, { nodeCount: { min: 4, max: 4 } });
  corpus = c;
  return c;
}

describe('parseGroupMessage on what the real code sends', () => {
  it('(the JSON check finds what JSON would lose)', () => {
    assert.equal(jsonHazard({ a: [1, { b: 2 }], c: undefined }, 'm'), undefined);
    assert.equal(
      jsonHazard({ a: [{ s: new Set([1]) }] }, 'm'),
      'm.a[0].s is a Set: JSON sends {} or loses its class',
    );
    assert.match(jsonHazard({ held: new Map() }, 'm') ?? '', /^m\.held is a Map/);
    assert.match(jsonHazard({ t: -Infinity }, 'm') ?? '', /^m\.t is -Infinity/);
    assert.match(jsonHazard([undefined], 'm') ?? '', /^m\[0\] is undefined/);
  });

  it('accepts every message of the simulated cluster, after JSON, as it was', () => {
    const c = simCorpus();
    assert.deepEqual(c.problems, [], c.problems.join('\n'));
    const total = [...c.counts.values()].reduce((a, b) => a + b, 0);
    assert.ok(total > 1_000, `only ${String(total)} messages`);
  });

  it('saw every message type the nodes send, and the optional parts', () => {
    const c = simCorpus();
    const unseen = ALL_VARIANTS.filter((v) => !c.counts.has(v) && !NEVER_SENT.has(v));
    assert.deepEqual(unseen, [], `never sent in the runs: ${unseen.join(', ')}`);
    for (const v of c.counts.keys()) assert.ok(ALL_VARIANTS.includes(v), `unknown variant ${v}`);
    for (const f of ['details', 'network', 'agreement.decide+extra', 'agreement.sync+extra'])
      assert.ok(c.features.has(f), `no message had ${f}`);
  });
});

// ---- Hand-written messages, one layer at a time ------------------------------------------------

const E = { n: 3, leader: 1, inc: 2 };
const ID = { epoch: E, seq: 4 };
const EVENT = {
  key: 'network_down:2:net_ether_01',
  name: 'network_down',
  node: 2,
  network: 'net_ether_01',
  details: { interface: 'eth1' },
};

describe('parseGroupMessage: membership', () => {
  it('accepts rows with and without a digest, and a commit', () => {
    const rows = {
      layer: 'membership',
      msg: {
        type: 'rows',
        rows: [
          { node: 1, version: 7, incarnation: 2, hears: [2, 3], view: E },
          { node: 2, version: 1, incarnation: 1, hears: [], view: null },
          { node: 3, version: 1, incarnation: 1, hears: [1] },
        ],
        known: [
          [1, 2, 7],
          [2, 1, 1],
        ],
      },
    };
    assert.deepEqual(accepted(rows), rows);
    const bare = { layer: 'membership', msg: { type: 'rows', rows: [] } };
    assert.deepEqual(accepted(bare), bare);
    const commit = {
      layer: 'membership',
      msg: {
        type: 'commit',
        view: { epoch: E, members: [1, 2], incarnations: [2, 1] },
        joined: [2],
        left: [],
      },
    };
    assert.deepEqual(accepted(commit), commit);
  });

  it('refuses a digest entry that is not a triple, and a node 0', () => {
    assert.equal(
      refusal({ layer: 'membership', msg: { type: 'rows', rows: [], known: [[1, 2]] } }),
      'membership.rows.known[0]: expected a [node, incarnation, version] triple, got an array of 2 items',
    );
    assert.equal(
      refusal({ layer: 'membership', msg: { type: 'prepare', epoch: E, members: [1, 0] } }),
      'membership.prepare.members[1]: expected a node number (1 to 1024), got 0',
    );
    assert.equal(
      refusal({ layer: 'membership', msg: { type: 'prepare-ok', epoch: E, inc: 1 } }),
      'membership.prepare-ok.last: missing (expected an object or null)',
    );
  });
});

describe('parseGroupMessage: agreement', () => {
  it('accepts a decision with its extra as it is, and a sync', () => {
    const extra = { records: [], ups: [[2, ID]], anything: { deep: [1, 'x', null] } };
    const decide = {
      layer: 'agreement',
      msg: { type: 'decide', id: ID, event: EVENT, participants: [1, 2], extra },
    };
    const got = accepted(decide);
    assert.deepEqual(got, decide);
    assert.equal((got.msg as { extra: unknown }).extra, extra, 'extra passes through unchanged');
    const sync = {
      layer: 'agreement',
      msg: {
        type: 'sync',
        epoch: E,
        running: { id: ID, event: EVENT, participants: [1], reached: [0, -1], released: [0] },
        mine: [{ key: 'k', name: 'node_up', node: 1 }],
        lastDone: null,
      },
    };
    assert.deepEqual(accepted(sync), sync);
  });

  it('refuses a negative node, a barrier below END, a fractional sequence number', () => {
    assert.equal(
      refusal({
        layer: 'agreement',
        msg: { type: 'decide', id: ID, event: { ...EVENT, node: -1 }, participants: [] },
      }),
      'agreement.decide.event.node: expected a node number (1 to 1024), got -1',
    );
    assert.equal(
      refusal({ layer: 'agreement', msg: { type: 'reached', id: ID, barrier: -2 } }),
      'agreement.reached.barrier: expected a barrier (a whole number from 0, or -1 for the closing barrier), got -2',
    );
    assert.equal(
      refusal({ layer: 'agreement', msg: { type: 'abandon', id: { epoch: E, seq: 1.5 } } }),
      'agreement.abandon.id.seq: expected a whole number from 0 to 2^53-1, got 1.5',
    );
    assert.equal(
      refusal({
        layer: 'agreement',
        msg: { type: 'submit', events: [{ ...EVENT, details: { interface: 7 } }] },
      }),
      'agreement.submit.events[0].details.interface: expected a detail (a string of at most 1024 characters), got 7',
    );
  });
});

describe('parseGroupMessage: lease', () => {
  it('accepts pings with fractional times (performance.now()), with and without an echo', () => {
    for (const msg of [
      { type: 'ping', epoch: E, t0: 1234.567 },
      { type: 'ping', epoch: E, t0: 1234.567, echo: 1000.25 },
      { type: 'pong', epoch: E, t0: 0 },
    ]) {
      const m = { layer: 'lease', msg };
      assert.deepEqual(accepted(m), m);
    }
  });

  it('refuses a time that is a string, negative or beyond 2^53', () => {
    assert.equal(
      refusal({ layer: 'lease', msg: { type: 'ping', epoch: E, t0: '5' } }),
      'lease.ping.t0: expected a time in ms (a number from 0 to 2^53-1), got "5"',
    );
    assert.match(
      refusal({ layer: 'lease', msg: { type: 'ping', epoch: E, t0: 5, echo: -1 } }),
      /^lease\.ping\.echo: /,
    );
    assert.match(
      refusal({ layer: 'lease', msg: { type: 'pong', epoch: E, t0: 2 ** 60 } }),
      /^lease\.pong\.t0: /,
    );
  });
});

describe('parseGroupMessage: cm', () => {
  it('accepts an error, a resume and a tie-breaker grant', () => {
    for (const msg of [
      { type: 'error', id: ID, event: 'node_down', groups: ['rg_a'], message: 'x'.repeat(9000) },
      { type: 'resume' },
      { type: 'resumed', id: ID },
      { type: 'tie-grant', epoch: E, t0: 10.5, remainingMs: 1999.5 },
    ]) {
      const m = { layer: 'cm', msg };
      assert.deepEqual(accepted(m), m);
    }
  });

  it('refuses an error message beyond the limit, and a grant without its remainder', () => {
    assert.equal(
      refusal({
        layer: 'cm',
        msg: { type: 'error', id: ID, event: 'e', groups: [], message: 'x'.repeat(16_385) },
      }),
      `cm.error.message: expected a message (a string of at most ${String(MAX_TEXT_CHARS)} characters), got a string of 16385 characters`,
    );
    assert.equal(
      refusal({ layer: 'cm', msg: { type: 'tie-grant', epoch: E, t0: 1 } }),
      'cm.tie-grant.remainingMs: missing (expected a time in ms (a number from 0 to 2^53-1))',
    );
  });
});

describe('parseGroupMessage: the envelope and everything around the types', () => {
  it('names the layer, the type and the message when they are wrong', () => {
    assert.equal(refusal(null), 'message: expected an object, got null');
    assert.equal(
      refusal({ layer: 'gossip', msg: {} }),
      'layer: expected one of membership, agreement, lease, cm, got "gossip"',
    );
    assert.equal(
      refusal({ msg: {} }),
      'layer: missing (expected one of membership, agreement, lease, cm)',
    );
    assert.equal(refusal({ layer: 'cm' }), 'msg: missing (expected a cm message)');
    assert.equal(
      refusal({ layer: 'cm', msg: [] }),
      'msg: expected an object, got an array of 0 items',
    );
    assert.equal(
      refusal({ layer: 'lease', msg: { type: 'pang' } }),
      'lease.type: expected one of ping, pong, got "pang"',
    );
    // Names Object.prototype holds are no types: the lookup is in a Map.
    for (const type of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      assert.match(refusal({ layer: 'cm', msg: { type } }), /^cm\.type: expected one of /);
    assert.equal(
      refusal({ layer: 'cm', msg: { type: 'resumed' } }),
      'cm.resumed.id: missing (expected an object)',
    );
  });

  it('ignores unknown fields and leaves them out of the result', () => {
    const m = accepted({
      layer: 'cm',
      v: 2,
      msg: { type: 'resumed', id: { ...ID, since: 'x' }, note: 'newer version' },
    });
    assert.deepEqual(m, { layer: 'cm', msg: { type: 'resumed', id: ID } });
  });

  it('keeps a "__proto__" detail a plain key, and strips a "__proto__" field', () => {
    const wire = JSON.parse(
      '{"layer":"agreement","__proto__":{"x":1},"msg":{"type":"propose","id":' +
        JSON.stringify(ID) +
        ',"event":{"key":"k","name":"n","node":1,"details":{"__proto__":"p","a":"b"}}}}',
    ) as unknown;
    const m = accepted(wire);
    assert.equal(Object.getPrototypeOf(m), Object.prototype);
    assert.equal(Object.hasOwn(m, '__proto__'), false);
    const details = (m.msg as { event: { details: Record<string, string> } }).event.details;
    assert.equal(Object.getPrototypeOf(details), Object.prototype);
    assert.deepEqual(Object.entries(details), [
      ['__proto__', 'p'],
      ['a', 'b'],
    ]);
  });

  it('treats an optional field set to undefined as absent', () => {
    const m = accepted({
      layer: 'agreement',
      msg: { type: 'submit', events: [{ key: 'k', name: 'n', node: 1, network: undefined }] },
    });
    assert.deepEqual(m, {
      layer: 'agreement',
      msg: { type: 'submit', events: [{ key: 'k', name: 'n', node: 1 }] },
    });
  });

  it('refuses Sets, Maps and class instances, which JSON would not carry', () => {
    assert.equal(
      refusal({ layer: 'membership', msg: { type: 'prepare', epoch: E, members: new Set([1]) } }),
      'membership.prepare.members: expected a list of at most 1024 node numbers, got a Set',
    );
    assert.equal(
      refusal({ layer: 'membership', msg: { type: 'synced', epoch: new Map() } }),
      'membership.type: expected one of rows, prepare, prepare-ok, prepare-no, commit, got "synced"',
    );
    assert.equal(
      refusal({ layer: 'agreement', msg: { type: 'synced', epoch: new Map() } }),
      'agreement.synced.epoch: expected an object, got a Map',
    );
    assert.equal(
      refusal({ layer: 'agreement', msg: { type: 'synced', epoch: new Date(0) } }),
      'agreement.synced.epoch: expected an object, got a Date',
    );
  });

  it('bounds lists and detail counts', () => {
    const members = Array.from({ length: MAX_ITEMS + 1 }, () => 1);
    assert.equal(
      refusal({ layer: 'membership', msg: { type: 'prepare', epoch: E, members } }),
      'membership.prepare.members: expected a list of at most 1024 node numbers, got an array of 1025 items',
    );
    const details = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${String(i)}`, '']));
    assert.match(
      refusal({ layer: 'agreement', msg: { type: 'submit', events: [{ ...EVENT, details }] } }),
      /^agreement\.submit\.events\[0\]\.details: expected an object of at most 64 strings/,
    );
    const key = 'k'.repeat(300);
    assert.match(
      refusal({
        layer: 'agreement',
        msg: { type: 'submit', events: [{ ...EVENT, details: { [key]: 'v' } }] },
      }),
      /^agreement\.submit\.events\[0\]\.details\["k{32}\.\.\."\]: expected a key of at most 256 characters/,
    );
  });
});

// ---- Properties ------------------------------------------------------------------------------

/** A reason must fit a log line whatever came in. */
const MAX_REASON = 600;

function neverThrows(x: unknown): boolean {
  const r = parseGroupMessage(x);
  if (!r.ok) assert.ok(r.reason.length <= MAX_REASON, `reason of ${String(r.reason.length)}`);
  return r.ok;
}

const TYPES = ALL_VARIANTS.map((v) => v.slice(v.indexOf('.') + 1));
const LAYERS = ['membership', 'agreement', 'lease', 'cm'];
const FIELDS = [
  ...new Set(['type', 'epoch', 'id', 'event', 'rows', 'known', 'members', 'view', 'seq', 'n']),
];

describe('parseGroupMessage: properties', () => {
  it('never throws on any JSON value, and refuses (nearly) all of them', () => {
    let ok = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.jsonValue(), (x) => {
        runs++;
        if (neverThrows(x)) ok++;
      }),
      { numRuns: 2_000 },
    );
    assert.ok(ok <= runs / 100, `${String(ok)} of ${String(runs)} random values accepted`);
  });

  it('never throws on values JSON cannot even produce (Maps, Sets, bigints, holes...)', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withSparseArray: true,
          withTypedArray: true,
        }),
        (x) => {
          neverThrows(x);
          neverThrows({ layer: 'agreement', msg: x });
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('never throws on near-messages, and what it accepts parses back to itself', () => {
    const nearMessage = fc
      .tuple(
        fc.constantFrom(...LAYERS, 'other'),
        fc.constantFrom(...TYPES, 'other'),
        fc.dictionary(fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 3 })),
      )
      .map(([layer, type, fields]) => ({ layer, msg: { ...fields, type } }));
    fc.assert(
      fc.property(nearMessage, (x) => {
        const r = parseGroupMessage(x);
        if (!r.ok) assert.ok(r.reason.length <= MAX_REASON);
        else assert.deepEqual(accepted(roundTrip(r.message)), r.message);
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a mutated message with a reason naming the mutated field', () => {
    const bases: Json[] = [...simCorpus().samples.values()].flat();
    assert.ok(bases.length >= 15);
    fc.assert(
      fc.property(
        fc.constantFrom(...bases),
        fc.nat(),
        fc.constantFrom(...MUTATIONS),
        (base, pick, kind) => {
          const paths = leafPaths(base, []).filter((p) => applies(kind, valueAt(base, p)));
          if (paths.length === 0) return;
          const path = paths[pick % paths.length] as Path;
          const mutated = mutate(base, path, kind);
          const r = parseGroupMessage(mutated);
          const where = `${kind} at ${JSON.stringify(path)} of ${JSON.stringify(base)}`;
          if (stillValid(kind, path)) {
            if (!r.ok) assert.fail(`${where}: refused, ${r.reason}`);
            assert.deepEqual(r.message, mutated, where);
            return;
          }
          if (r.ok) assert.fail(`${where}: accepted`);
          // A triple one short is named as a whole.
          const named =
            kind === 'delete' && path[path.length - 3] === 'known' ? path.slice(0, -1) : path;
          const expected = pathText(base, named);
          assert.ok(
            r.reason.startsWith(`${expected}: `),
            `${where}: reason ${JSON.stringify(r.reason)} does not start with ${expected}`,
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

// ---- Mutations -------------------------------------------------------------------------------

type Path = readonly (string | number)[];
const MUTATIONS = ['delete', 'negative', 'fraction', 'huge', 'long-string', 'retype'] as const;
type Mutation = (typeof MUTATIONS)[number];

/** Fields the types make optional: deleting them leaves a valid message. */
const OPTIONAL = new Set(['known', 'echo', 'extra', 'network', 'details']);
/** Times may be fractions (performance.now()). */
const TIMES = new Set(['t0', 'echo', 'remainingMs']);

/** Every path in a message but the root, and nothing inside `extra` (it is not checked). */
function leafPaths(x: Json, at: Path): Path[] {
  const out: Path[] = at.length > 0 ? [at] : [];
  if (at[at.length - 1] === 'extra') return out;
  if (Array.isArray(x)) x.forEach((v, i) => out.push(...leafPaths(v, [...at, i])));
  else if (x !== null && typeof x === 'object')
    for (const [k, v] of Object.entries(x)) out.push(...leafPaths(v, [...at, k]));
  return out;
}

function valueAt(x: Json, path: Path): Json {
  let v: Json = x;
  for (const k of path) v = (v as Record<string | number, Json>)[k] as Json;
  return v;
}

function applies(kind: Mutation, v: Json): boolean {
  switch (kind) {
    case 'delete':
    case 'retype':
      return true;
    case 'negative':
    case 'fraction':
    case 'huge':
      return typeof v === 'number';
    case 'long-string':
      return typeof v === 'string';
  }
}

function mutate(base: Json, path: Path, kind: Mutation): Json {
  const copy = roundTrip(base);
  const parent = valueAt(copy, path.slice(0, -1)) as Record<string | number, Json>;
  const key = path[path.length - 1] as string | number;
  const v = parent[key] as Json;
  if (kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else Reflect.deleteProperty(parent, key);
    return copy;
  }
  parent[key] = ((): Json => {
    switch (kind) {
      case 'negative':
        return -2 - Math.abs(v as number); // below every minimum, END (-1) included
      case 'fraction':
        return (v as number) + 0.5;
      case 'huge':
        return 2 ** 53;
      case 'long-string':
        return 'x'.repeat(MAX_TEXT_CHARS + 1);
      case 'retype':
        if (typeof v === 'number') return String(v);
        if (typeof v === 'string') return 7;
        if (Array.isArray(v)) return {};
        if (v === null) return true;
        return [];
    }
  })();
  return copy;
}

/** Mutations the types allow: a list shorter by one, an optional field gone, a time's fraction. */
function stillValid(kind: Mutation, path: Path): boolean {
  const key = path[path.length - 1];
  if (key === 'extra') return true; // anything goes: node.ts checks it
  if (kind === 'delete')
    return (
      // A list shorter by one, but for a [node, incarnation, version] triple.
      (typeof key === 'number' && path[path.length - 3] !== 'known') ||
      OPTIONAL.has(String(key)) ||
      path[path.length - 2] === 'details' ||
      // A row's view is optional; a commit's is not.
      (key === 'view' && typeof path[path.length - 2] === 'number')
    );
  return kind === 'fraction' && TIMES.has(String(key));
}

/** The path a reason names: "agreement.decide.event.node", "membership.rows.rows[2].hears[0]". */
function pathText(base: Json, path: Path): string {
  const m = base as { layer: string; msg: { type: string } };
  if (path.length === 1) return String(path[0]);
  if (path[1] === 'type') return `${m.layer}.type`;
  let out = `${m.layer}.${m.msg.type}`;
  for (const k of path.slice(1)) out += typeof k === 'number' ? `[${String(k)}]` : `.${k}`;
  return out;
}
