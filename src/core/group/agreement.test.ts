// Agreement, driven directly: views are handed to each node, messages go through a FIFO bus
// that the test can hold back, so the orderings that once broke barriers can be set up exactly.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeNo } from '../cluster/node.js';
import {
  createAgreement,
  END,
  onAgreementMessage,
  onLocalEvent,
  onReached,
  onTimer,
  onView,
  type AgreementMessage,
  type AgreementNotice,
  type AgreementOutput,
  type AgreementState,
  type ClusterEvent,
} from './agreement.js';
import type { View } from './membership.js';
import { referencePriority } from './node.js';

const ev = (name: string, node: NodeNo): ClusterEvent => ({ key: `${name}:${node}`, name, node });

class Bus {
  now = 0;
  readonly states = new Map<NodeNo, AgreementState>();
  readonly notices = new Map<NodeNo, AgreementNotice[]>();
  queue: { from: NodeNo; to: NodeNo; msg: AgreementMessage }[] = [];
  /** Messages to these nodes are dropped. */
  readonly deaf = new Set<NodeNo>();

  constructor(nodes: NodeNo[]) {
    for (const n of nodes) {
      this.states.set(n, createAgreement(n, 0));
      this.notices.set(n, []);
    }
  }
  apply(n: NodeNo, o: AgreementOutput): void {
    this.states.set(n, o.state);
    this.notices.get(n)?.push(...o.notices);
    for (const s of o.sends) this.queue.push({ from: n, to: s.to, msg: s.msg });
  }
  s(n: NodeNo): AgreementState {
    const s = this.states.get(n);
    assert.ok(s);
    return s;
  }
  view(n: NodeNo, view: View, joined: NodeNo[] = [], left: NodeNo[] = []): void {
    this.apply(n, onView(this.s(n), view, joined, left, this.now, referencePriority));
  }
  /** Delivers queued messages (and those they cause) until none is left, or `limit`. */
  deliver(limit = 1000): void {
    for (let i = 0; i < limit && this.queue.length > 0; i++) {
      const m = this.queue.shift();
      if (!m || this.deaf.has(m.to)) continue;
      this.apply(
        m.to,
        onAgreementMessage(this.s(m.to), m.from, m.msg, this.now, referencePriority),
      );
    }
  }
  reach(n: NodeNo, barrier: number): void {
    this.apply(n, onReached(this.s(n), barrier, this.now, referencePriority));
  }
  tick(ms: number): void {
    this.now += ms;
    for (const n of this.states.keys())
      this.apply(n, onTimer(this.s(n), this.now, referencePriority));
  }
}

const view = (n: number, leader: NodeNo, members: NodeNo[]): View => ({
  epoch: { n, leader, inc: 1 },
  members,
  incarnations: members.map(() => 1),
});

