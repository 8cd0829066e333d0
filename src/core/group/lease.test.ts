import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createLease,
  grantOf,
  leaseOnMessage,
  leaseOnView,
  leaseTick,
  leaseUntil,
} from './lease.js';
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

  it('counts no answer for another view, and echoes no ping of another view', () => {
    let s = leaseOnView(createLease(0), view(2), 0);
    s = leaseOnMessage(s, view(2), 2, { type: 'pong', epoch: view(1).epoch, t0: 0 }, timing).state;
    s = leaseOnMessage(s, view(2), 3, { type: 'pong', epoch: view(1).epoch, t0: 0 }, timing).state;
    assert.equal(leaseUntil(s, view(2), 1, votes, 10), -Infinity);
    const ping = { type: 'ping', epoch: view(1).epoch, t0: 5, echo: 0 } as const;
    const after = leaseOnMessage(s, view(2), 2, ping, timing);
    assert.deepEqual(after.sends, []);
    assert.equal(after.state, s, 'neither heard nor counted');
    const tick = leaseTick(after.state, view(2), 1, timing, 250);
    assert.ok(tick.sends.every((x) => x.msg.type === 'ping' && x.msg.echo === undefined));
  });

  it('echoes the latest ping of each member in its own next ping, which vouches for it', () => {
    // Node 1 and node 2 in view 1; node 2 pings at 100 and 150 (reordered on the way).
    let n1 = leaseOnView(createLease(0), view(1), 0);
    let n2 = leaseOnView(createLease(0), view(1), 0);
    for (const t0 of [150, 100])
      n1 = leaseOnMessage(n1, view(1), 2, { type: 'ping', epoch: view(1).epoch, t0 }, timing).state;
    const tick = leaseTick(n1, view(1), 1, timing, 250);
    assert.deepEqual(tick.sends.find((x) => x.to === 2)?.msg, {
      type: 'ping',
      epoch: view(1).epoch,
      t0: 250,
      echo: 150,
    });
    assert.deepEqual(
      tick.sends.find((x) => x.to === 3)?.msg,
      { type: 'ping', epoch: view(1).epoch, t0: 250 },
      'nothing heard from node 3: nothing to echo',
    );
    const toTwo = tick.sends.find((x) => x.to === 2);
    assert.ok(toTwo);
    n2 = leaseOnMessage(n2, view(1), 1, toTwo.msg, timing).state;
    n2 = leaseOnMessage(
      n2,
      view(1),
      3,
      { type: 'ping', epoch: view(1).epoch, t0: 260, echo: 150 },
      timing,
    ).state;
    // Nodes 1 and 3 vouch for node 2 until 150 + 1000: with node 2, a quorum of 3 of 5.
    assert.equal(leaseUntil(n2, view(1), 2, votes, 200), 1150);
    // A view change forgets what was heard: nothing is echoed to node 2 any more.
    n1 = leaseOnView(tick.state, view(2), 300);
    const next = leaseTick(n1, view(2), 1, timing, 500);
    assert.equal(next.sends.find((x) => x.to === 2)?.msg.type, 'ping');
    assert.ok(next.sends.every((x) => x.msg.type === 'ping' && x.msg.echo === undefined));
  });

  it('at a view change keeps the grants of members still in the view, and forgets the others', () => {
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
    // A node joins (view 2 has every member): the lease runs on, to the same end.
    s = leaseOnView(s, view(2), 10);
    assert.equal(leaseUntil(s, view(2), 1, votes, 10), 1000);
    // Node 3 is gone from view 3: its grant no longer counts, and 1 and 2 are no quorum of 5.
    const without3: View = {
      epoch: { n: 3, leader: 1, inc: 1 },
      members: [1, 2, 4, 5],
      incarnations: [1, 1, 1, 1],
    };
    s = leaseOnView(s, without3, 20);
    assert.equal(grantOf(s, 3), -Infinity);
    assert.equal(grantOf(s, 2), 1000);
    assert.equal(leaseUntil(s, without3, 1, votes, 20), -Infinity);
  });
});
