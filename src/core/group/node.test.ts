import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeEffect, NodeInput, NodeNo } from '../cluster/node.js';
import { END } from './agreement.js';
import {
  createGroupNode,
  groupNodeMachine,
  type GroupMessage,
  type GroupNodeState,
} from './node.js';
import { votesOf } from './quorum.js';

const config = {
  votes: votesOf(
    [1, 2, 3].map((id) => ({ id, votes: 1 })),
    false,
  ),
  settleMs: 50,
  membership: { gossipMs: 100, attemptTimeoutMs: 300 },
  commandTimeoutMs: 1000,
};

/** Group nodes on a lossless 1 ms network; commands take 7 ms; time advances 1 ms at a time. */
class Cluster {
  now = 0;
  readonly states = new Map<NodeNo, GroupNodeState>();
  readonly links = new Set<string>();
  /** Barrier releases seen by each node: [event id, barrier], in order. */
  readonly released = new Map<NodeNo, string[]>();
  private pending: { at: number; to: NodeNo; input: NodeInput<GroupMessage> }[] = [];
  private readonly wakes = new Map<NodeNo, number | null>();

  constructor(readonly nodes: NodeNo[]) {
    for (const a of nodes) for (const b of nodes) if (a !== b) this.links.add(`${a}>${b}`);
    for (const n of nodes) {
      this.states.set(n, createGroupNode(n, 1, config, 0));
      this.input(n, { type: 'start' });
    }
    this.liveness();
  }

  liveness(): void {
    for (const n of this.states.keys()) {
      const up = this.nodes.filter(
        (m) => m !== n && this.states.has(m) && this.links.has(`${m}>${n}`),
      );
      this.input(n, { type: 'liveness', up });
    }
  }

  isolate(n: NodeNo): void {
    for (const m of this.nodes) {
      this.links.delete(`${n}>${m}`);
      this.links.delete(`${m}>${n}`);
    }
    this.liveness();
  }

  input(n: NodeNo, input: NodeInput<GroupMessage>): void {
    const s = this.states.get(n);
    if (!s) return;
    const r = groupNodeMachine.step(s, input, this.now);
    this.states.set(n, r.state);
    for (const e of r.effects) this.effect(n, e);
  }

  private effect(n: NodeNo, e: NodeEffect<GroupMessage>): void {
    switch (e.type) {
      case 'send':
        if (this.links.has(`${n}>${e.to}`)) {
          this.pending.push({
            at: this.now + 1,
            to: e.to,
            input: { type: 'message', from: n, msg: e.msg },
          });
        }
        break;
      case 'wake-at':
        this.wakes.set(n, e.atMs);
        break;
      case 'run':
        this.pending.push({
          at: this.now + 7,
          to: n,
          input: { type: 'run-result', runId: e.runId, exitCode: 0, timedOut: false, output: '' },
        });
        break;
      default:
        break;
    }
  }

  run(untilMs: number): void {
    while (this.now < untilMs) {
      this.now++;
      const due = this.pending.filter((p) => p.at <= this.now);
      this.pending = this.pending.filter((p) => p.at > this.now);
      for (const p of due) {
        if (
          p.input.type === 'message' &&
          p.input.msg.layer === 'agreement' &&
          p.input.msg.msg.type === 'release'
        ) {
          const m = p.input.msg.msg;
          const list = this.released.get(p.to) ?? [];
          list.push(`${m.id.epoch.n}.${m.id.epoch.leader}.${m.id.seq}/${m.barrier}`);
          this.released.set(p.to, list);
          this.checkBarrier(p.input.from, m.id.seq, m.barrier);
        }
        this.input(p.to, p.input);
      }
      for (const [n, at] of this.wakes)
        if (at !== null && at <= this.now) this.input(n, { type: 'wake' });
    }
  }

  /** When the leader releases a barrier, every participant still in its view has reached it. */
  private checkBarrier(leader: NodeNo, seq: number, barrier: number): void {
    const l = this.states.get(leader)!;
    const view = l.agreement.view!;
    for (const m of view.members) {
      const r = this.states.get(m)?.agreement.running;
      const done = this.states.get(m)?.agreement.lastDone;
      if (r && r.id.seq === seq)
        assert.ok(
          r.reached.includes(barrier),
          `node ${m} released at ${barrier} before reaching it`,
        );
      else assert.ok(done && done.seq >= seq, `node ${m} released without running event ${seq}`);
    }
  }

  logOf(n: NodeNo): string[] {
    return this.states.get(n)!.log.map((id) => `${id.epoch.n}.${id.epoch.leader}.${id.seq}`);
  }
}

describe('group node', () => {
  it('agrees on node_up events and runs them through their barriers in the same order everywhere', () => {
    const c = new Cluster([1, 2, 3]);
    c.run(3000);
    const log = c.logOf(1);
    assert.ok(log.length >= 2, `events done: ${log.join(', ')}`);
    assert.deepEqual(c.logOf(2), log);
    assert.deepEqual(c.logOf(3), log);
    for (const n of [1, 2, 3]) {
      const s = c.states.get(n)!;
      assert.equal(s.quorum, 'majority');
      assert.equal(s.agreement.running, null);
    }
    // node_up has 2 barriers and the cbarrier: members 2 and 3 saw them released in order.
    const first = c.released.get(2)!.filter((r) => r.startsWith(log[0]!));
    assert.deepEqual(
      first.map((r) => Number(r.split('/')[1])),
      [0, 1, END],
    );
  });

  it('processes a node_down for an isolated node on the survivors, and gives the isolated node no quorum', () => {
    const c = new Cluster([1, 2, 3]);
    c.run(3000);
    const before = c.logOf(1).length;
    c.isolate(3);
    c.run(6000);
    assert.ok(c.logOf(1).length > before);
    assert.deepEqual(c.logOf(2), c.logOf(1));
    assert.equal(c.states.get(1)!.quorum, 'majority');
    assert.equal(c.states.get(3)!.quorum, 'minority');
  });
});
