// The disk lease's rules one at a time, in virtual time: each input is fed by hand with the
// I/O times a test chooses, so every boundary (D, leaseMs + margin, the renewal bound) is hit
// exactly. The random runs of the whole protocol are in disk-lease.property.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSlot } from '../diskhb/slot.js';
import {
  DISK_LEASE_BLOCK_BYTES,
  DISK_LEASE_SLOT,
  createDiskLease,
  stepDiskLease,
  type DiskLeaseEffect,
  type DiskLeaseInput,
  type DiskLeaseOptions,
  type DiskLeaseResult,
} from './disk-lease.js';

const L = 10_000;
const M = 2000;
const D = 1000;
const SETTLE = 1100;

class Node {
  r: DiskLeaseResult;
  /** Every effect so far, in order. */
  readonly all: DiskLeaseEffect[] = [];
  constructor(o: Partial<DiskLeaseOptions> = {}, t0 = 0) {
    this.r = createDiskLease({ clusterId: 7, nodeId: 1, incarnation: 1, leaseMs: L, ...o }, t0);
    this.all.push(...this.r.effects);
  }
  step(input: DiskLeaseInput): DiskLeaseEffect[] {
    this.r = stepDiskLease(this.r.state, input);
    this.all.push(...this.r.effects);
    return [...this.r.effects];
  }
  ask(id: string, t: number): DiskLeaseEffect[] {
    return this.step({ type: 'ask', requestId: id, nowMs: t, wallMs: 0 });
  }
  read(start: number, end: number, block: Uint8Array): DiskLeaseEffect[] {
    return this.step({ type: 'read-done', startMs: start, nowMs: end, block });
  }
  wrote(start: number, end: number): DiskLeaseEffect[] {
    return this.step({ type: 'write-done', startMs: start, nowMs: end });
  }
  timer(t: number): DiskLeaseEffect[] {
    return this.step({ type: 'timer', nowMs: t });
  }
  /** The block of the last write effect. */
  lastWrite(): Uint8Array {
    const w = this.all.filter((e) => e.type === 'write').at(-1);
    assert.ok(w?.type === 'write', 'no write so far');
    return w.block;
  }
  writes(): number {
    return this.all.filter((e) => e.type === 'write').length;
  }
}

const answers = (fx: readonly DiskLeaseEffect[]) =>
  fx.flatMap((e) => (e.type === 'answer' ? [[e.requestId, e.granted, e.reason] as const] : []));
const has = (fx: readonly DiskLeaseEffect[], type: DiskLeaseEffect['type']) =>
  fx.some((e) => e.type === type);

const EMPTY = new Uint8Array(DISK_LEASE_BLOCK_BYTES);
function recordOf(nodeId: number, incarnation: number, counter: number): Uint8Array {
  const block = new Uint8Array(DISK_LEASE_BLOCK_BYTES);
  block.set(
    encodeSlot({ clusterId: 7, nodeId, slot: DISK_LEASE_SLOT, incarnation, counter, wallMs: 0 }),
  );
  return block;
}

/** Takes the lease from an empty block: ask at t, read [t, t+10], write [t+10, t+20]. */
function claimEmpty(n: Node, t: number): { writeStart: number; grantAt: number } {
  n.ask('claim', t);
  assert.ok(has(n.read(t, t + 10, EMPTY), 'write'));
  n.wrote(t + 10, t + 20);
  assert.ok(has(n.timer(t + 20 + SETTLE), 'read'));
  const fx = n.read(t + 20 + SETTLE, t + 30 + SETTLE, n.lastWrite());
  assert.deepEqual(answers(fx), [['claim', true, 'claimed']]);
  return { writeStart: t + 10, grantAt: t + 30 + SETTLE };
}

