import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

describe('names: unique names', () => {
  it('reports a second node with the same name, naming the first', () => {
    const text = edit(BASELINE, ['  - name: node2\n    id: 2', '  - name: node1\n    id: 2']);
    const d = verify(text).expect('duplicate-node-name', {
      path: 'nodes[1].name',
      line: lineOf(text, 'name: node1', 2),
    });
    assert.match(d.message, /node1 is already taken by the node at nodes\[0\]/);
  });

  it('reports two nodes with one id', () => {
    const text = edit(BASELINE, ['    id: 2\n', '    id: 1\n']);
    const d = verify(text).expect('duplicate-node-id', { path: 'nodes[1].id' });
    assert.match(d.message, /node id 1 of node2 is already the id of node1/);
  });

  it('reports a network defined twice', () => {
    const text = edit(BASELINE, ['- name: net_ether_02', '- name: net_ether_01']);
    verify(text).expect('duplicate-network-name', {
      path: 'networks[1].name',
      line: lineOf(text, 'name: net_ether_01', 2),
    });
  });

  it('reports an interface name used twice in the cluster, explicit or default', () => {
    const text = edit(BASELINE, [
      '{ network: net_ether_02, device: bond0, address: 192.168.10.2/24 }',
      '{ network: net_ether_02, device: bond0, address: 192.168.10.2/24, name: node1-eth0 }',
    ]);
    const d = verify(text).expect('duplicate-interface-name', {
      path: 'nodes[1].interfaces[2].name',
    });
    assert.match(
      d.message,
      /already the name of the interface of node1 at nodes\[0\]\.interfaces\[0\]/,
    );
  });

  it('reports a persistent label that has the name of an interface', () => {
    const text = edit(BASELINE, [
      '{ network: net_ether_01, address: 10.0.8.1/24 }',
      '{ network: net_ether_01, address: 10.0.8.1/24, name: node2-eth1 }',
    ]);
    verify(text).expect('duplicate-persistent-label', {
      path: 'nodes[0].persistentLabels[0].name',
      message: /already the name of the interface of node2/,
    });
  });

  it('reports a resource name used by two kinds of resource', () => {
    const text = edit(BASELINE, ['{ name: db_vg, vg: vgdb }', '{ name: db_fs, vg: vgdb }']);
    const r = verify(text);
    const d = r.expect('duplicate-resource-name', { path: 'resources.filesystems[0].name' });
    assert.match(d.message, /already the volume group db_fs at resources\.volumeGroups\[0\]/);
  });

  it('reports two monitors of one application with one name', () => {
    const text = edit(BASELINE, [
      '- { name: db_proc, type: process, process: postgres, owner: postgres }',
      '- { name: db_proc, type: process, process: postgres, owner: postgres }\n        - { name: db_proc, type: process, process: pgbouncer }',
    ]);
    verify(text).expect('duplicate-monitor-name', {
      path: 'resources.applications[1].monitors[1].name',
    });
  });

  it('reports a group defined twice', () => {
    const text = edit(BASELINE, ['  - name: rg_web\n', '  - name: rg_db\n']);
    verify(text).expect('duplicate-group-name', { path: 'resourceGroups[1].name' });
  });

  it('reports a user event defined twice, and one named like a built-in event', () => {
    const twice = edit(BASELINE, [
      'userEvents:\n',
      'userEvents:\n  - { name: var_full, resourceVariable: fs.used_percent, instance: { mount: /tmp }, predicate: X > 90, programFile: /etc/haven/tmp.rp }\n',
    ]);
    verify(twice).expect('duplicate-user-event', { path: 'userEvents[1].name' });

    const builtin = edit(BASELINE, ['  - name: var_full\n', '  - name: node_down\n']);
    const d = verify(builtin).expect('user-event-builtin-name', { path: 'userEvents[0].name' });
    assert.match(d.hint ?? '', /events\.node_down/);
  });

  it('accepts names that differ, even only by a digit', () => {
    const text = edit(BASELINE, ['name: node2', 'name: node12']).replaceAll(/\bnode2\b/g, 'node12');
    const r = verify(text);
    assert.deepEqual(r.problems(), []);
  });
});

describe('names: unique addresses', () => {
  it('reports a boot address used on two nodes, naming the first', () => {
    const text = edit(BASELINE, [
      'device: eth1, address: 10.0.2.2/24',
      'device: eth1, address: 10.0.2.1/24',
    ]);
    const d = verify(text).expect('duplicate-address', {
      path: 'nodes[1].interfaces[1].address',
      line: lineOf(text, '10.0.2.1/24', 2),
    });
    assert.match(d.message, /already the boot address of interface node1-eth1 \(node1\)/);
  });

  it('compares values: a service IP equal to a persistent label, prefix aside', () => {
    const text = edit(BASELINE, ['address: 10.0.9.11/24', 'address: 10.0.8.1/26']);
    verify(text).expect('duplicate-address', {
      path: 'resources.serviceIps[1].address',
      message: /persistent label node1-persistent/,
    });
  });

  it('sees through IPv6 spellings', () => {
    const text = edit(
      BASELINE,
      ['address: 192.168.10.1/24', 'address: fd00:0:0:10::1/64'],
      ['address: 192.168.10.2/24', 'address: FD00:0000:0000:0010:0000::1/64'],
    );
    const d = verify(text).expect('duplicate-address', { path: 'nodes[1].interfaces[2].address' });
    assert.match(d.message, /fd00:0:0:10::1/);
  });

  it('accepts addresses that only look alike', () => {
    const text = edit(BASELINE, ['address: 10.0.9.11/24', 'address: 10.0.9.110/24']);
    verify(text).expectNone('duplicate-address');
  });
});
