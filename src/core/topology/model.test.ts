import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileModel, detectionTimeMs, TopologyModelError, type TopologyModel } from './model.js';

const base: TopologyModel = {
  localNode: 'a',
  networks: [
    { id: 'net2', kind: 'ip', intervalMs: 500, sensitivity: 4 },
    { id: 'net1', kind: 'ip', intervalMs: 250, sensitivity: 4 },
    { id: 'hb', kind: 'disk', intervalMs: 1000, sensitivity: 3 },
  ],
  nodes: [
    { id: 'c', interfaces: [{ id: 'c-eth0', network: 'net1' }] },
    {
      id: 'b',
      interfaces: [
        { id: 'b-eth2', network: 'net2' },
        { id: 'b-eth1', network: 'net1' },
        { id: 'b-disk', network: 'hb' },
        { id: 'b-eth0', network: 'net1' },
      ],
    },
    { id: 'a', interfaces: [{ id: 'a-eth0', network: 'net1' }] },
  ],
};

function expectError(model: TopologyModel, field: string): void {
  assert.throws(
    () => compileModel(model),
    (e: unknown) =>
      e instanceof TopologyModelError && e.field === field && e.code === 'TOPOLOGY_MODEL',
  );
}

describe('compileModel', () => {
  it('sorts peers, networks and interfaces and leaves the local node out', () => {
    const m = compileModel(base);
    assert.deepEqual(
      m.peers.map((p) => p.id),
      ['b', 'c'],
    );
    assert.deepEqual(
      m.interfaces.map((i) => i.id),
      ['b-disk', 'b-eth0', 'b-eth1', 'b-eth2', 'c-eth0'],
    );
    assert.deepEqual(
      m.pairs.map((p) => `${p.node}/${p.network}`),
      ['b/hb', 'b/net1', 'b/net2', 'c/net1'],
    );
    assert.deepEqual(m.peers[0], {
      id: 'b',
      firstInterface: 0,
      endInterface: 4,
      firstPair: 0,
      endPair: 3,
    });
    assert.deepEqual(m.pairs[1], {
      node: 'b',
      network: 'net1',
      kind: 'ip',
      firstInterface: 1,
      endInterface: 3,
    });
    assert.equal(m.interfaces[0]?.detectionMs, 3000);
    assert.ok(m.localInterfaces.has('a-eth0'));
    assert.equal(m.interfaceIndex.get('a-eth0'), undefined);
  });

  it('defaults the stall rule to the fastest network in use', () => {
    const m = compileModel(base);
    assert.equal(m.stallThresholdMs, 1000);
    assert.equal(m.stallToleranceMs, 250);
    const o = compileModel({ ...base, stallThresholdMs: 5000, stallToleranceMs: 0 });
    assert.equal(o.stallThresholdMs, 5000);
    assert.equal(o.stallToleranceMs, 0);
  });

  it('computes detection time as interval x sensitivity', () => {
    assert.equal(detectionTimeMs({ intervalMs: 250, sensitivity: 4 }), 1000);
  });

  it('names the field at fault', () => {
    expectError({ ...base, localNode: '' }, 'localNode');
    expectError(
      {
        ...base,
        networks: [...base.networks, { id: 'net1', kind: 'ip', intervalMs: 1, sensitivity: 1 }],
      },
      'networks[3].id',
    );
    expectError(
      { ...base, networks: [{ id: 'x', kind: 'serial' as 'ip', intervalMs: 1, sensitivity: 1 }] },
      'networks[0].kind',
    );
    expectError(
      { ...base, networks: [{ id: 'x', kind: 'ip', intervalMs: 0, sensitivity: 1 }] },
      'networks[0].intervalMs',
    );
    expectError(
      { ...base, networks: [{ id: 'x', kind: 'ip', intervalMs: 10, sensitivity: 1.5 }] },
      'networks[0].sensitivity',
    );
    expectError({ ...base, nodes: [...base.nodes, { id: 'b', interfaces: [] }] }, 'nodes[3].id');
    expectError({ ...base, nodes: [{ id: 'z', interfaces: [] }] }, 'nodes[0].interfaces');
    expectError(
      {
        ...base,
        nodes: [...base.nodes, { id: 'd', interfaces: [{ id: 'c-eth0', network: 'net1' }] }],
      },
      'nodes[3].interfaces[0].id',
    );
    expectError(
      { ...base, nodes: [{ id: 'd', interfaces: [{ id: 'd0', network: 'nope' }] }] },
      'nodes[0].interfaces[0].network',
    );
    expectError({ ...base, stallThresholdMs: -1 }, 'stallThresholdMs');
  });

  it('accepts a cluster with no peers', () => {
    const m = compileModel({ localNode: 'a', networks: [], nodes: [{ id: 'a', interfaces: [] }] });
    assert.equal(m.interfaces.length, 0);
    assert.equal(m.stallThresholdMs, Infinity);
  });
});