describe('disk lease: claiming', () => {
  it('takes an empty block, granting only after rereading it D after the write', () => {
    const n = new Node();
    assert.ok(has(n.all, 'read')); // the background poll starts at once
    n.read(0, 5, EMPTY);
    assert.ok(has(n.ask('a', 100), 'read'));
    const w = n.read(100, 110, EMPTY);
    assert.ok(has(w, 'write'));
    assert.deepEqual(answers(n.wrote(110, 120)), []);
    assert.equal(n.r.wakeAtMs, 120 + SETTLE);
    assert.deepEqual(n.timer(120 + SETTLE - 1), []); // not before D (+10%) has passed
    assert.ok(has(n.timer(120 + SETTLE), 'read'));
    assert.deepEqual(answers(n.read(1220, 1230, n.lastWrite())), [['a', true, 'claimed']]);
  });

  it('takes a stale record only once it stayed unchanged leaseMs + margin before the ask', () => {
    const n = new Node();
    const other = recordOf(2, 5, 40);
    n.read(0, 10, other); // first seen at 10 (the end of the read)
    n.ask('early', 10 + L + M - 1);
    assert.deepEqual(answers(n.read(10 + L + M - 1, 10 + L + M + 5, other)), [
      ['early', false, 'waiting'],
    ]);
    assert.equal(n.writes(), 0);
    n.ask('late', 10 + L + M);
    assert.ok(has(n.read(10 + L + M, 10 + L + M + 5, other), 'write'));
  });

  it('denies while the holder keeps changing the block, and never writes', () => {
    const n = new Node();
    n.read(0, 10, recordOf(2, 5, 1));
    for (let i = 1; i <= 6; i++) {
      const t = i * 3000;
      n.ask(`q${String(i)}`, t);
      assert.deepEqual(answers(n.read(t, t + 5, recordOf(2, 5, 1 + i))), [
        [`q${String(i)}`, false, 'busy'],
      ]);
    }
    assert.equal(n.writes(), 0);
  });

  it('denies a claim whose write ended more than D after the read that allowed it', () => {
    const slow = new Node();
    slow.read(0, 5, EMPTY);
    slow.ask('s', 10);
    slow.read(10, 20, EMPTY);
    const fx = slow.wrote(20, 10 + D + 1);
    assert.deepEqual(answers(fx), [['s', false, 'slow-write']]);
    // What reads come later are polls: finding our record there grants nothing.
    const t = 10 + D + 1 + SETTLE;
    slow.timer(t);
    assert.deepEqual(answers(slow.read(t, t + 5, slow.lastWrite())), []);
    assert.equal(slow.writes(), 1);
    // At exactly D it goes on to the reread.
    const onTime = new Node();
    onTime.read(0, 5, EMPTY);
    onTime.ask('o', 10);
    onTime.read(10, 20, EMPTY);
    assert.deepEqual(answers(onTime.wrote(20, 10 + D)), []);
    assert.equal(onTime.r.wakeAtMs, 10 + D + SETTLE);
  });

  it('lets exactly one of two racing contenders win', () => {
    const a = new Node({ nodeId: 1 });
    const b = new Node({ nodeId: 2 });
    for (const n of [a, b]) {
      n.read(0, 5, EMPTY);
      n.ask(n === a ? 'a' : 'b', 10);
      assert.ok(has(n.read(10, 20, EMPTY), 'write'));
    }
    // Both writes are in flight; a's lands first (at 25), b's later (at 35).
    a.wrote(20, 30);
    b.wrote(22, 40);
    const disk = b.lastWrite();
    a.timer(30 + SETTLE);
    const aAnswer = answers(a.read(30 + SETTLE, 40 + SETTLE, disk));
    b.timer(40 + SETTLE);
    const bAnswer = answers(b.read(40 + SETTLE, 50 + SETTLE, disk));
    assert.deepEqual(aAnswer, [['a', false, 'lost-race']]);
    assert.deepEqual(bAnswer, [['b', true, 'claimed']]);
  });

  it('never overwrites data that is not Haven’s, and says where it is', () => {
    const n = new Node();
    const foreign = new Uint8Array(DISK_LEASE_BLOCK_BYTES);
    foreign.set([0x55, 0xaa, 1, 2, 3], 0); // e.g. a boot sector
    n.read(0, 10, foreign);
    for (let i = 1; i <= 3; i++) {
      const t = i * 20_000;
      n.ask(`f${String(i)}`, t);
      assert.deepEqual(answers(n.read(t, t + 5, foreign)), [
        [`f${String(i)}`, false, 'foreign-data'],
      ]);
    }
    assert.equal(n.writes(), 0);
    const errors = n.all.filter((e) => e.type === 'log' && e.level === 'error');
    assert.equal(errors.length, 1, 'logged once');
    assert.match(errors[0]?.type === 'log' ? errors[0].message : '', /byte offset 4194304/);
  });

  it('treats a damaged record like a stale one: unchanged leaseMs + margin, then taken', () => {
    const n = new Node();
    const torn = recordOf(2, 5, 9);
    torn[100] = 1; // inside the record: the checksum no longer matches
    n.read(0, 10, torn);
    n.ask('x', 5000);
    assert.deepEqual(answers(n.read(5000, 5010, torn)), [['x', false, 'waiting']]);
    n.ask('y', 10 + L + M);
    assert.ok(has(n.read(10 + L + M, 10 + L + M + 10, torn), 'write'));
    assert.ok(n.all.some((e) => e.type === 'log' && e.message.includes('bad-checksum')));
  });

  it('sees its previous life’s record as foreign after a restart', () => {
    const first = new Node({ incarnation: 1 });
    first.read(0, 5, EMPTY);
    claimEmpty(first, 100);
    const onDisk = first.lastWrite();
    const again = new Node({ incarnation: 2 }, 5000);
    again.read(5000, 5010, onDisk);
    again.ask('r', 6000);
    assert.deepEqual(answers(again.read(6000, 6010, onDisk)), [['r', false, 'waiting']]);
    again.ask('r2', 5010 + L + M);
    assert.ok(has(again.read(5010 + L + M, 5010 + L + M + 10, onDisk), 'write'));
  });
});

