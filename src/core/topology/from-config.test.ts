import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterDefinition } from '../config/load.js';
import { baseYaml } from '../config/fixtures.test-helper.js';
import { topologyModelFromConfig } from './from-config.js';
import { createDetector, onTick } from './detector.js';

describe('topologyModelFromConfig', () => {
  const config = parseClusterDefinition(baseYaml(), 'c.yaml', { verify: false }).config!;

  it('maps networks, nodes and interfaces by name', () => {
    const m = topologyModelFromConfig(config, 'node1');
    assert.deepEqual(
      m.networks.map((n) => [n.id, n.kind, n.intervalMs, n.sensitivity]),
      [
        ['net_a', 'ip', 200, 4],
        ['net_b', 'ip', 200, 4],
        ['disk1', 'disk', 200, 4],
      ],
    );
    assert.deepEqual(
      m.nodes[1]!.interfaces.map((i) => i.id),
      ['node2-eth0', 'node2-eth1', 'node2-disk1'],
    );
  });

  it('gives a model the detector accepts, with a silent peer down after detection time', () => {
    const m = topologyModelFromConfig(config, 'node1');
    const s = createDetector(m, 0);
    const early = onTick(s, 799);
    assert.ok(!early.events.some((e) => e.type === 'node_down'));
    const late = onTick(early.state, 800);
    assert.ok(late.events.some((e) => e.type === 'node_down' && e.node === 'node2'));
  });
});
