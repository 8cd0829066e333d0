import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

describe('references', () => {
  it('reports an interface on an unknown network, with a suggestion', () => {
    const text = edit(BASELINE, [
      '{ network: net_ether_02, device: bond0, address: 192.168.10.2/24 }',
      '{ network: net_ether_2, device: bond0, address: 192.168.10.2/24 }',
    ]);
    const d = verify(text).expect('unknown-network', {
      path: 'nodes[1].interfaces[2].network',
      line: lineOf(text, 'net_ether_2,'),
    });
    assert.match(
      d.message,
      /interface bond0 of node2 names network "net_ether_2".*did you mean "net_ether_02"/,
    );
  });

  it('reports a persistent label and a service IP on unknown networks', () => {
    const text = edit(
      BASELINE,
      [
        '{ network: net_ether_01, address: 10.0.8.1/24 }',
        '{ network: net_eth01, address: 10.0.8.1/24 }',
      ],
      ['{ name: web_ip, network: net_ether_01,', '{ name: web_ip, network: public,'],
    );
    const r = verify(text);
    r.expect('unknown-network', { path: 'nodes[0].persistentLabels[0].network' });
    r.expect('unknown-network', { path: 'resources.serviceIps[0].network' });
    r.expectOnly('unknown-network', 'unknown-network');
  });

  it('reports an unknown node in a group, and a node listed twice', () => {
    const text = edit(BASELINE, ['nodes: [node2, node1]', 'nodes: [node2, nod1, node2]']);
    const r = verify(text);
    const d = r.expect('unknown-node', { path: 'resourceGroups[0].nodes[1]' });
    assert.match(d.message, /did you mean "node1"/);
    r.expect('duplicate-group-node', { path: 'resourceGroups[0].nodes[2]' });
  });

  it('reports an unknown resource in a group, and one listed twice', () => {
    const text = edit(BASELINE, [
      'resources: [web_ip, web_app]',
      'resources: [web_ip, wep_app, web_ip, web_app]',
    ]);
    const r = verify(text);
    const d = r.expect('unknown-resource', { path: 'resourceGroups[1].resources[1]' });
    assert.match(d.message, /did you mean "web_app"/);
    r.expect('duplicate-group-resource', { path: 'resourceGroups[1].resources[2]' });
  });

  it('reports a resource in two groups at the second, naming the first', () => {
    const text = edit(BASELINE, [
      'resources: [web_ip, web_app]',
      'resources: [web_ip, web_app, db_fs]',
    ]);
    const d = verify(text).expect('resource-in-two-groups', {
      path: 'resourceGroups[1].resources[2]',
    });
    assert.match(
      d.message,
      /file system db_fs is in group rg_web, but already in group rg_db at resourceGroups\[0\]\.resources\[1\]/,
    );
  });

  it('warns about a resource in no group', () => {
    const text = edit(BASELINE, ['resources: [web_ip, web_app]', 'resources: [web_app]']);
    const d = verify(text).expect('resource-not-in-group', {
      path: 'resources.serviceIps[0].name',
      severity: 'warning',
    });
    assert.match(d.message, /service IP web_ip is in no resource group/);
  });

  it('reports unknown groups in dependencies, each at its place', () => {
    const text = edit(BASELINE, [
      '  - { type: parent-child, parent: rg_db, child: rg_web }',
      '  - { type: parent-child, parent: rg_dv, child: rg_web }\n  - { type: same-node, groups: [rg_web, rg_app] }',
    ]);
    const r = verify(text);
    r.expect('unknown-group', { path: 'dependencies[0].parent', message: /did you mean "rg_db"/ });
    r.expect('unknown-group', { path: 'dependencies[1].groups[1]' });
  });

  it('reports events customising an event that does not exist', () => {
    const text = edit(BASELINE, ['  node_down:\n', '  node_dwon:\n']);
    const d = verify(text).expect('unknown-event', { path: 'events.node_dwon' });
    assert.match(d.message, /did you mean "node_down"/);
  });

  it('accepts events customising a script of a built-in program', () => {
    const text = edit(BASELINE, ['  node_down:\n', '  rg_move_release:\n']);
    verify(text).expectNone('unknown-event');
  });

  it('accepts events customising a user event', () => {
    verify(BASELINE).expectNone('unknown-event');
    const text = edit(BASELINE, ['  - name: var_full\n', '  - name: var_fill\n']);
    verify(text).expect('unknown-event', {
      path: 'events.var_full',
      message: /did you mean "var_fill"/,
    });
  });
});
