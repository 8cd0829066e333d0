import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidArgumentError } from '../errors.js';
import {
  REPLAY_REJECT_REASONS,
  checkReplay,
  createReplayGuard,
  nextIncarnation,
  type ReplayGuardModel,
  type ReplayGuardState,
  type ReplayRejectReason,
} from './replay.js';
import type { HeartbeatMessage } from './wire.js';

// This node is 1: interfaces 1 and 2 on network 1 (two adapters on one network), 3 on network 2.
// Node 2: interface 1 on network 1, 2 on network 2. Node 3: interface 1 on network 1.
const model: ReplayGuardModel = {
  localNode: 1,
  interfaces: [
    { node: 1, index: 1, network: 1 },
    { node: 1, index: 2, network: 1 },
    { node: 1, index: 3, network: 2 },
    { node: 2, index: 1, network: 1 },
    { node: 2, index: 2, network: 2 },
    { node: 3, index: 1, network: 1 },
  ],
};

interface Step {
  /** node/interface@network → local, incarnation, seq */
  readonly from: readonly [node: number, iface: number, network: number];
  readonly to: number;
  readonly inc: bigint;
  readonly seq: bigint;
  readonly want: ReplayRejectReason | 'ok';
  readonly why: string;
}

function run(steps: readonly Step[]): void {
  let state = createReplayGuard(model);
  steps.forEach((s, i) => {
    const msg: HeartbeatMessage = {
      clusterId: 9,
      fromNode: s.from[0],
      fromInterface: s.from[1],
      network: s.from[2],
      incarnation: s.inc,
      seq: s.seq,
    };
    const before = state;
    const copy = structuredClone(state);
    const r = checkReplay(state, msg, s.to);
    assert.equal(r.ok ? 'ok' : r.reason, s.want, `step ${i}: ${s.why}`);
    if (r.ok) state = r.state;
    // The state it was given is never changed.
    assert.deepEqual(before, copy);
  });
}

const N2I1: Step['from'] = [2, 1, 1];
const N2I2: Step['from'] = [2, 2, 2];
const N3I1: Step['from'] = [3, 1, 1];

