import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NodeNo } from '../cluster/node.js';
import {
  createMembership,
  membershipWakeAt,
  onLiveness,
  onMembershipMessage,
  onMembershipTimer,
  type MembershipMessage,
  type MembershipOutput,
  type MembershipState,
  type View,
} from './membership.js';

/** Nodes on a network whose links the test sets; messages take 1 ms; time advances in steps. */
class Net {
  now = 0;
  readonly states = new Map<NodeNo, MembershipState>();
  readonly commits: {
    node: NodeNo;
    view: View;
    joined: readonly NodeNo[];
    left: readonly NodeNo[];
  }[] = [];
  /** Directed links: a -> b means b hears a. */
  readonly links = new Set<string>();
  private queue: { at: number; from: NodeNo; to: NodeNo; msg: MembershipMessage }[] = [];

  constructor(readonly nodes: NodeNo[]) {
    for (const n of nodes) this.states.set(n, createMembership(n, 1, 0));
    this.connectAll();
  }

  connectAll(): void {
    for (const a of this.nodes)
      for (const b of this.nodes) if (a !== b) this.links.add(`${a}>${b}`);
    this.refresh();
  }
  cut(a: NodeNo, b: NodeNo): void {
    this.links.delete(`${a}>${b}`);
  }
  isolate(n: NodeNo): void {
    for (const m of this.nodes) {
      this.cut(n, m);
      this.cut(m, n);
    }
    this.refresh();
  }
  down(n: NodeNo): void {
    this.isolate(n);
    this.states.delete(n);
  }

  /** Liveness inputs: who each running node hears. */
  refresh(): void {
    for (const [n, s] of this.states) {
      const up = this.nodes.filter(
        (m) => m !== n && this.states.has(m) && this.links.has(`${m}>${n}`),
      );
      this.apply(n, onLiveness(s, up, this.now));
    }
  }

  private apply(n: NodeNo, out: MembershipOutput): void {
    this.states.set(n, out.state);
    if (out.committed) this.commits.push({ node: n, ...out.committed });
    for (const s of out.sends) this.queue.push({ at: this.now + 1, from: n, to: s.to, msg: s.msg });
  }

  run(untilMs: number): void {
    while (this.now < untilMs) {
      this.now++;
      const due = this.queue.filter((m) => m.at <= this.now);
      this.queue = this.queue.filter((m) => m.at > this.now);
      for (const m of due) {
        const s = this.states.get(m.to);
        if (s && this.links.has(`${m.from}>${m.to}`))
          this.apply(m.to, onMembershipMessage(s, m.from, m.msg, this.now));
      }
      for (const [n, s] of this.states)
        if (membershipWakeAt(s) <= this.now) this.apply(n, onMembershipTimer(s, this.now));
    }
  }

  viewOf(n: NodeNo): readonly NodeNo[] | undefined {
    return this.states.get(n)?.view?.members;
  }
}

describe('membership', () => {
  it('forms one view of a connected cluster, led by its lowest node', () => {
    const net = new Net([1, 2, 3]);
    net.run(2000);
    for (const n of [1, 2, 3]) assert.deepEqual(net.viewOf(n), [1, 2, 3]);
    const epochs = new Set([1, 2, 3].map((n) => JSON.stringify(net.states.get(n)?.view?.epoch)));
    assert.equal(epochs.size, 1);
    assert.equal(net.states.get(2)?.view?.epoch.leader, 1);
  });

  it('leaves an isolated node out, and reports it left', () => {
    const net = new Net([1, 2, 3]);
    net.run(2000);
    net.isolate(3);
    net.run(4000);
    assert.deepEqual(net.viewOf(1), [1, 2]);
    assert.deepEqual(net.viewOf(2), [1, 2]);
    assert.deepEqual(net.viewOf(3), [3]);
    const last = net.commits.filter((c) => c.node === 1).at(-1);
    assert.deepEqual(last?.left, [3]);
  });

  it('lets the next node lead with a higher epoch when the leader dies, and rejoins it later', () => {
    const net = new Net([1, 2, 3]);
    net.run(2000);
    const before = net.states.get(2)!.view!.epoch;
    net.down(1);
    net.run(4000);
    const after = net.states.get(2)!.view!;
    assert.deepEqual(after.members, [2, 3]);
    assert.equal(after.epoch.leader, 2);
    assert.ok(after.epoch.n > before.n);
    net.states.set(1, createMembership(1, 2, net.now));
    net.connectAll();
    net.run(7000);
    for (const n of [1, 2, 3]) assert.deepEqual(net.viewOf(n), [1, 2, 3]);
    assert.deepEqual(net.commits.filter((c) => c.node === 1).at(-1)?.joined, [1]);
  });

  it('takes a member that restarted faster than it was missed as a new member, which joins', () => {
    const net = new Net([1, 2, 3]);
    net.run(2000);
    const before = net.states.get(1)!.view!;
    // Node 3 restarts at once: the others never stop hearing it.
    net.states.set(3, createMembership(3, 2, net.now));
    net.refresh();
    net.run(5000);
    const after = net.states.get(3)!.view!;
    assert.deepEqual(after.members, [1, 2, 3]);
    assert.ok(after.epoch.n > before.epoch.n, 'a new view, not the old one adopted again');
    assert.deepEqual(after.incarnations, [1, 1, 2]);
    assert.deepEqual(net.commits.filter((c) => c.node === 1).at(-1)?.joined, [3]);
  });

  it('settles a one-way link by keeping its ends apart', () => {
    const net = new Net([1, 2, 3]);
    net.cut(1, 2); // 2 no longer hears 1
    net.refresh();
    net.run(3000);
    assert.deepEqual(net.viewOf(1), [1, 3]);
    assert.deepEqual(net.viewOf(3), [1, 3]);
    assert.deepEqual(net.viewOf(2), [2]);
  });

  it('never lets two nodes commit different members for one epoch, whatever the links do', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.tuple(fc.nat(5), fc.nat(5), fc.boolean(), fc.integer({ min: 1, max: 400 })), {
          maxLength: 12,
        }),
        (n, changes) => {
          const nodes = Array.from({ length: n }, (_, i) => i + 1);
          const net = new Net(nodes);
          for (const [a, b, on, wait] of changes) {
            const x = (a % n) + 1;
            const y = (b % n) + 1;
            if (x !== y) {
              if (on) net.links.add(`${x}>${y}`);
              else net.cut(x, y);
              net.refresh();
            }
            net.run(net.now + wait);
          }
          const byEpoch = new Map<string, string>();
          for (const c of net.commits) {
            const k = JSON.stringify(c.view.epoch);
            const m = JSON.stringify(c.view.members);
            assert.equal(byEpoch.get(k) ?? m, m, `epoch ${k} committed with two member lists`);
            byEpoch.set(k, m);
            assert.equal(c.view.epoch.leader, c.view.members[0]);
            assert.ok(c.view.members.includes(c.node));
          }
          // Once the links are whole again, everyone converges to one view.
          net.connectAll();
          net.run(net.now + 3000);
          for (const x of nodes) assert.deepEqual(net.viewOf(x), nodes);
        },
      ),
      { numRuns: 150 },
    );
  });
});
