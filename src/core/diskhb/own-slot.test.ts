import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  initialOwnSlot,
  judgeOwnSlot,
  type OwnSlotState,
  type OwnSlotVerdict,
} from './own-slot.js';
import { decodeSlot, encodeSlot, SLOT_RECORD_BYTES, type SlotRecord } from './slot.js';

const me = { nodeId: 1, incarnation: 50 };
const policy = { quietMs: 200 };
const expected = { clusterId: 9, slot: 1, nodeId: 1 };
const mine = (counter: number, incarnation = 50): SlotRecord => ({
  clusterId: 9,
  nodeId: 1,
  slot: 1,
  incarnation,
  counter,
  wallMs: 0,
});

interface Step {
  readonly bytes: Uint8Array;
  readonly nowMs: number;
  readonly afterOwnWrite?: boolean;
  readonly issuedCounter?: number;
}

function judge(
  steps: readonly Step[],
  opts: { overwriteForeign?: boolean } = {},
): { verdicts: OwnSlotVerdict['type'][]; last: OwnSlotVerdict; state: OwnSlotState } {
  let state = initialOwnSlot;
  const verdicts: OwnSlotVerdict['type'][] = [];
  let last: OwnSlotVerdict | undefined;
  for (const s of steps) {
    const r = judgeOwnSlot(
      state,
      {
        bytes: s.bytes,
        decoded: decodeSlot(s.bytes, expected),
        nowMs: s.nowMs,
        afterOwnWrite: s.afterOwnWrite ?? true,
        issuedCounter: s.issuedCounter ?? 0,
      },
      me,
      { ...policy, ...opts },
    );
    state = r.state;
    last = r.verdict;
    verdicts.push(r.verdict.type);
  }
  assert.ok(last);
  return { verdicts, last, state };
}

const empty = new Uint8Array(SLOT_RECORD_BYTES);
const filesystem = new Uint8Array(SLOT_RECORD_BYTES).fill(0xef);

describe('disk heartbeat own slot', () => {
  it('claims an empty slot at once', () => {
    const r = judge([{ bytes: empty, nowMs: 0 }]);
    assert.deepEqual(r.last, { type: 'claim', previous: { kind: 'empty' } });
    assert.deepEqual(r.state, { phase: 'claimed', mismatches: 0 });
  });

  it('claims our previous life once it has stayed unchanged for the quiet period', () => {
    const old = encodeSlot(mine(700, 49));
    const r = judge([
      { bytes: old, nowMs: 0 },
      { bytes: old, nowMs: 100 },
      { bytes: old, nowMs: 200 },
    ]);
    assert.deepEqual(r.verdicts, ['wait', 'wait', 'claim']);
    assert.deepEqual(r.last, {
      type: 'claim',
      previous: { kind: 'record', record: mine(700, 49) },
    });
  });

  it('says busy and starts over when the content changes: someone writes our slot', () => {
    const other = (counter: number): Uint8Array => encodeSlot({ ...mine(counter), nodeId: 3 });
    const r = judge([
      { bytes: other(1), nowMs: 0 },
      { bytes: other(2), nowMs: 100 },
      { bytes: other(2), nowMs: 200 },
      { bytes: other(2), nowMs: 300 },
    ]);
    assert.deepEqual(r.verdicts, ['wait', 'busy', 'wait', 'claim']);
  });

  it('reclaims a stale record of another cluster, and a torn record, after the quiet period', () => {
    const foreignCluster = encodeSlot({ ...mine(5), clusterId: 77 });
    const r = judge([
      { bytes: foreignCluster, nowMs: 0 },
      { bytes: foreignCluster, nowMs: 250 },
    ]);
    assert.deepEqual(r.last, {
      type: 'claim',
      previous: { kind: 'invalid', reason: 'wrong-cluster', record: { ...mine(5), clusterId: 77 } },
    });
    const torn = encodeSlot(mine(5));
    torn[100] = 1;
    assert.deepEqual(
      judge([
        { bytes: torn, nowMs: 0 },
        { bytes: torn, nowMs: 250 },
      ]).verdicts,
      ['wait', 'claim'],
    );
  });

  it('never overwrites non-Haven data unless told to', () => {
    const steps = [0, 300, 600, 900].map((nowMs) => ({ bytes: filesystem, nowMs }));
    assert.deepEqual(judge(steps).verdicts, ['foreign', 'foreign', 'foreign', 'foreign']);
    assert.deepEqual(judge(steps, { overwriteForeign: true }).verdicts, [
      'wait',
      'claim',
      'mismatch',
      'mismatch',
    ]);
  });

  describe('once claimed', () => {
    const claimed = (steps: Step[]): OwnSlotVerdict['type'][] =>
      judge([{ bytes: empty, nowMs: 0 }, ...steps]).verdicts.slice(1);

    it('accepts our own record, including one a write behind or ahead of a racing read', () => {
      assert.deepEqual(
        claimed([
          { bytes: encodeSlot(mine(1)), nowMs: 100, issuedCounter: 1 },
          { bytes: encodeSlot(mine(1)), nowMs: 200, issuedCounter: 2 },
          { bytes: encodeSlot(mine(3)), nowMs: 300, issuedCounter: 3 },
        ]),
        ['ours', 'ours', 'ours'],
      );
    });

    it('does not judge a read-back before our first write completed', () => {
      const stale = encodeSlot({ ...mine(9), nodeId: 4 });
      assert.deepEqual(claimed([{ bytes: stale, nowMs: 100, afterOwnWrite: false }]), ['ours']);
    });

    it('counts consecutive read-backs that are not ours, and resets on ours', () => {
      const r = judge([
        { bytes: empty, nowMs: 0 },
        { bytes: encodeSlot({ ...mine(9), nodeId: 4 }), nowMs: 100, issuedCounter: 1 },
        { bytes: encodeSlot(mine(1, 51)), nowMs: 200, issuedCounter: 2 },
        { bytes: encodeSlot(mine(99)), nowMs: 300, issuedCounter: 3 },
      ]);
      assert.deepEqual(r.verdicts, ['claim', 'mismatch', 'mismatch', 'mismatch']);
      assert.deepEqual(r.state, { phase: 'claimed', mismatches: 3 });
      if (r.last.type === 'mismatch') assert.equal(r.last.consecutive, 3);
      const back = judge([
        { bytes: empty, nowMs: 0 },
        { bytes: empty, nowMs: 100, issuedCounter: 1 },
        { bytes: encodeSlot(mine(2)), nowMs: 200, issuedCounter: 2 },
      ]);
      assert.deepEqual(back.verdicts, ['claim', 'mismatch', 'ours']);
      assert.deepEqual(back.state, { phase: 'claimed', mismatches: 0 });
    });
  });
});
