import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createPeerReader,
  observePeer,
  type PeerObservation,
  type PeerReaderState,
} from './reader.js';
import type { SlotDecodeFailure, SlotDecodeResult } from './slot.js';

const spec = { interfaceId: 'node2-diskhb', network: 'net_diskhb_01', nodeId: 2, slot: 2 };

type Read = readonly [incarnation: number, counter: number] | SlotDecodeFailure;

function decoded(read: Read): SlotDecodeResult {
  if (typeof read === 'string') return { ok: false, reason: read };
  const [incarnation, counter] = read;
  return { ok: true, slot: { clusterId: 1, nodeId: 2, slot: 2, incarnation, counter, wallMs: 0 } };
}

/** Feeds reads 10 ms apart; returns a compact form of each observation and the final state. */
function run(reads: readonly Read[]): { seen: string[]; state: PeerReaderState } {
  let state = createPeerReader(spec);
  const seen: string[] = [];
  reads.forEach((read, i) => {
    const r = observePeer(state, decoded(read), 10 * i);
    state = r.state;
    seen.push(compact(r.observation));
  });
  return { seen, state };
}

function compact(o: PeerObservation): string {
  switch (o.type) {
    case 'heartbeat':
      return `hb ${o.heartbeat.incarnation}/${o.heartbeat.seq}${o.restarted ? ' restarted' : ''}`;
    case 'baseline':
      return `baseline ${o.why}`;
    case 'silent':
      return 'silent';
    case 'regressed':
      return `regressed ${o.kind}`;
    case 'rejected':
      return o.reason;
  }
}

describe('disk heartbeat peer reader', () => {
  const table: [string, Read[], string[]][] = [
    [
      'a counter that advances is a heartbeat each time; the first look is only a baseline',
      [
        [7, 100],
        [7, 101],
        [7, 105],
      ],
      ['baseline first', 'hb 7/101', 'hb 7/105'],
    ],
    [
      'a counter that stays the same is silence',
      [
        [7, 100],
        [7, 100],
        [7, 101],
        [7, 101],
      ],
      ['baseline first', 'silent', 'hb 7/101', 'silent'],
    ],
    [
      'a counter that goes backwards is an anomaly, and only progress beyond the highest counts',
      [
        [7, 100],
        [7, 101],
        [7, 50],
        [7, 51],
        [7, 101],
        [7, 102],
      ],
      [
        'baseline first',
        'hb 7/101',
        'regressed counter',
        'regressed counter',
        'silent',
        'hb 7/102',
      ],
    ],
    [
      'a new incarnation is a heartbeat (the peer restarted), even with a lower counter',
      [
        [7, 100],
        [8, 1],
        [8, 2],
      ],
      ['baseline first', 'hb 8/1 restarted', 'hb 8/2'],
    ],
    [
      'an older incarnation is an anomaly, never liveness',
      [
        [8, 5],
        [7, 900],
        [8, 6],
      ],
      ['baseline first', 'regressed incarnation', 'hb 8/6'],
    ],
    [
      'a slot seen empty and then written was written since: a heartbeat at once',
      ['empty', [3, 1], [3, 2]],
      ['empty', 'hb 3/1', 'hb 3/2'],
    ],
    [
      'an unreadable read in between is not a baseline: progress is judged against the last good one',
      [[7, 100], 'bad-checksum', [7, 101], 'wrong-node', [7, 101]],
      ['baseline first', 'bad-checksum', 'hb 7/101', 'wrong-node', 'silent'],
    ],
    [
      'a torn read between an empty slot and the first record does not undo what the empty read proved',
      ['empty', 'bad-checksum', [3, 1], [3, 2]],
      ['empty', 'bad-checksum', 'hb 3/1', 'hb 3/2'],
    ],
    [
      'a slot zeroed after valid records says nothing: the next record is judged on progress',
      [[7, 100], 'empty', [7, 100], [7, 101]],
      ['baseline first', 'empty', 'silent', 'hb 7/101'],
    ],
  ];
  for (const [what, reads, want] of table) {
    it(what, () => {
      assert.deepEqual(run(reads).seen, want);
    });
  }

  it('shapes the heartbeat for the topology detector', () => {
    let state = createPeerReader(spec);
    state = observePeer(state, decoded([7, 100]), 1000).state;
    const { observation } = observePeer(state, decoded([7, 101]), 1250);
    assert.deepEqual(observation, {
      type: 'heartbeat',
      heartbeat: {
        fromInterface: 'node2-diskhb',
        network: 'net_diskhb_01',
        nowMs: 1250,
        incarnation: 7,
        seq: 101,
      },
      restarted: false,
    });
  });

  it('a late read moves the high-water mark without vouching for the present', () => {
    let state = createPeerReader(spec);
    state = observePeer(state, decoded([7, 100]), 0).state;
    const late = observePeer(state, decoded([7, 104]), 10, { late: true });
    assert.deepEqual(late.observation, { type: 'baseline', why: 'late' });
    const again = observePeer(late.state, decoded([7, 104]), 20);
    assert.deepEqual(again.observation, { type: 'silent' });
    assert.equal(again.state.counters.late, 1);
  });

  it('counts every outcome', () => {
    const { state } = run([
      [7, 1],
      [7, 2],
      [7, 2],
      [7, 1],
      [6, 9],
      [8, 1],
      'bad-checksum',
      'bad-checksum',
      'wrong-cluster',
    ]);
    const { rejected, ...rest } = state.counters;
    assert.deepEqual(rest, {
      reads: 9,
      heartbeats: 2,
      restarts: 1,
      baselines: 1,
      silent: 1,
      late: 0,
      counterRegressions: 1,
      incarnationRegressions: 1,
    });
    assert.equal(rejected['bad-checksum'], 2);
    assert.equal(rejected['wrong-cluster'], 1);
    assert.equal(rejected.empty, 0);
    assert.deepEqual(state.high, { incarnation: 8, counter: 1, wallMs: 0 });
    assert.equal(state.lastOutcome, 'wrong-cluster');
  });

  it('keeps what a rejected record held, and never mutates the state it was given', () => {
    const start = createPeerReader(spec);
    const frozen = JSON.stringify(start);
    const record = { clusterId: 1, nodeId: 5, slot: 2, incarnation: 1, counter: 1, wallMs: 0 };
    const r = observePeer(start, { ok: false, reason: 'wrong-node', record }, 0);
    assert.deepEqual(r.observation, { type: 'rejected', reason: 'wrong-node', record });
    assert.equal(JSON.stringify(start), frozen);
  });
});
