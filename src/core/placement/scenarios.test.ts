// The reference's worked scenarios, replayed step by step: where each group is after each
// event, and the reason line the operator reads.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseClusterDefinition } from '../config/load.js';
import { placementConfig } from './types.js';
import { configOf, reasonOf, replay, targetOf, TestCluster } from './placement.test-helper.js';

describe('reference scenarios', () => {
  it('8.1.1 rotating: the application stays where it went; failures alternate the nodes', () => {
    const config = configOf({
      nodes: ['A', 'B'],
      groups: [{ name: 'app', nodes: ['A', 'B'], policy: 'rotating' }],
    });
    replay(
      config,
      ['A', 'B'],
      [
        {
          event: 'startup',
          where: { app: ['A'] },
          why: { app: 'app -> A: A has no other group online (distribution)' },
        },
        // "If node A fails, node B takes over the application."
        {
          event: 'node_down A',
          where: { app: ['B'] },
          why: { app: 'app -> B: A down; B next in priority' },
        },
        // "If node A rejoins the cluster, nothing happens."
        {
          event: 'node_up A',
          where: { app: ['B'] },
          why: { app: 'app stays on B: fallback never' },
        },
        // "If node B fails, node A takes over."
        {
          event: 'node_down B',
          where: { app: ['A'] },
          why: { app: 'app -> A: B down; A next in priority' },
        },
        // "If node B rejoins, nothing happens": identical to the initial configuration.
        {
          event: 'node_up B',
          where: { app: ['A'] },
          why: { app: 'app stays on A: its home node' },
        },
      ],
    );
  });

  it('8.2.1 cascading, A then B failing: no takeover when B rejoins, back to A when A does', () => {
    const config = configOf({
      nodes: ['A', 'B', 'C'],
      groups: [{ name: 'app', nodes: ['A', 'B', 'C'], policy: 'cascading' }],
    });
    replay(
      config,
      ['A', 'B', 'C'],
      [
        {
          event: 'startup',
          where: { app: ['A'] },
          why: { app: 'app -> A: online on its home node (startup)' },
        },
        // "If System A fails, System B takes over the application of A."
        {
          event: 'node_down A',
          where: { app: ['B'] },
          why: { app: 'app -> B: A down; B next in priority' },
        },
        // "When the problem is fixed on System A ... taken over by System A."
        {
          event: 'node_up A',
          where: { app: ['A'] },
          why: { app: 'app -> A: A up; fallback to its home node' },
        },
        // A then B fail.
        { event: 'node_down A', where: { app: ['B'] } },
        // "The application of System A (which ran on System B) is taken over by System C."
        {
          event: 'node_down B',
          where: { app: ['C'] },
          why: { app: 'app -> C: B down; C next in priority' },
        },
        // "If System B rejoins the cluster but System A is still down, no takeover happens."
        {
          event: 'node_up B',
          where: { app: ['C'] },
          why: { app: 'app stays on C: home node A not available' },
        },
        // "When System A rejoins the cluster, the application goes back to System A."
        {
          event: 'node_up A',
          where: { app: ['A'] },
          why: { app: 'app -> A: A up; fallback to its home node' },
        },
      ],
    );
  });

  it('mutual takeover: each node is the other one\u2019s backup, and takes its group back', () => {
    const config = configOf({
      nodes: ['A', 'B'],
      groups: [
        { name: 'rgA', nodes: ['A', 'B'], policy: 'cascading' },
        { name: 'rgB', nodes: ['B', 'A'], policy: 'cascading' },
      ],
    });
    replay(
      config,
      ['A', 'B'],
      [
        { event: 'startup', where: { rgA: ['A'], rgB: ['B'] } },
        {
          event: 'node_down A',
          where: { rgA: ['B'], rgB: ['B'] },
          why: {
            rgA: 'rgA -> B: A down; B next in priority',
            rgB: 'rgB stays on B: its home node',
          },
        },
        {
          event: 'node_up A',
          where: { rgA: ['A'], rgB: ['B'] },
          why: { rgA: 'rgA -> A: A up; fallback to its home node' },
        },
        {
          event: 'node_down B',
          where: { rgA: ['A'], rgB: ['A'] },
          why: { rgB: 'rgB -> A: B down; A next in priority' },
        },
        { event: 'node_up B', where: { rgA: ['A'], rgB: ['B'] } },
      ],
    );
  });

  it('N+1: one standby backs four servers, and carries two workloads when two fail', () => {
    const servers = ['P1', 'P2', 'P3', 'P4'];
    const config = configOf({
      nodes: [...servers, 'S'],
      groups: servers.map((p, i) => ({ name: `rg${i + 1}`, nodes: [p, 'S'], policy: 'cascading' })),
    });
    replay(
      config,
      [...servers, 'S'],
      [
        { event: 'startup', where: { rg1: ['P1'], rg2: ['P2'], rg3: ['P3'], rg4: ['P4'] } },
        {
          event: 'node_down P2',
          where: { rg2: ['S'], rg1: ['P1'] },
          why: { rg2: 'rg2 -> S: P2 down; S next in priority' },
        },
        { event: 'node_down P4', where: { rg2: ['S'], rg4: ['S'] } },
        { event: 'node_up P2', where: { rg2: ['P2'], rg4: ['S'] } },
        {
          event: 'node_down S',
          where: { rg4: [] },
          why: { rg4: 'rg4 -> offline: S down; no other node available' },
        },
        // The standby is gone: rg4 was offline; it starts on its home node when P4 returns.
        {
          event: 'node_up P4',
          where: { rg4: ['P4'] },
          why: { rg4: 'rg4 -> P4: online on its home node (startup)' },
        },
      ],
    );
  });
});

