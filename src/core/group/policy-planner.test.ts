// The agent's planner: the placement policies behind group services' Planner, with node numbers
// on one side and names on the other; the resource state it keeps (overrides, failures, the
// groups waiting for their fallback timer), and the events that carry timers and failures.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterOf } from '../placement/placement.test-helper.js';
import { FALLBACK_TIMER, SETTLING_EXPIRED, policyPlanner } from './policy-planner.js';
import { NO_RESOURCES, type Planner, type ResourceState } from './resources.js';
import type { ClusterEvent } from './agreement.js';

const NODES = ['n1', 'n2', 'n3'];

/** The planner of a three-node cluster with these groups (each holds app_<group>). */
function planner(groups: Record<string, unknown>[], settlingTime?: string): Planner {
  return policyPlanner(
    clusterOf({ nodes: NODES, groups, ...(settlingTime ? { settlingTime } : {}) }),
  );
}

const ev = (name: string, node: number, details?: Record<string, string>): ClusterEvent => ({
  key: `${name}:${String(node)}`,
  name,
  node,
  ...(details ? { details } : {}),
});

const since = { epoch: { n: 1, leader: 1, inc: 1 }, seq: 1 };
const at = (
  placement: Record<string, number[]>,
  more: Partial<ResourceState> = {},
): ResourceState => ({
  ...NO_RESOURCES,
  since,
  placement,
  ...more,
});

/** A plan as the resource state it becomes (node.ts drops settleAfterMs the same way). */
function withoutSettle(p: ReturnType<Planner>): Omit<ResourceState, 'since'> {
  const { placement, reasons, overrides, failed, waiting } = p;
  return { placement, reasons, overrides, failed, ...(waiting ? { waiting } : {}) };
}

describe('the policy planner', () => {
  it('falls over to the next node by priority, and says why with node names', () => {
    const p = planner([{ name: 'rg', nodes: NODES }]);
    const out = p({
      event: ev('node_down', 1),
      members: [2, 3],
      stops: new Map(),
      current: at({ rg: [1] }),
    });
    assert.deepEqual(out.placement['rg'], [2]);
    assert.match(out.reasons['rg'] ?? '', /n1 down; n2 next in priority/);
  });

  it('waits for the delayed fallback timer, then falls back when it fires', () => {
    const p = planner([
      {
        name: 'rg',
        nodes: NODES,
        fallback: 'higher-priority',
        fallbackTimer: { recurrence: 'daily', at: '02:00' },
      },
    ]);
    const back = p({
      event: ev('node_up', 1),
      members: [1, 2, 3],
      stops: new Map(),
      current: at({ rg: [2] }),
    });
    assert.deepEqual(back.placement['rg'], [2], back.reasons['rg']);
    assert.deepEqual(back.waiting, { rg: 'fallback-timer' });
    const state = withoutSettle(back);
    const fired = p({
      event: ev('rg_move', 1, { group: 'rg', trigger: FALLBACK_TIMER }),
      members: [1, 2, 3],
      stops: new Map(),
      current: { ...state, since },
    });
    assert.deepEqual(fired.placement['rg'], [1], fired.reasons['rg']);
    assert.equal(fired.waiting, undefined);
  });

  it('a first-available group waits for the settling time, then goes where it may', () => {
    const p = planner([{ name: 'rg', nodes: NODES, startup: 'first-available' }], '10s');
    const first = p({
      event: ev('node_up', 3),
      members: [3],
      stops: new Map(),
      current: NO_RESOURCES,
    });
    assert.equal(first.settleAfterMs, 10_000);
    assert.deepEqual(first.placement['rg'], []);
    const state = withoutSettle(first);
    const later = p({
      event: ev('rg_move', 3, { trigger: SETTLING_EXPIRED }),
      members: [3],
      stops: new Map(),
      current: { ...state, since },
    });
    assert.deepEqual(later.placement['rg'], [3], later.reasons['rg']);
  });

  it('records a failure, avoids the node, and forgets it when the operator moves the group there', () => {
    const p = planner([{ name: 'rg', nodes: NODES }]);
    const failed = p({
      event: ev('rg_move', 1, { group: 'rg', failed: '1' }),
      members: [1, 2, 3],
      stops: new Map(),
      current: at({ rg: [1] }),
    });
    assert.deepEqual(failed.placement['rg'], [2]);
    assert.deepEqual(failed.failed, { rg: [1] });
    const moved = p({
      event: ev('rg_move', 3, { group: 'rg', target: '1' }),
      members: [1, 2, 3],
      stops: new Map(),
      current: { ...failed, since },
    });
    assert.deepEqual(moved.placement['rg'], [1]);
    assert.deepEqual(moved.failed, {});
  });

  it('keeps a group a forced stop left running on its node, and a graceful stop’s group offline', () => {
    const p = planner([{ name: 'rg', nodes: NODES }]);
    const forced = p({
      event: ev('node_down', 1, { mode: 'forced' }),
      members: [1, 2, 3],
      stops: new Map([[1, { mode: 'forced', groups: ['rg'] }]]),
      current: at({ rg: [1] }),
    });
    assert.deepEqual(forced.placement['rg'], [1]);
    const graceful = p({
      event: ev('node_down', 1, { mode: 'graceful' }),
      members: [1, 2, 3],
      stops: new Map([[1, { mode: 'graceful', groups: ['rg'] }]]),
      current: at({ rg: [1] }),
    });
    assert.deepEqual(graceful.placement['rg'], []);
  });
});

describe('dynamic node priority through group services', () => {
  it('falls over to the node with the most free memory, from the facts the members sent their leader', async () => {
    const { TestCluster } = await import('./cluster.test-helper.js');
    const { THREE_NODES } = await import('./cluster.test-helper.js');
    const config = clusterOf({
      nodes: NODES,
      groups: [
        {
          name: 'rg',
          nodes: NODES,
          fallover: 'dynamic-priority',
          dynamicPriority: { policy: 'most-free-memory' },
        },
      ],
    });
    const c = new TestCluster([1, 2, 3], {
      ...THREE_NODES,
      groups: [{ name: 'rg', nodes: [1, 2, 3] }],
      planner: policyPlanner(config),
    });
    c.run(3000);
    assert.deepEqual(c.holder('rg'), [1]);
    // n3 has far more free memory than n2 (next in the list).
    c.input(2, { type: 'facts', facts: { freeMemory: 1_000 } });
    c.input(3, { type: 'facts', facts: { freeMemory: 9_000 } });
    c.run(3500);
    c.isolate(1);
    c.run(8000);
    assert.deepEqual(c.holder('rg'), [3]);
    const reason = c.state(2).resources.reasons['rg'] ?? '';
    assert.match(reason, /n3/, reason);
  });
});
