// The cluster manager on group nodes: real recovery programs through the executor, errors and
// the operator's resume, config_too_long, the three stops and the no-quorum action. A small
// lossless cluster in virtual time; every step is checked for a group held by two nodes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster as Cluster, THREE_NODES } from './cluster.test-helper.js';
import { cmState, cmStatus, parseStops, type GroupConfig } from './node.js';
import { votesOf } from './quorum.js';

const base: GroupConfig = THREE_NODES;

describe('cluster manager', () => {
  it('runs the built-in recovery programs through the script runner, with the event environment', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    const upRuns = (c.runs.get(2) ?? []).filter((r) => r.env['EVENT_NAME'] === 'node_up');
    assert.ok(upRuns.length > 0, `node 2 ran ${c.commands(2).join(', ')}`);
    assert.ok(
      upRuns.some((r) => r.command === 'haven-event node_up_complete'),
      'the _complete script of node_up ran',
    );
    for (const r of upRuns) {
      assert.equal(r.env['LOCAL_NODE_ID'], '2');
      assert.ok(r.env['EVENT_ID'] !== undefined && r.env['EVENT_ID'] !== '');
    }
    // Placement by list: rg_a on 1, rg_b on 3; every node stable.
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.deepEqual(c.holder('rg_b'), [3]);
    for (const n of [1, 2, 3]) assert.equal(cmState(c.state(n)), 'stable');
    assert.equal(cmStatus(c.state(1))['state'], 'stable');
  });

  it('puts an event into error when a command fails, holds the cluster at the barrier, and resumes on the operator command', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    // Node 3 (holding rg_b) is cut off; node 2's node_down script fails.
    c.outcome = (n, r) =>
      n === 2 && r.command === 'haven-event node_down' ? { exitCode: 1 } : undefined;
    c.isolate(3);
    c.run(6000);
    assert.equal(cmState(c.state(2)), 'error');
    assert.ok(c.logged(1, 'event in error'), 'node 1 learnt of the error');
    assert.deepEqual(c.state(1).errors.get(2)?.event, 'node_down');
    assert.ok(c.commands(2).includes('haven-event event_error'), 'event_error ran on node 2');
    assert.ok(c.commands(1).includes('haven-event event_error'), 'event_error ran on node 1');
    // Nobody took rg_b over: the event waits at its first barrier for node 2.
    assert.deepEqual(c.holder('rg_b'), []);
    assert.equal(cmState(c.state(1)), 'barrier');
    const error = c.state(2).part?.error;
    assert.ok(error?.message.includes('exited 1, expected 0'), error?.message);
    // The operator resumes from node 1: node 2 goes on, rg_b goes to node 2 (its list: 3, 2, 1).
    c.operator(1, { type: 'resume' });
    c.run(9000);
    assert.deepEqual(c.holder('rg_b'), [2]);
    for (const n of [1, 2]) {
      assert.equal(cmState(c.state(n)), 'stable');
      assert.equal(c.state(n).errors.size, 0);
    }
  });

  it('raises config_too_long while an event runs past its time limit, and runs its program', () => {
    const c = new Cluster([1, 2, 3], { ...base, eventTimeLimitMs: 200 });
    c.outcome = (_n, r) =>
      r.command === 'haven-event node_up' ? { exitCode: 0, ms: 1000 } : undefined;
    c.run(10_000);
    assert.ok(c.logged(2, 'config_too_long'));
    assert.ok(c.commands(2).includes('haven-event config_too_long'));
    // A warning, not a kill: the events still finished.
    assert.equal(cmState(c.state(2)), 'stable');
  });

  it('graceful stop: the node releases its groups and leaves, nobody takes them over, and its return brings them back', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    assert.deepEqual(c.holder('rg_a'), [1]);
    c.operator(1, { type: 'stop', mode: 'graceful' });
    c.run(8000);
    assert.ok(c.exited.has(1));
    assert.ok(c.commands(1).includes('haven-event node_down graceful'));
    assert.deepEqual(c.holder('rg_a'), [], 'rg_a stays offline');
    assert.deepEqual(c.holder('rg_b'), [3]);
    assert.equal(c.state(2).stops.get(1)?.mode, 'graceful');
    c.boot(1);
    c.run(14000);
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.equal(c.state(2).stops.size, 0);
  });

  it('stop with takeover: the others take the node’s groups over before it leaves', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    c.operator(1, { type: 'stop', mode: 'takeover' });
    c.run(8000);
    assert.ok(c.exited.has(1));
    assert.deepEqual(c.holder('rg_a'), [2]);
    assert.ok(c.commands(2).includes('haven-event node_down takeover'));
  });

  it('forced stop: the groups keep running on the node, unmanaged, and nobody takes them over', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    c.operator(1, { type: 'stop', mode: 'forced' });
    c.run(8000);
    assert.ok(c.exited.has(1));
    assert.deepEqual(c.holder('rg_a'), [1], 'still running on node 1');
    assert.equal(c.state(3).stops.get(1)?.mode, 'forced');
    assert.deepEqual(c.state(3).stops.get(1)?.groups, ['rg_a']);
  });

  it('a node that restarts after a forced stop learns it with the next decision, and takes nothing over', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    c.operator(1, { type: 'stop', mode: 'forced' });
    c.run(8000);
    // Node 2 restarts with an empty state: rg_a's list puts it first among the members now,
    // but rg_a still runs on node 1 (the harness fails on a second holder).
    c.boot(2);
    c.run(16_000);
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.equal(c.state(2).stops.get(1)?.mode, 'forced');
    assert.equal(cmState(c.state(2)), 'stable');
  });

  it('rejects malformed stop records from the network', () => {
    const since = { epoch: { n: 3, leader: 1, inc: 1 }, seq: 2 };
    const good = { records: [{ node: 1, mode: 'forced', groups: ['rg_a'], since }], ups: [] };
    assert.deepEqual(parseStops(good), good);
    for (const bad of [
      null,
      'x',
      { records: [] },
      { records: [{ ...good.records[0], mode: 'sideways' }], ups: [] },
      { records: [{ ...good.records[0], groups: [1] }], ups: [] },
      { records: [{ ...good.records[0], since: { epoch: {}, seq: 1 } }], ups: [] },
      { records: [], ups: [[1]] },
    ])
      assert.equal(parseStops(bad), null, JSON.stringify(bad));
  });

  it('on quorum loss releases the exclusive groups, or with freeze keeps them', () => {
    for (const action of ['release', 'freeze'] as const) {
      const c = new Cluster([1, 2, 3], {
        ...base,
        noQuorumAction: action,
        takeoverDelayMs: 2_500,
      });
      c.run(5000);
      assert.deepEqual(c.holder('rg_b'), [3]);
      c.isolate(3);
      // Before the survivors' takeover delay ends (with freeze, they would take rg_b over then:
      // freeze leaves the isolated node to the dead man switch).
      c.run(6500);
      assert.deepEqual(c.holder('rg_b'), action === 'freeze' ? [3] : [], action);
      assert.ok(
        c.logged(3, action === 'freeze' ? 'frozen' : 'no quorum: exclusive groups released'),
      );
    }
  });

  it('at exactly half of the votes, the half whose leader holds the tie-breaker keeps quorum', () => {
    const two: GroupConfig = {
      ...base,
      votes: votesOf(
        [1, 2].map((id) => ({ id, votes: 1 })),
        true,
      ),
      groups: [
        { name: 'rg_a', nodes: [1, 2] },
        { name: 'rg_b', nodes: [2, 1] },
      ],
      tieBreaker: { leaseMs: 2000 },
    };
    const c = new Cluster([1, 2], two);
    c.run(4000);
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.deepEqual(c.holder('rg_b'), [2]);
    c.isolate(2);
    c.run(12_000);
    // Node 1 asked first and keeps renewing; node 2 is denied and holds nothing.
    assert.equal(c.tieHolder?.node, 1);
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.deepEqual(c.holder('rg_b'), [1]);
    assert.ok(c.logged(2, 'tie-breaker denied'));
    assert.equal(c.state(1).quorum, 'tie');
  });

  it('at exactly half of the votes without a tie-breaker, neither half has quorum', () => {
    const two: GroupConfig = {
      ...base,
      votes: votesOf(
        [1, 2].map((id) => ({ id, votes: 1 })),
        false,
      ),
      groups: [{ name: 'rg_a', nodes: [1, 2] }],
    };
    const c = new Cluster([1, 2], two);
    c.run(4000);
    assert.deepEqual(c.holder('rg_a'), [1]);
    c.isolate(2);
    c.run(12_000);
    assert.deepEqual(c.holder('rg_a'), []);
    assert.equal(c.state(1).quorum, 'minority');
  });
});
