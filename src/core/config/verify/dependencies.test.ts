import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verify, withGroups } from './testing.js';

describe('dependencies: self and duplicates', () => {
  it('reports a group that depends on itself', () => {
    const r = verify(
      withGroups(
        '- { type: parent-child, parent: rg_c, child: rg_c }\n- { type: start-after, group: rg_d, after: rg_d }',
      ),
    );
    r.expect('dependency-self', { path: 'dependencies[1].child' });
    r.expect('dependency-self', {
      path: 'dependencies[2].after',
      message: /rg_d starts after itself/,
    });
    r.expectNone('dependency-cycle');
  });

  it('reports a group listed twice in one set', () => {
    verify(withGroups('- { type: same-node, groups: [rg_c, rg_d, rg_c] }')).expect(
      'dependency-duplicate-group',
      { path: 'dependencies[1].groups[2]' },
    );
  });
});

describe('dependencies: same node', () => {
  it('reports same-node groups with no node in common', () => {
    const text = withGroups('- { type: same-node, groups: [rg_c, rg_d] }', {
      rg_c: 'nodes: [node1], resources: [c_app]',
      rg_d: 'nodes: [node2], resources: [d_app]',
    });
    const d = verify(text).expect('same-node-no-common-node', { path: 'dependencies[1].groups' });
    assert.match(d.message, /rg_c \(node1\) and rg_d \(node2\) have no node in common/);
  });

  it('follows same-node through chained dependencies', () => {
    const text = withGroups(
      '- { type: same-node, groups: [rg_c, rg_d] }\n- { type: same-node, groups: [rg_d, rg_e] }',
      {
        rg_c: 'nodes: [node1], resources: [c_app]',
        rg_e: 'nodes: [node2, node1], resources: [e_app]',
      },
    );
    verify(text).expectNone('same-node-no-common-node');
    const cut = withGroups(
      '- { type: same-node, groups: [rg_c, rg_d] }\n- { type: same-node, groups: [rg_d, rg_e] }',
      { rg_c: 'nodes: [node1], resources: [c_app]', rg_e: 'nodes: [node2], resources: [e_app]' },
    );
    const d = verify(cut).expect('same-node-no-common-node', { path: 'dependencies[2].groups' });
    assert.match(d.message, /with rg_c, which earlier same-node dependencies put on their node/);
  });

  it('reports a pair kept together and apart', () => {
    const d = verify(
      withGroups(
        '- { type: same-node, groups: [rg_c, rg_d] }\n- { type: different-nodes, high: [rg_c], low: [rg_d] }',
      ),
    ).expect('same-node-different-nodes-conflict', { path: 'dependencies[2].low[0]' });
    assert.match(d.message, /rg_d and rg_c must be on the same node/);
  });

  it('warns that same-node with a concurrent group constrains nothing', () => {
    const text = withGroups('- { type: same-node, groups: [rg_c, rg_d] }', {
      rg_c: 'nodes: [node1, node2], policy: concurrent, resources: [c_app]',
    });
    verify(text).expect('same-node-concurrent', {
      path: 'dependencies[1].groups[0]',
      severity: 'warning',
    });
  });
});

describe('dependencies: different nodes', () => {
  it('reports a group in two priority levels', () => {
    const r = verify(
      withGroups(
        '- { type: different-nodes, high: [rg_c, rg_d] }\n- { type: different-nodes, high: [rg_web], low: [rg_c] }',
      ),
    );
    const d = r.expect('different-nodes-two-levels', { path: 'dependencies[2].low[0]' });
    assert.match(d.message, /rg_c is low here, but already high at dependencies\[1\]\.high\[0\]/);
  });

  it('reports a concurrent group kept apart from others', () => {
    const text = withGroups('- { type: different-nodes, high: [rg_c], low: [rg_d] }', {
      rg_c: 'nodes: [node1, node2], policy: concurrent, resources: [c_app]',
    });
    verify(text).expect('different-nodes-concurrent', { path: 'dependencies[1].high[0]' });
  });

  it('warns about a set of one group', () => {
    verify(withGroups('- { type: different-nodes, high: [rg_c] }')).expect(
      'different-nodes-single-group',
      {
        path: 'dependencies[1]',
        severity: 'warning',
      },
    );
  });

  it('warns when the node lists cannot hold every group on a node of its own', () => {
    const d = verify(
      withGroups('- { type: different-nodes, high: [rg_web], intermediate: [rg_c], low: [rg_d] }'),
    ).expect('different-nodes-too-few-nodes', { path: 'dependencies[1]', severity: 'warning' });
    assert.match(d.message, /leave room for 2 of them at most/);
    verify(withGroups('- { type: different-nodes, high: [rg_c], low: [rg_d] }')).expectNone(
      'different-nodes-too-few-nodes',
    );
  });
});

describe('dependencies: parent-child and concurrency', () => {
  it('warns about a concurrent child of a parent that moves', () => {
    const text = withGroups('- { type: parent-child, parent: rg_d, child: rg_c }', {
      rg_c: 'nodes: [node1, node2], policy: concurrent, resources: [c_app]',
    });
    verify(text).expect('parent-child-concurrent-child', {
      path: 'dependencies[1].child',
      severity: 'warning',
    });
    const both = withGroups('- { type: parent-child, parent: rg_d, child: rg_c }', {
      rg_c: 'nodes: [node1, node2], policy: concurrent, resources: [c_app]',
      rg_d: 'nodes: [node1, node2], policy: concurrent, resources: [d_app]',
    });
    verify(both).expectNone('parent-child-concurrent-child');
  });
});