describe('the example clusters', () => {
  const load = (file: string) => {
    const r = parseClusterDefinition(readFileSync(file, 'utf8'), file);
    assert.ok(r.ok && r.config, `${file} loads`);
    return placementConfig(r.config);
  };

  it('n-plus-one.yaml: delayed fallback, a child restarting with its parent, and giving way', () => {
    const c = new TestCluster(load('examples/n-plus-one.yaml'), [
      'prod1',
      'prod2',
      'prod3',
      'spare',
    ]);
    let p = c.event({ type: 'startup' });
    assert.deepEqual(
      [targetOf(p, 'rg_db'), targetOf(p, 'rg_web'), targetOf(p, 'rg_batch')],
      [['prod1'], ['prod2'], ['prod3']],
    );
    // The parent is acquired before its child.
    assert.deepEqual(
      p.acquire.map((s) => s.group),
      ['rg_batch', 'rg_db', 'rg_web'],
    );

    p = c.event({ type: 'node_down', node: 'prod1' });
    assert.equal(reasonOf(p, 'rg_db'), 'rg_db -> spare: prod1 down; spare next in priority');
    assert.equal(
      reasonOf(p, 'rg_web'),
      'rg_web stays on prod2: its home node; restarts: parent rg_db moves',
    );
    assert.deepEqual(p.release, [
      { group: 'rg_web', node: 'prod2' },
      { group: 'rg_db', node: 'prod1' },
    ]);
    assert.deepEqual(p.acquire, [
      { group: 'rg_db', node: 'spare' },
      { group: 'rg_web', node: 'prod2' },
    ]);

    // prod1 is back on a weekday: the database waits for the Sunday window.
    p = c.event({ type: 'node_up', node: 'prod1' });
    const db = p.groups.find((g) => g.group === 'rg_db');
    assert.ok(db);
    assert.deepEqual(db.nodes, ['spare']);
    assert.equal(db.waiting, 'fallback-timer');
    assert.equal(
      db.reason,
      'rg_db stays on spare: falls back to prod1 when its fallback timer fires',
    );
    p = c.event({ type: 'fallback_timer', groups: ['rg_db'] });
    assert.equal(
      reasonOf(p, 'rg_db'),
      'rg_db -> prod1: fallback timer fired; back to its home node',
    );

    // Two production nodes down: the batch group gives way to the web tier.
    c.facts = { spare: { freeMemory: 64 }, prod3: { freeMemory: 8 } };
    c.event({ type: 'node_down', node: 'prod1' });
    assert.deepEqual(c.where('rg_db'), ['spare']);
    p = c.event({ type: 'node_down', node: 'prod2' });
    assert.equal(
      reasonOf(p, 'rg_web'),
      'rg_web -> prod3: prod2 down; prod3 has the most free memory (most-free-memory)',
    );
    assert.equal(
      reasonOf(p, 'rg_batch'),
      'rg_batch -> offline: prod3 holds rg_web (different nodes); no other node available',
    );
    assert.deepEqual(c.where('rg_db'), ['spare']);
  });

  it('three-node-mutual-takeover.yaml: inactive takeover, CWOF and a concurrent agent', () => {
    const r = parseClusterDefinition(
      readFileSync('examples/three-node-mutual-takeover.yaml', 'utf8'),
      'three-node-mutual-takeover.yaml',
    );
    assert.ok(r.config);
    const c = new TestCluster(placementConfig(r.config), ['ha1', 'ha3']);
    // ha2 is late: rg_app (inactive takeover) starts elsewhere, rg_db only on its home node.
    assert.equal(r.config.tunables.settlingTimeMs, 0);
    let p = c.event({ type: 'startup' });
    assert.deepEqual(targetOf(p, 'rg_db'), ['ha1']);
    assert.deepEqual(targetOf(p, 'rg_mq'), ['ha3']);
    assert.deepEqual(targetOf(p, 'rg_agent'), ['ha1', 'ha3']);
    assert.equal(
      reasonOf(p, 'rg_app'),
      'rg_app -> ha3: first available node (home node ha2 not available)',
    );
    p = c.event({ type: 'node_up', node: 'ha2' });
    assert.deepEqual(targetOf(p, 'rg_app'), ['ha2']);
    assert.deepEqual(targetOf(p, 'rg_agent'), ['ha1', 'ha2', 'ha3']);
    // CWOF: rg_mq falls over and stays.
    c.event({ type: 'node_down', node: 'ha3' });
    assert.deepEqual(c.where('rg_mq'), ['ha1']);
    assert.deepEqual(c.where('rg_agent'), ['ha1', 'ha2']);
    p = c.event({ type: 'node_up', node: 'ha3' });
    assert.equal(reasonOf(p, 'rg_mq'), 'rg_mq stays on ha1: fallback never');
  });
});
