import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeNo } from '../cluster/node.js';
import { END } from './agreement.js';
import { TestCluster } from './cluster.test-helper.js';
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

/** Barrier releases seen by each node ("epoch.leader.seq/barrier", in order), checked as sent. */
class Cluster extends TestCluster {
  readonly released = new Map<NodeNo, string[]>();

  constructor(nodes: NodeNo[]) {
    super(nodes, config);
    this.onDeliver = (to, input) => {
      if (input.type !== 'message' || input.msg.layer !== 'agreement') return;
      const m = input.msg.msg;
      if (m.type !== 'release') return;
      const list = this.released.get(to) ?? [];
      list.push(`${m.id.epoch.n}.${m.id.epoch.leader}.${m.id.seq}/${m.barrier}`);
      this.released.set(to, list);
      this.checkBarrier(input.from, m.id.seq, m.barrier);
    };
  }

  /** When the leader releases a barrier, every participant still in its view has reached it. */
  private checkBarrier(leader: NodeNo, seq: number, barrier: number): void {
    const view = this.state(leader).agreement.view!;
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
    return this.state(n).log.map((id) => `${id.epoch.n}.${id.epoch.leader}.${id.seq}`);
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

describe('group node log', () => {
  it('keeps only the newest logLimit finished events, the same ones as an unbounded log ends with', () => {
    const run = (logLimit?: number): string[][] => {
      const c = new TestCluster(
        [1, 2, 3],
        logLimit === undefined ? config : { ...config, logLimit },
      );
      c.run(3000);
      c.isolate(3);
      c.run(6000);
      return [1, 2].map((n) =>
        c.state(n).log.map((id) => `${id.epoch.n}.${id.epoch.leader}.${id.seq}`),
      );
    };
    const all = run();
    const kept = run(2);
    assert.ok(all[0]!.length > 2, `events done: ${all[0]!.join(', ')}`);
    for (const [i, log] of kept.entries()) assert.deepEqual(log, all[i]!.slice(-2));
  });
});
