// A test per dependency kind: parent/child, start-after, stop-after, same node, different
// nodes (with its priorities).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { place } from './place.js';
import { configOf, reasonOf, targetOf, TestCluster } from './placement.test-helper.js';

const ABC = ['A', 'B', 'C'];

describe('parent/child', () => {
  const config = configOf({
    nodes: ABC,
    groups: [
      { name: 'db', nodes: ['A', 'B'], policy: 'cascading' },
      { name: 'web', nodes: ['C', 'B'], policy: 'cascading' },
    ],
    dependencies: [{ type: 'parent-child', parent: 'db', child: 'web' }],
  });

  it('the child stays offline while its parent cannot be online, and starts with it', () => {
    // A is down: db (home node only) stays offline, and so does web.
    const c = new TestCluster(config, ['B', 'C']);
    let p = c.event({ type: 'startup' });
    assert.equal(reasonOf(p, 'web'), 'web stays offline: parent db offline');
    // No node_up is needed for the child: it starts because its parent does.
    p = c.event({ type: 'rg_online', groups: ['db'], to: 'B' });
    assert.deepEqual([targetOf(p, 'db'), targetOf(p, 'web')], [['B'], ['C']]);
    assert.deepEqual(p.acquire, [
      { group: 'db', node: 'B' },
      { group: 'web', node: 'C' },
    ]);
  });

  it('when the parent moves, the child restarts: released first, acquired last', () => {
    const c = new TestCluster(config, ABC);
    c.event({ type: 'startup' });
    const p = c.event({ type: 'node_down', node: 'A' });
    assert.equal(reasonOf(p, 'web'), 'web stays on C: its home node; restarts: parent db moves');
    assert.deepEqual(p.release, [
      { group: 'web', node: 'C' },
      { group: 'db', node: 'A' },
    ]);
    assert.deepEqual(p.acquire, [
      { group: 'db', node: 'B' },
      { group: 'web', node: 'C' },
    ]);
  });

  it('taking the parent offline takes the child offline, child first', () => {
    const c = new TestCluster(config, ABC);
    c.event({ type: 'startup' });
    const p = c.event({ type: 'rg_offline', groups: ['db'] });
    assert.equal(reasonOf(p, 'web'), 'web -> offline: parent db offline');
    assert.deepEqual(p.release, [
      { group: 'web', node: 'C' },
      { group: 'db', node: 'A' },
    ]);
  });
});

describe('start-after and stop-after', () => {
  it('order acquisitions and releases without placing anything', () => {
    const config = configOf({
      nodes: ABC,
      groups: ['a', 'b', 'c'].map((name) => ({ name, nodes: ['A', 'B'], policy: 'cascading' })),
      dependencies: [
        // Without them, name order: a, b, c.
        { type: 'start-after', group: 'a', after: 'c' },
        { type: 'stop-after', group: 'b', after: 'c' },
      ],
    });
    const c = new TestCluster(config, ABC);
    let p = c.event({ type: 'startup' });
    assert.deepEqual(
      p.acquire.map((s) => s.group),
      ['b', 'c', 'a'],
    );
    p = c.event({ type: 'node_down', node: 'A' });
    assert.deepEqual(
      p.release.map((s) => s.group),
      ['a', 'c', 'b'],
    );
    assert.deepEqual(
      p.acquire.map((s) => s.group),
      ['b', 'c', 'a'],
    );
  });
});

