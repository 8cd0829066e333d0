// Resource groups through group services: the operator's moves as cluster events, the plan and
// its reasons replicated to every node, acquisitions and releases that fail, and the resource
// state a joining node learns. A small lossless cluster in virtual time; every step is checked
// for a group held by two nodes (cluster.test-helper.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster as Cluster, THREE_NODES } from './cluster.test-helper.js';
import { cmState, groupStates, parseStops, type GroupConfig, type GroupStatus } from './node.js';
import { operatorChange, NO_RESOURCES } from './resources.js';

const base: GroupConfig = THREE_NODES;

function statusOf(c: Cluster, n: number, group: string): GroupStatus {
  const g = groupStates(c.state(n)).find((x) => x.group === group);
  assert.ok(g, `node ${n} shows no ${group}`);
  return g;
}

describe('resource groups through group services', () => {
  it('acquires through resources effects, in one request per node, and shows each group online with its reason', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.deepEqual(c.holder('rg_b'), [3]);
    assert.ok(c.resourceOps.get(1)?.includes('acquire rg_a'), String(c.resourceOps.get(1)));
    for (const n of [1, 2, 3]) {
      const a = statusOf(c, n, 'rg_a');
      assert.deepEqual(a.placedOn, [1]);
      assert.deepEqual(a.states, { 1: 'online', 2: 'offline', 3: 'offline' });
      assert.match(a.reason, /first available node/);
    }
  });

  it('moves a group to the node the operator names, records the priority override, and keeps it there', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    c.operator(3, { type: 'rg-move', group: 'rg_a', to: 2 });
    c.run(6000);
    assert.deepEqual(c.holder('rg_a'), [2]);
    assert.deepEqual(c.resourceOps.get(1)?.slice(-1), ['release rg_a']);
    for (const n of [1, 2, 3]) {
      const a = statusOf(c, n, 'rg_a');
      assert.equal(a.override, 2, `node ${n}`);
      assert.match(a.reason, /moved there by the operator/);
    }
    // Another placement event (node 3 leaves and comes back) leaves the override in force.
    c.isolate(3);
    c.run(9000);
    assert.deepEqual(c.holder('rg_a'), [2]);
  });

  it('takes a group offline and brings it back online on the operator’s word', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    c.operator(2, { type: 'rg-offline', group: 'rg_b' });
    c.run(6000);
    assert.deepEqual(c.holder('rg_b'), []);
    assert.equal(statusOf(c, 1, 'rg_b').override, 'offline');
    assert.deepEqual(statusOf(c, 1, 'rg_b').states, { 1: 'offline', 2: 'offline', 3: 'offline' });
    c.operator(1, { type: 'rg-online', group: 'rg_b' });
    c.run(9000);
    assert.deepEqual(c.holder('rg_b'), [3]);
    assert.equal(statusOf(c, 2, 'rg_b').override, null);
  });

  it('refuses a request for an unknown group or a node outside the group’s list, and changes nothing', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    const before = c.state(1).resources;
    c.operator(1, { type: 'rg-move', group: 'rg_nope', to: 2 });
    c.operator(1, { type: 'rg-move', group: 'rg_a', to: 9 });
    c.run(4000);
    assert.ok(c.logged(1, 'no resource group rg_nope'));
    assert.ok(c.logged(1, 'node 9 is not in the node list of rg_a'));
    assert.equal(c.state(1).resources, before);
  });

  it('moves a group that fails to come online to the next node, shows the error, and clears it when the operator brings it online', () => {
    const c = new Cluster([1, 2, 3], base);
    // rg_a cannot start on node 1.
    c.resourceOutcome = (n, r) =>
      n === 1 && r.op === 'acquire' && r.groups.includes('rg_a')
        ? { rg_a: 'app1: start failed: exited 1' }
        : undefined;
    c.run(4000);
    assert.deepEqual(c.holder('rg_a'), [2]);
    const a = statusOf(c, 3, 'rg_a');
    assert.equal(a.states[1], 'error');
    assert.deepEqual(a.placedOn, [2]);
    assert.ok(c.logged(1, 'group failed to come online here'));
    // Fixed: bringing it online again lets the policy place it on node 1.
    c.resourceOutcome = () => undefined;
    c.operator(2, { type: 'rg-online', group: 'rg_a' });
    c.run(8000);
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.equal(statusOf(c, 3, 'rg_a').states[1], 'online');
  });

  it('holds the cluster when a release fails (the group may still run), and goes on when the operator resumes', () => {
    const c = new Cluster([1, 2, 3], base);
    c.run(3000);
    c.resourceOutcome = (n, r) =>
      n === 1 && r.op === 'release' ? { rg_a: 'fs1: umount: target is busy' } : undefined;
    c.operator(1, { type: 'rg-move', group: 'rg_a', to: 3 });
    c.run(6000);
    // Nobody took it over: node 1 is in error, the event waits at barrier 0.
    assert.deepEqual(c.holder('rg_a'), [1]);
    assert.equal(cmState(c.state(1)), 'error');
    assert.match(c.state(1).part?.error?.message ?? '', /release failed: rg_a: fs1: umount/);
    assert.equal(statusOf(c, 2, 'rg_a').states[1], 'error');
    c.resourceOutcome = () => undefined;
    c.operator(2, { type: 'resume' });
    c.run(9000);
    assert.deepEqual(c.holder('rg_a'), [3]);
    for (const n of [1, 2, 3]) assert.equal(cmState(c.state(n)), 'stable');
  });

  it('a node that joins later learns the plan, the reasons and the overrides from the leader', () => {
    const c = new Cluster([1, 2, 3], base);
    c.isolate(3);
    c.run(3000);
    c.operator(1, { type: 'rg-move', group: 'rg_a', to: 2 });
    c.run(6000);
    for (const m of [1, 2]) {
      c.links.add(`3>${m}`);
      c.links.add(`${m}>3`);
    }
    c.liveness();
    c.run(10_000);
    assert.equal(statusOf(c, 3, 'rg_a').override, 2);
    assert.deepEqual(c.holder('rg_a'), [2]);
    // rg_b comes home to node 3 (first of its list): fallback by the stand-in planner.
    assert.deepEqual(c.holder('rg_b'), [3]);
  });

  it('rejects resource state from the network that is malformed', () => {
    const good = { records: [], ups: [], resources: NO_RESOURCES };
    assert.ok(parseStops(good));
    for (const resources of [
      { ...NO_RESOURCES, placement: { rg: ['x'] } },
      { ...NO_RESOURCES, overrides: { rg: 'elsewhere' } },
      { ...NO_RESOURCES, reasons: { rg: 7 } },
      { ...NO_RESOURCES, failed: [] },
      { ...NO_RESOURCES, since: { epoch: 1, seq: 1 } },
      'hello',
    ])
      assert.equal(parseStops({ ...good, resources }), null, JSON.stringify(resources));
  });

  it('ignores an operator event about a group name that is not a name', () => {
    const e = {
      key: 'k',
      name: 'rg_offline',
      node: 1,
      details: { group: '__proto__' },
    };
    const out = operatorChange(e, NO_RESOURCES);
    assert.deepEqual(out, { overrides: {}, failed: {} });
    assert.equal(Object.getPrototypeOf(out.overrides), Object.prototype);
  });
});
