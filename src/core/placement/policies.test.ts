// One test (or a few) per policy: startup, fallover, fallback, the legacy attributes, operator
// actions and their override locations, errors and forced stops.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { place } from './place.js';
import { configOf, reasonOf, targetOf, TestCluster } from './placement.test-helper.js';

const ABC = ['A', 'B', 'C'];
const one = (g: Record<string, unknown>, settlingTime = '0s') =>
  configOf({ nodes: ABC, groups: [{ name: 'rg', nodes: ABC, ...g }], settlingTime });

describe('startup policies', () => {
  it('home node only: offline while the home node is down, online when it joins', () => {
    const c = new TestCluster(one({ startup: 'home-node' }), ['B', 'C']);
    let p = c.event({ type: 'startup' });
    assert.deepEqual(targetOf(p, 'rg'), []);
    assert.equal(
      reasonOf(p, 'rg'),
      'rg stays offline: home node A not available (startup: home node only)',
    );
    assert.equal(p.groups[0]?.intent, 'offline');
    p = c.event({ type: 'node_up', node: 'A' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> A: online on its home node (startup)');
  });

  it('first available node: the first node of the list that is up', () => {
    const c = new TestCluster(one({ startup: 'first-available' }), ['C', 'B']);
    const p = c.event({ type: 'startup' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> B: first available node (home node A not available)');
  });

  it('settling time: a first-available group waits for its home node, then takes the first', () => {
    const c = new TestCluster(one({ startup: 'first-available' }, '1m'), ['C']);
    let p = c.event({ type: 'startup' });
    assert.deepEqual(targetOf(p, 'rg'), []);
    assert.equal(p.groups[0]?.waiting, 'settling-time');
    assert.equal(
      reasonOf(p, 'rg'),
      'rg stays offline: waits for the settling time: home node A not available',
    );
    p = c.event({ type: 'node_up', node: 'B' });
    assert.deepEqual(targetOf(p, 'rg'), []);
    assert.equal(p.groups[0]?.waiting, 'settling-time');
    p = c.event({ type: 'settling_expired' });
    assert.equal(
      reasonOf(p, 'rg'),
      'rg -> B: settling time over; first available node (home node A not available)',
    );
  });

  it('settling time: the home node joining ends the wait at once', () => {
    const c = new TestCluster(one({ startup: 'first-available' }, '1m'), ['C']);
    c.event({ type: 'startup' });
    const p = c.event({ type: 'node_up', node: 'A' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> A: online on its home node (startup)');
    assert.equal(p.groups[0]?.waiting, undefined);
  });

  it('all available nodes: a concurrent group joins every node and leaves only the failed one', () => {
    const c = new TestCluster(one({ policy: 'concurrent' }), ['A', 'C']);
    let p = c.event({ type: 'startup' });
    assert.deepEqual(targetOf(p, 'rg'), ['A', 'C']);
    p = c.event({ type: 'node_up', node: 'B' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> A, B, C: online on all available nodes (B added)');
    assert.deepEqual(p.acquire, [{ group: 'rg', node: 'B' }]);
    p = c.event({ type: 'node_down', node: 'A' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> B, C: A down: offline there only');
    assert.deepEqual(p.release, [{ group: 'rg', node: 'A' }]);
  });

  it('distribution: one group per node, and no node for a group when every node has one', () => {
    const config = configOf({
      nodes: ABC,
      groups: ['r1', 'r2', 'r3', 'r4'].map((name) => ({ name, nodes: ABC, policy: 'rotating' })),
    });
    const c = new TestCluster(config, ABC);
    const p = c.event({ type: 'startup' });
    assert.deepEqual(
      ['r1', 'r2', 'r3', 'r4'].map((g) => targetOf(p, g)),
      [['A'], ['B'], ['C'], []],
    );
    assert.equal(reasonOf(p, 'r2'), 'r2 -> B: B has no other group online (distribution)');
    assert.equal(
      reasonOf(p, 'r4'),
      'r4 stays offline: every available node of its list has a group online (distribution)',
    );
  });
});

describe('fallover policies', () => {
  const dynamic = (policy: string, extra: Record<string, unknown> = {}) =>
    one({
      startup: 'home-node',
      fallover: 'dynamic-priority',
      fallback: 'never',
      dynamicPriority: { policy, ...extra },
    });

  for (const [policy, facts, winner, phrase] of [
    [
      'most-free-memory',
      { B: { freeMemory: 1 }, C: { freeMemory: 9 } },
      'C',
      'has the most free memory',
    ],
    ['most-idle-cpu', { B: { idleCpu: 80 }, C: { idleCpu: 20 } }, 'B', 'has the most idle CPU'],
    [
      'least-busy-disk',
      { B: { diskBusy: 70 }, C: { diskBusy: 5 } },
      'C',
      'has the least busy disk',
    ],
  ] as const) {
    it(`dynamic node priority, ${policy}`, () => {
      const c = new TestCluster(dynamic(policy), ABC);
      c.facts = facts;
      c.event({ type: 'startup' });
      const p = c.event({ type: 'node_down', node: 'A' });
      assert.equal(reasonOf(p, 'rg'), `rg -> ${winner}: A down; ${winner} ${phrase} (${policy})`);
    });
  }

  it('dynamic node priority, script: the highest value for this group wins', () => {
    const c = new TestCluster(dynamic('script', { script: '/usr/local/bin/rank' }), ABC);
    c.facts = { B: { script: { rg: 3, other: 100 } }, C: { script: { rg: 7 } } };
    c.event({ type: 'startup' });
    const p = c.event({ type: 'node_down', node: 'A' });
    assert.equal(
      reasonOf(p, 'rg'),
      'rg -> C: A down; C ranks highest by the dynamic priority script (script)',
    );
  });

  it('dynamic node priority without facts falls back to the list; a node with a value wins', () => {
    const c = new TestCluster(dynamic('most-free-memory'), ABC);
    c.event({ type: 'startup' });
    let p = c.event({ type: 'node_down', node: 'A' });
    assert.equal(
      reasonOf(p, 'rg'),
      'rg -> B: A down; B next in priority (no most-free-memory data)',
    );
    c.event({ type: 'node_up', node: 'A' });
    c.facts = { A: { freeMemory: Number.NaN }, C: { freeMemory: 1 } };
    p = c.event({ type: 'node_down', node: 'B' });
    assert.deepEqual(targetOf(p, 'rg'), ['C']);
  });

  it('bring offline: the group goes offline, and stays so until an event starts groups', () => {
    const c = new TestCluster(
      one({ startup: 'home-node', fallover: 'offline', fallback: 'never' }),
      ABC,
    );
    c.event({ type: 'startup' });
    let p = c.event({ type: 'node_down', node: 'A' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> offline: A down; fallover policy brings it offline');
    p = c.event({ type: 'reevaluate' });
    assert.deepEqual(targetOf(p, 'rg'), []);
    p = c.event({ type: 'node_up', node: 'A' });
    assert.deepEqual(targetOf(p, 'rg'), ['A']);
  });
});

describe('fallback policies and the legacy attributes', () => {
  it('fallback never (custom): the group stays on the node it fell over to', () => {
    const c = new TestCluster(
      one({ policy: 'custom', startup: 'home-node', fallover: 'next-priority', fallback: 'never' }),
      ABC,
    );
    c.event({ type: 'startup' });
    c.event({ type: 'node_down', node: 'A' });
    const p = c.event({ type: 'node_up', node: 'A' });
    assert.equal(reasonOf(p, 'rg'), 'rg stays on B: fallback never');
  });

  it('delayed fallback: waits for the timer, and does nothing if the home node left meanwhile', () => {
    const timer = { recurrence: 'daily', at: '02:00' };
    const c = new TestCluster(one({ policy: 'cascading', fallbackTimer: timer }), ABC);
    c.event({ type: 'startup' });
    c.event({ type: 'node_down', node: 'A' });
    let p = c.event({ type: 'node_up', node: 'A' });
    assert.deepEqual(targetOf(p, 'rg'), ['B']);
    assert.equal(p.groups[0]?.waiting, 'fallback-timer');
    c.event({ type: 'node_down', node: 'A' });
    p = c.event({ type: 'fallback_timer', groups: ['rg'] });
    assert.equal(
      reasonOf(p, 'rg'),
      'rg stays on B: fallback timer fired, but home node A not available',
    );
    assert.equal(p.groups[0]?.waiting, undefined);
  });

  it('cascading without fallback (CWOF) never falls back', () => {
    const c = new TestCluster(one({ policy: 'cascading', cascadingWithoutFallback: true }), ABC);
    c.event({ type: 'startup' });
    c.event({ type: 'node_down', node: 'A' });
    assert.equal(
      reasonOf(c.event({ type: 'node_up', node: 'A' }), 'rg'),
      'rg stays on B: fallback never',
    );
  });

  it('inactive takeover: a cascading group may start away from its home node, then falls back', () => {
    const plain = new TestCluster(one({ policy: 'cascading' }), ['B', 'C']);
    assert.deepEqual(targetOf(plain.event({ type: 'startup' }), 'rg'), []);
    const it = new TestCluster(one({ policy: 'cascading', inactiveTakeover: true }), ['B', 'C']);
    assert.deepEqual(targetOf(it.event({ type: 'startup' }), 'rg'), ['B']);
    assert.deepEqual(targetOf(it.event({ type: 'node_up', node: 'A' }), 'rg'), ['A']);
  });
});

describe('operator actions and priority override locations', () => {
  it('rg_move to a node sets the override: the group stays there when its home node returns', () => {
    const c = new TestCluster(one({ policy: 'cascading' }), ABC);
    c.event({ type: 'startup' });
    let p = c.event({ type: 'rg_move', groups: ['rg'], to: 'C' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> C: moved by the operator; override location set');
    assert.deepEqual(p.overrides, { rg: { type: 'node', node: 'C' } });
    c.event({ type: 'node_down', node: 'A' });
    p = c.event({ type: 'node_up', node: 'A' });
    assert.equal(reasonOf(p, 'rg'), 'rg stays on C: its override location');
    // C fails: next in priority; C returns: back to the override location.
    p = c.event({ type: 'node_down', node: 'C' });
    assert.deepEqual(targetOf(p, 'rg'), ['A']);
    p = c.event({ type: 'node_up', node: 'C' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> C: C up; fallback to its override location');
    // Moving it to its home node clears the override.
    p = c.event({ type: 'rg_move', groups: ['rg'], to: 'A' });
    assert.equal(reasonOf(p, 'rg'), 'rg -> A: moved by the operator to its home node');
    assert.deepEqual(p.overrides, {});
  });

  it('rg_move without a target takes the next node; refusals say why and change nothing', () => {
    const c = new TestCluster(one({ policy: 'rotating' }), ['A', 'B']);
    c.event({ type: 'startup' });
    let p = c.event({ type: 'rg_move', groups: ['rg'] });
    assert.equal(reasonOf(p, 'rg'), 'rg -> B: moved by the operator; override location set');
    for (const [to, why] of [
      ['Z', 'Z is not in its node list'],
      ['C', 'C is not available'],
      ['B', 'already on B'],
    ] as const) {
      p = c.event({ type: 'rg_move', groups: ['rg'], to });
      assert.equal(
        reasonOf(p, 'rg'),
        `rg stays on B: rg_move refused: ${why}; its override location`,
      );
      assert.deepEqual(p.acquire, []);
    }
  });

  it('rg_offline keeps the group offline across node_up; rg_online brings it back', () => {
    const c = new TestCluster(one({ policy: 'cascading' }), ABC);
    c.event({ type: 'startup' });
    let p = c.event({ type: 'rg_offline', groups: ['rg'] });
    assert.equal(reasonOf(p, 'rg'), 'rg -> offline: taken offline by the operator');
    assert.deepEqual(p.release, [{ group: 'rg', node: 'A' }]);
    c.event({ type: 'node_down', node: 'A' });
    p = c.event({ type: 'node_up', node: 'A' });
    assert.equal(
      reasonOf(p, 'rg'),
      'rg stays offline: offline by the operator (rg_online brings it back)',
    );
    p = c.event({ type: 'rg_online', groups: ['rg'] });
    assert.equal(reasonOf(p, 'rg'), 'rg -> A: online on its home node (startup)');
    assert.deepEqual(p.overrides, {});
  });

  it('rg_online with a target starts the group there and sets the override', () => {
    const c = new TestCluster(one({ policy: 'cascading' }), ABC);
    c.overrides = { rg: { type: 'offline' } };
    const p = c.event({ type: 'rg_online', groups: ['rg'], to: 'B' });
    assert.deepEqual(targetOf(p, 'rg'), ['B']);
    assert.deepEqual(p.overrides, { rg: { type: 'node', node: 'B' } });
  });
});

describe('errors and forced stops', () => {
  it('a group in error on its node falls over; in error everywhere it is in error', () => {
    const config = one({ policy: 'cascading' });
    const online = { rg: ['A'] };
    let p = place({
      config,
      eligible: ABC,
      current: { online, errors: { rg: ['A'] } },
      trigger: { type: 'reevaluate' },
    });
    assert.equal(reasonOf(p, 'rg'), 'rg -> B: rg in error on A; B next in priority');
    p = place({
      config,
      eligible: ['A', 'B'],
      current: { online: {}, errors: { rg: ['A', 'B'] } },
      trigger: { type: 'node_up', node: 'B' },
    });
    assert.equal(p.groups[0]?.intent, 'error');
    // Resumed (the caller dropped the errors): the resume event starts it.
    p = place({
      config,
      eligible: ['A', 'B'],
      current: { online: {} },
      trigger: { type: 'resume', groups: ['rg'] },
    });
    assert.deepEqual(targetOf(p, 'rg'), ['A']);
  });

  it('a group left running unmanaged by a forced stop is left alone', () => {
    const p = place({
      config: one({ policy: 'cascading' }),
      eligible: ['B', 'C'],
      current: { online: { rg: ['A'] }, unmanaged: { rg: ['A'] } },
      trigger: { type: 'node_down', node: 'A' },
    });
    assert.deepEqual(p.groups[0], {
      group: 'rg',
      nodes: [],
      intent: 'unmanaged',
      waiting: undefined,
      reason: 'rg unmanaged on A: left running by a forced stop; nobody else acquires it',
    });
    assert.deepEqual([p.release, p.acquire], [[], []]);
  });
});
