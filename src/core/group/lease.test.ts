import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLease, leaseOnMessage, leaseOnView, leaseTick, leaseUntil } from './lease.js';
import type { View } from './membership.js';
import { votesOf } from './quorum.js';

const timing = { leaseMs: 1000, renewMs: 250 };
const votes = votesOf(
  [1, 2, 3, 4, 5].map((id) => ({ id, votes: 1 })),
  false,
);
const view = (n: number): View => ({
  epoch: { n, leader: 1, inc: 1 },
  members: [1, 2, 3, 4, 5],
  incarnations: [1, 1, 1, 1, 1],
});

describe('holding lease', () => {
  it('runs while a quorum answered, until the answer that keeps the quorum expires', () => {
    let s = leaseOnView(createLease(0), view(1), 0);
    const ping = leaseTick(s, view(1), 1, timing, 0);
    assert.equal(ping.sends.length, 4);
    s = ping.state;
    assert.equal(leaseUntil(s, view(1), 1, votes, 0), -Infinity, 'nobody answered yet');
    // Node 2 answers a ping sent at 0, node 3 one sent at 300: with node 1, a quorum of 3.
    s = leaseOnMessage(s, view(1), 2, { type: 'pong', epoch: view(1).epoch, t0: 0 }, timing).state;
    s = leaseOnMessage(
      s,
      view(1),
      3,
      { type: 'pong', epoch: view(1).epoch, t0: 300 },
      timing,
    ).state;
    assert.equal(leaseUntil(s, view(1), 1, votes, 500), 1000, 'ends with node 2\u2019s grant');
    assert.equal(leaseUntil(s, view(1), 1, votes, 1000), -Infinity);
  });

  it('counts no answer for another view, and answers no ping of another view', () => {
    let s = leaseOnView(createLease(0), view(2), 0);
    s = leaseOnMessage(s, view(2), 2, { type: 'pong', epoch: view(1).epoch, t0: 0 }, timing).state;
    s = leaseOnMessage(s, view(2), 3, { type: 'pong', epoch: view(1).epoch, t0: 0 }, timing).state;
    assert.equal(leaseUntil(s, view(2), 1, votes, 10), -Infinity);
    const ping = { type: 'ping', epoch: view(1).epoch, t0: 0 } as const;
    assert.deepEqual(leaseOnMessage(s, view(2), 2, ping, timing).sends, []);
    assert.equal(leaseOnMessage(s, view(1), 2, ping, timing).sends.length, 1);
  });

  it('forgets the grants of the old view at a view change', () => {
    let s = leaseOnView(createLease(0), view(1), 0);
    for (const m of [2, 3])
      s = leaseOnMessage(
        s,
        view(1),
        m,
        { type: 'pong', epoch: view(1).epoch, t0: 0 },
        timing,
      ).state;
    assert.equal(leaseUntil(s, view(1), 1, votes, 10), 1000);
    s = leaseOnView(s, view(2), 10);
    assert.equal(leaseUntil(s, view(2), 1, votes, 10), -Infinity);
  });
});