describe('same node', () => {
  const config = configOf({
    nodes: ABC,
    groups: [
      { name: 'ip', nodes: ['A', 'B', 'C'], policy: 'cascading' },
      { name: 'app', nodes: ['B', 'A', 'C'], policy: 'rotating' },
    ],
    dependencies: [{ type: 'same-node', groups: ['app', 'ip'] }],
  });

  it('the groups are placed together, by the policies of the first by name', () => {
    const c = new TestCluster(config, ABC);
    let p = c.event({ type: 'startup' });
    // app leads (first by name): distribution on its list, B first.
    assert.deepEqual([targetOf(p, 'app'), targetOf(p, 'ip')], [['B'], ['B']]);
    assert.equal(
      reasonOf(p, 'ip'),
      'ip -> B: B has no other group online (distribution) (same node as app)',
    );
    p = c.event({ type: 'node_down', node: 'B' });
    assert.deepEqual([targetOf(p, 'app'), targetOf(p, 'ip')], [['A'], ['A']]);
  });

  it('an error of one group moves them all; an operator move of one moves them all', () => {
    let p = place({
      config,
      eligible: ABC,
      current: { online: { app: ['B'], ip: ['B'] }, errors: { ip: ['B'] } },
      trigger: { type: 'reevaluate' },
    });
    assert.deepEqual([targetOf(p, 'app'), targetOf(p, 'ip')], [['A'], ['A']]);
    assert.equal(reasonOf(p, 'app'), 'app -> A: ip in error on B; A next in priority');
    p = place({
      config,
      eligible: ABC,
      current: { online: { app: ['B'], ip: ['B'] } },
      trigger: { type: 'rg_move', groups: ['ip'], to: 'C' },
    });
    assert.deepEqual([targetOf(p, 'app'), targetOf(p, 'ip')], [['C'], ['C']]);
    assert.deepEqual(p.overrides, {
      app: { type: 'node', node: 'C' },
      ip: { type: 'node', node: 'C' },
    });
  });
});

describe('different nodes', () => {
  const config = configOf({
    nodes: ABC,
    groups: [
      { name: 'hi', nodes: ['A', 'B'], policy: 'cascading' },
      { name: 'mid', nodes: ['B', 'C'], policy: 'cascading' },
      { name: 'lo', nodes: ['C', 'B'], policy: 'cascading' },
    ],
    dependencies: [{ type: 'different-nodes', high: ['hi'], intermediate: ['mid'], low: ['lo'] }],
  });

  it('a higher-priority group displaces a lower one, which falls over or goes offline', () => {
    const c = new TestCluster(config, ABC);
    c.event({ type: 'startup' });
    assert.deepEqual(
      ['hi', 'mid', 'lo'].map((g) => c.where(g)),
      [['A'], ['B'], ['C']],
    );
    const p = c.event({ type: 'node_down', node: 'A' });
    assert.deepEqual(
      ['hi', 'mid', 'lo'].map((g) => targetOf(p, g)),
      [['B'], ['C'], []],
    );
    assert.equal(reasonOf(p, 'mid'), 'mid -> C: B holds hi (different nodes); C next in priority');
    assert.equal(
      reasonOf(p, 'lo'),
      'lo -> offline: C holds mid (different nodes); no other node available',
    );
    // The displaced groups come back when there is room again.
    const back = c.event({ type: 'node_up', node: 'A' });
    assert.deepEqual(
      ['hi', 'mid', 'lo'].map((g) => targetOf(back, g)),
      [['A'], ['B'], ['C']],
    );
  });

  it('a group does not displace one of its own level, and cannot be moved onto a stronger one', () => {
    const same = configOf({
      nodes: ['A', 'B'],
      groups: [
        { name: 'x', nodes: ['A', 'B'], policy: 'cascading' },
        { name: 'y', nodes: ['A', 'B'], policy: 'cascading' },
      ],
      dependencies: [{ type: 'different-nodes', high: ['x', 'y'] }],
    });
    let p = place({
      config: same,
      eligible: ['A', 'B'],
      current: { online: { x: ['B'], y: ['A'] } },
      trigger: { type: 'node_up', node: 'A' },
    });
    assert.equal(reasonOf(p, 'x'), 'x stays on B: home node A holds y (different nodes)');
    p = place({
      config,
      eligible: ABC,
      current: { online: { hi: ['A'], mid: ['B'], lo: ['C'] } },
      trigger: { type: 'rg_move', groups: ['lo'], to: 'B' },
    });
    assert.equal(
      reasonOf(p, 'lo'),
      'lo stays on C: rg_move refused: B holds mid (different nodes); its home node',
    );
  });
});