describe('disk lease: holding', () => {
  it('renews with one read and one write, granting as soon as the write returns', () => {
    const n = new Node();
    n.read(0, 5, EMPTY);
    const { writeStart } = claimEmpty(n, 100);
    let held = n.lastWrite();
    let prevStart = writeStart;
    for (let i = 1; i <= 4; i++) {
      const t = prevStart + L / 2;
      n.ask(`n${String(i)}`, t);
      assert.ok(has(n.read(t, t + 5, held), 'write'));
      const fx = n.wrote(t + 5, t + 15);
      assert.deepEqual(answers(fx), [[`n${String(i)}`, true, 'renewed']]);
      assert.notDeepEqual(n.lastWrite(), held, 'each renewal writes a new counter');
      held = n.lastWrite();
      prevStart = t + 5;
    }
  });

  it('gives the lease up when a renewal ends more than leaseMs after the previous write began', () => {
    const n = new Node();
    n.read(0, 5, EMPTY);
    const { writeStart } = claimEmpty(n, 100);
    const t = writeStart + L - 100;
    n.ask('late', t);
    assert.ok(has(n.read(t, t + 5, n.lastWrite()), 'write'));
    // A rival judges the block abandoned leaseMs + margin after first seeing our record, so a
    // write ending later than leaseMs might land after the rival's confirming read.
    const fx = n.wrote(t + 5, writeStart + L + 1);
    assert.deepEqual(answers(fx), [['late', false, 'late-renewal']]);
    // No longer held: the next ask must wait like anyone else's, even on our own record.
    const own = n.lastWrite();
    const t2 = writeStart + L + 500;
    n.ask('next', t2);
    assert.deepEqual(answers(n.read(t2, t2 + 5, own)), [['next', false, 'busy']]);
  });

  it('claims like anyone else once leaseMs has passed since its last write', () => {
    const n = new Node();
    n.read(0, 5, EMPTY);
    const { writeStart, grantAt } = claimEmpty(n, 100);
    const t = writeStart + L;
    n.ask('old', t);
    // Our own record, first seen at grantAt: not yet quiet for leaseMs + margin.
    assert.deepEqual(answers(n.read(t, t + 5, n.lastWrite())), [['old', false, 'waiting']]);
    const t2 = grantAt + L + M;
    n.ask('old2', t2);
    assert.ok(has(n.read(t2, t2 + 5, n.lastWrite()), 'write'));
  });

  it('notices another node’s record in its block: lease lost, logged once', () => {
    const n = new Node();
    n.read(0, 5, EMPTY);
    claimEmpty(n, 100);
    const theirs = recordOf(2, 9, 1);
    n.ask('l1', 3000);
    assert.deepEqual(answers(n.read(3000, 3005, theirs)), [['l1', false, 'busy']]);
    assert.equal(n.writes(), 1);
    const lost = n.all.filter((e) => e.type === 'log' && e.message.includes('lost'));
    assert.equal(lost.length, 1);
  });
});

describe('disk lease: asks and I/O', () => {
  it('answers a pending ask with a denial when a new one comes', () => {
    const n = new Node();
    n.ask('one', 100); // waits for the poll read still in flight
    assert.deepEqual(answers(n.ask('two', 200)), [['one', false, 'superseded']]);
  });

  it('denies an ask whose I/O is stuck, and starts no other until it returns', () => {
    const n = new Node();
    n.read(0, 5, EMPTY);
    n.ask('s', 100);
    const wake = n.r.wakeAtMs;
    assert.equal(wake, 600);
    assert.deepEqual(answers(n.timer(600)), [['s', false, 'io-timeout']]);
    // Still stuck: a new ask is denied at once, and nothing new is issued.
    const fx = n.ask('t', 3000);
    assert.deepEqual(answers(fx), [['t', false, 'io-timeout']]);
    assert.ok(!has(fx, 'read') && !has(fx, 'write'));
    assert.ok(!has(n.timer(5000), 'read'));
    // When it returns, the sequence ends: on an empty block it would claim, but a write
    // after a read this slow could never meet the D rule.
    assert.ok(!has(n.read(100, 5500, EMPTY), 'write'));
    assert.ok(has(n.all, 'log'));
  });

  it('refuses every ask once closed', () => {
    const n = new Node();
    n.read(0, 5, EMPTY);
    n.step({ type: 'close', nowMs: 10 });
    assert.deepEqual(answers(n.ask('c', 20)), [['c', false, 'closed']]);
    assert.equal(n.r.wakeAtMs, null);
  });
});