describe('agreement', () => {
  it('runs an event on every member and passes a barrier only when all reached it', () => {
    const bus = new Bus([1, 2, 3]);
    for (const n of [1, 2, 3]) bus.view(n, view(1, 1, [1, 2, 3]));
    bus.deliver();
    bus.apply(2, onLocalEvent(bus.s(2), ev('network_down', 2), bus.now, referencePriority));
    bus.deliver();
    bus.tick(1);
    bus.deliver();
    for (const n of [1, 2, 3]) assert.equal(bus.s(n).running?.event.key, 'network_down:2');
    bus.reach(1, 0);
    bus.reach(2, 0);
    bus.deliver();
    assert.deepEqual(bus.s(1).running?.released, [], 'node 3 has not reached barrier 0');
    bus.reach(3, 0);
    bus.deliver();
    for (const n of [1, 2, 3]) assert.deepEqual(bus.s(n).running?.released, [0]);
  });

  it('ignores a decision of an older epoch that arrives after the member synced a new view', () => {
    const bus = new Bus([1, 2]);
    bus.view(2, view(1, 1, [1, 2]));
    bus.view(2, view(2, 1, [1, 2]));
    const sync = bus.queue.at(-1)?.msg;
    assert.deepEqual(sync?.type === 'sync' ? sync.running : 'no sync', null);
    bus.queue = [];
    const late: AgreementMessage = {
      type: 'decide',
      id: { epoch: view(1, 1, []).epoch, seq: 1 },
      event: ev('node_up', 1),
      participants: [1, 2],
    };
    bus.apply(2, onAgreementMessage(bus.s(2), 1, late, bus.now, referencePriority));
    assert.equal(bus.s(2).running, null, 'its sync said it runs nothing: nobody would wait for it');
  });

  it('does not resume, in a new view, an event older than one a member finished since', () => {
    // Node 1 leads an event with 2 and 3, and is cut off (with 2) before its end. Node 3, on
    // the other side, leads views of its own and finishes a later event there.
    const bus = new Bus([1, 2, 3]);
    for (const n of [1, 2, 3]) bus.view(n, view(1, 1, [1, 2, 3]));
    bus.deliver();
    bus.apply(1, onLocalEvent(bus.s(1), ev('node_up', 1), bus.now, referencePriority));
    bus.tick(1);
    bus.deliver();
    const stale = bus.s(1).running?.id;
    assert.ok(stale);
    assert.equal(bus.s(2).running?.event.key, 'node_up:1');
    bus.queue = [];
    // Node 3 alone: it abandons its part and finishes an event of its own in epoch 2.
    bus.view(3, view(2, 3, [3]), [], [1, 2]);
    bus.apply(3, onLocalEvent(bus.s(3), ev('network_down', 3), bus.now, referencePriority));
    bus.tick(1);
    bus.reach(3, 0);
    bus.reach(3, END);
    assert.ok(bus.s(3).lastDone, 'node 3 finished an event in epoch 2');
    bus.queue = [];
    // All three meet again in epoch 3, led by node 1, which still runs its old event.
    for (const n of [1, 2, 3]) bus.view(n, view(3, 1, [1, 2, 3]), [3]);
    bus.deliver();
    const abandoned = (n: NodeNo): boolean =>
      bus.notices.get(n)?.some((x) => x.type === 'abandoned' && x.event.key === 'node_up:1') ??
      false;
    assert.ok(abandoned(1), 'the leader abandoned its stale event');
    assert.ok(abandoned(2), 'and told node 2 to abandon its part');
    // What runs now is the new view's own event, planned from now on.
    for (const n of [1, 2, 3]) assert.equal(bus.s(n).running?.event.key, 'node_up:3:3.1.1');
  });

  it('tells only the members that finished an event with it that the event is over', () => {
    // Node 1 runs an event with 2 and 3, then is cut off and finishes it alone.
    const bus = new Bus([1, 2, 3]);
    for (const n of [1, 2, 3]) bus.view(n, view(1, 1, [1, 2, 3]));
    bus.deliver();
    bus.apply(1, onLocalEvent(bus.s(1), ev('node_up', 3), bus.now, referencePriority));
    bus.tick(1);
    bus.deliver();
    const id = bus.s(3).running?.id;
    assert.ok(id);
    bus.reach(3, 0);
    bus.deliver();
    bus.view(1, view(2, 1, [1]), [], [2, 3]);
    bus.reach(1, 0);
    bus.reach(1, END);
    assert.equal(bus.s(1).running, null, 'alone, node 1 finished the event');
    // Node 3, from the other side, repeats that it reached barrier 0 after the two meet again.
    bus.view(1, view(3, 1, [1, 3]), [3]);
    bus.queue = [];
    bus.apply(
      1,
      onAgreementMessage(
        bus.s(1),
        3,
        { type: 'reached', id, barrier: 0 },
        bus.now,
        referencePriority,
      ),
    );
    assert.deepEqual(
      bus.queue.filter((m) => m.msg.type === 'release'),
      [],
      'node 3 did not run the event to its end with node 1',
    );
  });

  it('repeats no release from an earlier view before every member synced the new one', () => {
    const bus = new Bus([1, 2, 3]);
    for (const n of [1, 2, 3]) bus.view(n, view(1, 1, [1, 2, 3]));
    bus.deliver();
    bus.apply(1, onLocalEvent(bus.s(1), ev('node_up', 2), bus.now, referencePriority));
    bus.tick(1);
    bus.deliver();
    bus.view(1, view(2, 1, [1]), [], [2, 3]);
    bus.reach(1, 0);
    assert.deepEqual(bus.s(1).running?.released, [0], 'alone, node 1 passes barrier 0');
    bus.queue = [];
    bus.view(1, view(3, 1, [1, 3]), [3]);
    bus.deaf.add(1); // node 3's sync does not arrive
    bus.tick(1000);
    const releases = bus.queue.filter((m) => m.msg.type === 'release');
    assert.deepEqual(releases, [], 'barrier 0 was passed without node 3, in another view');
  });
});
