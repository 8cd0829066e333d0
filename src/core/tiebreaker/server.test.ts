import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TiebreakerDecider } from './server.js';

const LEASE = 10_000;
const HANDOVER = 2000;
const decider = (): TiebreakerDecider =>
  new TiebreakerDecider({ clusterId: 7, nodes: new Set([1, 2]), leaseMs: LEASE, startMs: 0 });
const ask = (d: TiebreakerDecider, node: number, atMs: number, leaseMs = LEASE): boolean =>
  d.decide({ clusterId: 7, node, incarnation: 1n, requestId: `r${String(atMs)}`, leaseMs }, atMs)
    .reply.granted;

describe('the quorum server decision (virtual time)', () => {
  it('grants nobody for a lease and a hand-over time after its start', () => {
    const d = decider();
    assert.equal(ask(d, 1, LEASE + HANDOVER - 1), false);
    assert.equal(ask(d, 1, LEASE + HANDOVER), true);
  });

  it('keeps one holder, renews it, and gives another node the lease only a hand-over time after it ended', () => {
    const d = decider();
    const t = LEASE + HANDOVER;
    assert.equal(ask(d, 1, t), true);
    assert.equal(ask(d, 2, t + 1), false);
    assert.equal(ask(d, 1, t + 5000), true, 'renewed: now until t + 15000');
    assert.equal(ask(d, 2, t + 14_999), false, 'still held');
    assert.equal(ask(d, 2, t + 15_000), false, 'ended, but node 1 may still be letting go');
    assert.equal(ask(d, 2, t + 15_000 + HANDOVER - 1), false);
    assert.equal(ask(d, 2, t + 15_000 + HANDOVER), true);
    assert.equal(ask(d, 1, t + 15_000 + HANDOVER + 1), false, 'node 2 holds it now');
  });

  it('lets the old holder take its lease back during the hand-over time', () => {
    const d = decider();
    const t = LEASE + HANDOVER;
    assert.equal(ask(d, 1, t), true);
    assert.equal(ask(d, 1, t + LEASE + 1), true);
  });

  it('denies a node outside the cluster and a lease longer than its own', () => {
    const d = decider();
    const t = LEASE + HANDOVER;
    assert.equal(ask(d, 3, t), false);
    assert.equal(ask(d, 1, t, LEASE + 1), false);
    assert.equal(ask(d, 1, t, LEASE), true);
  });
});