describe('replay guard', () => {
  it('accepts strictly newer seqs and drops duplicates and older ones', () => {
    run([
      { from: N2I1, to: 1, inc: 10n, seq: 5n, want: 'ok', why: 'first heartbeat, any seq' },
      { from: N2I1, to: 1, inc: 10n, seq: 5n, want: 'replayed', why: 'same again' },
      { from: N2I1, to: 1, inc: 10n, seq: 4n, want: 'replayed', why: 'older' },
      { from: N2I1, to: 1, inc: 10n, seq: 6n, want: 'ok', why: 'next' },
      { from: N2I1, to: 1, inc: 10n, seq: 100n, want: 'ok', why: 'a gap is fine (losses)' },
      { from: N2I1, to: 1, inc: 10n, seq: 99n, want: 'replayed', why: 'overtaken' },
    ]);
  });

  it('keeps one window per path: a copy to our second adapter is not a replay', () => {
    run([
      { from: N2I1, to: 1, inc: 10n, seq: 1n, want: 'ok', why: 'to adapter 1' },
      { from: N2I1, to: 2, inc: 10n, seq: 1n, want: 'ok', why: 'same heartbeat to adapter 2' },
      { from: N2I1, to: 2, inc: 10n, seq: 1n, want: 'replayed', why: 'twice on adapter 2' },
      { from: N3I1, to: 1, inc: 10n, seq: 1n, want: 'ok', why: 'other sender, own window' },
      { from: N2I2, to: 3, inc: 10n, seq: 1n, want: 'ok', why: 'other interface, own window' },
    ]);
  });

  it('opens a new life on a newer incarnation, on every path of the node', () => {
    run([
      { from: N2I1, to: 1, inc: 10n, seq: 500n, want: 'ok', why: 'old life' },
      { from: N2I2, to: 3, inc: 10n, seq: 500n, want: 'ok', why: 'old life, network 2' },
      { from: N2I1, to: 1, inc: 11n, seq: 1n, want: 'ok', why: 'restart: seq starts afresh' },
      { from: N2I1, to: 1, inc: 10n, seq: 501n, want: 'old-incarnation', why: 'delayed' },
      {
        from: N2I2,
        to: 3,
        inc: 10n,
        seq: 501n,
        want: 'old-incarnation',
        why: 'the node restarted: its other paths drop the old life too',
      },
      { from: N2I2, to: 3, inc: 11n, seq: 1n, want: 'ok', why: 'new life on network 2' },
      { from: N2I1, to: 1, inc: 11n, seq: 1n, want: 'replayed', why: 'new life, same seq' },
      { from: N3I1, to: 1, inc: 5n, seq: 1n, want: 'ok', why: 'node 3 has its own lives' },
    ]);
  });

  it('drops what is not a configured path, without remembering it', () => {
    run([
      { from: [1, 1, 1], to: 1, inc: 1n, seq: 1n, want: 'from-self', why: 'our own id' },
      { from: [1, 9, 1], to: 1, inc: 1n, seq: 1n, want: 'from-self', why: 'even unknown ifaces' },
      { from: [4, 1, 1], to: 1, inc: 1n, seq: 1n, want: 'unknown-sender', why: 'no node 4' },
      { from: [2, 3, 1], to: 1, inc: 1n, seq: 1n, want: 'unknown-sender', why: 'no iface 3' },
      { from: [2, 1, 2], to: 1, inc: 1n, seq: 1n, want: 'wrong-network', why: 'claims net 2' },
      { from: [2, 1, 1], to: 3, inc: 1n, seq: 1n, want: 'wrong-network', why: 'reached net 2' },
      { from: [2, 2, 2], to: 1, inc: 1n, seq: 1n, want: 'wrong-network', why: 'net 2 on net 1' },
      { from: N2I1, to: 1, inc: 1n, seq: 1n, want: 'ok', why: 'nothing above was remembered' },
    ]);
  });

  it('reaches every reason code', () => {
    // The tables above, summarised: each reason appears in a `want`.
    const covered: ReplayRejectReason[] = [
      'from-self',
      'unknown-sender',
      'wrong-network',
      'old-incarnation',
      'replayed',
    ];
    assert.deepEqual([...covered].sort(), [...REPLAY_REJECT_REASONS].sort());
  });

  it('throws on a local interface that is not ours (a bug of the caller)', () => {
    const state = createReplayGuard(model);
    const msg = {
      clusterId: 9,
      fromNode: 2,
      fromInterface: 1,
      network: 1,
      incarnation: 1n,
      seq: 1n,
    };
    assert.throws(() => checkReplay(state, msg, 9), InvalidArgumentError);
  });

  it('refuses a model with a duplicate or out-of-range interface', () => {
    assert.throws(
      () =>
        createReplayGuard({
          localNode: 1,
          interfaces: [
            { node: 2, index: 1, network: 1 },
            { node: 2, index: 1, network: 2 },
          ],
        }),
      InvalidArgumentError,
    );
    assert.throws(
      () =>
        createReplayGuard({ localNode: 1, interfaces: [{ node: 70000, index: 1, network: 1 }] }),
      InvalidArgumentError,
    );
    assert.throws(() => createReplayGuard({ localNode: -1, interfaces: [] }), InvalidArgumentError);
  });

  it('holds memory for configured paths only', () => {
    const state = createReplayGuard(model);
    // Peers' interfaces on network 1 (2: N2I1, N3I1) × our adapters there (2), plus N2I2 × 1.
    assert.equal(state.windows.length, 5);
    assert.equal(state.incarnations.length, 2);
  });

  it('never throws, and matches a reference that remembers everything (property)', () => {
    const msgArb = fc.record({
      clusterId: fc.constant(9),
      fromNode: fc.integer({ min: 0, max: 4 }),
      fromInterface: fc.integer({ min: 0, max: 3 }),
      network: fc.integer({ min: 0, max: 3 }),
      incarnation: fc.bigInt({ min: 0n, max: 3n }),
      seq: fc.bigInt({ min: 0n, max: 6n }),
    });
    const stepArb = fc.tuple(msgArb, fc.constantFrom(1, 2, 3));
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), (steps) => {
        let state: ReplayGuardState = createReplayGuard(model);
        const lives = new Map<number, bigint>();
        const windows = new Map<string, [bigint, bigint]>();
        const network = new Map(model.interfaces.map((i) => [`${i.node}/${i.index}`, i.network]));
        for (const [msg, to] of steps) {
          const r = checkReplay(state, msg, to);
          const senderNet = network.get(`${msg.fromNode}/${msg.fromInterface}`);
          const path = `${msg.fromNode}/${msg.fromInterface}>${to}`;
          const life = lives.get(msg.fromNode);
          const w = windows.get(path);
          const want =
            msg.fromNode === 1
              ? 'from-self'
              : senderNet === undefined
                ? 'unknown-sender'
                : senderNet !== msg.network || network.get(`1/${to}`) !== msg.network
                  ? 'wrong-network'
                  : life !== undefined && msg.incarnation < life
                    ? 'old-incarnation'
                    : w !== undefined && w[0] === msg.incarnation && msg.seq <= w[1]
                      ? 'replayed'
                      : 'ok';
          assert.equal(r.ok ? 'ok' : r.reason, want);
          if (r.ok) {
            state = r.state;
            lives.set(msg.fromNode, msg.incarnation);
            windows.set(path, [msg.incarnation, msg.seq]);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('nextIncarnation', () => {
  it('is the wall-clock ms, or one more than the previous when the clock is behind', () => {
    assert.equal(nextIncarnation(null, 1_700_000_000_123.7), 1_700_000_000_123n);
    assert.equal(nextIncarnation(1_600_000_000_000n, 1_700_000_000_000), 1_700_000_000_000n);
    // The clock went back (a node booted with a wrong RTC): still newer than the last life.
    assert.equal(nextIncarnation(1_700_000_000_000n, 86_400_000), 1_700_000_000_001n);
    assert.equal(nextIncarnation(5n, 5), 6n);
  });

  it('refuses a time that is not a finite, non-negative number', () => {
    for (const t of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      assert.throws(() => nextIncarnation(null, t), InvalidArgumentError);
    }
  });
});
