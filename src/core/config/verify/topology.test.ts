import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

const NODE2_BOND = '{ network: net_ether_02, device: bond0, address: 192.168.10.2/24 }';
const NODE1_DISK =
  '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\n    persistentLabels:';

describe('topology: what each kind of network takes', () => {
  it('reports an ether interface without a boot address', () => {
    const text = edit(BASELINE, [NODE2_BOND, '{ network: net_ether_02, device: bond0 }']);
    verify(text).expect('ether-interface-no-address', {
      path: 'nodes[1].interfaces[2].address',
      line: lineOf(text, '{ network: net_ether_02, device: bond0 }'),
    });
  });

  it('reports a diskhb interface with an address, and an ether interface with a slot', () => {
    const text = edit(
      BASELINE,
      [
        NODE1_DISK,
        '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb, address: 10.0.7.1/24 }\n    persistentLabels:',
      ],
      [NODE2_BOND, '{ network: net_ether_02, device: bond0, address: 192.168.10.2/24, slot: 3 }'],
    );
    const r = verify(text);
    r.expect('diskhb-interface-address', { path: 'nodes[0].interfaces[3].address' });
    r.expect('ether-interface-slot', { path: 'nodes[1].interfaces[2].slot' });
  });

  it('reports a device used twice on a node', () => {
    const text = edit(BASELINE, [
      NODE2_BOND,
      '{ network: net_ether_02, device: eth1, address: 192.168.10.2/24 }',
    ]);
    const d = verify(text).expect('duplicate-device', { path: 'nodes[1].interfaces[2].device' });
    assert.match(d.message, /node2 uses device eth1 twice/);
    verify(text).expectNone('duplicate-interface-name'); // a consequence, not told twice
  });

  it('reports two interfaces of a node on one diskhb network', () => {
    const text = edit(BASELINE, [
      NODE1_DISK,
      '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\n      - { network: net_diskhb_01, device: /dev/disk/by-id/hb2 }\n    persistentLabels:',
    ]);
    const r = verify(text);
    r.expect('diskhb-multiple-interfaces', { path: 'nodes[0].interfaces[4].network' });
    r.expectNone('duplicate-interface-name');
  });

  it('reports two nodes in one slot of a diskhb network', () => {
    const text = edit(BASELINE, [
      '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\nresources:',
      '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb, slot: 1 }\nresources:',
    ]);
    const d = verify(text).expect('duplicate-diskhb-slot', { path: 'nodes[1].interfaces[3].slot' });
    assert.match(
      d.message,
      /node2 and node1 both use slot 1 on the disk heartbeat network net_diskhb_01/,
    );
  });

  it('accepts explicit slots that differ from the node ids', () => {
    const text = edit(BASELINE, [
      '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\nresources:',
      '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb, slot: 7 }\nresources:',
    ]);
    assert.deepEqual(verify(text).problems(), []);
  });
});

describe('topology: connected enough to heartbeat', () => {
  it('reports a network with interfaces on one node only', () => {
    const text = edit(BASELINE, [
      NODE2_BOND,
      '{ network: net_ether_01, device: bond0, address: 10.0.3.2/24 }',
    ]);
    const d = verify(text).expect('network-single-node', {
      path: 'networks[1].name',
      line: lineOf(text, 'name: net_ether_02'),
    });
    assert.match(d.message, /net_ether_02 has interfaces on node1 only/);
  });

  it('reports a network nobody is on', () => {
    const text = edit(BASELINE, [
      'networks:\n',
      'networks:\n  - { name: net_spare, type: ether }\n',
    ]);
    verify(text).expect('network-single-node', {
      path: 'networks[0].name',
      message: /no interfaces/,
    });
  });

  it('reports a node on disk heartbeat only', () => {
    const text = edit(BASELINE, [
      '      - { network: net_ether_01, device: eth0, address: 10.0.1.2/24 }\n      - { network: net_ether_01, device: eth1, address: 10.0.2.2/24 }\n      - ' +
        NODE2_BOND +
        '\n',
      '',
    ]);
    const r = verify(text);
    r.expect('node-no-ip-network', { path: 'nodes[1].interfaces' });
    r.expectNone('nodes-not-connected');
  });

  it('reports nodes that share no IP network', () => {
    const text = edit(
      BASELINE,
      [
        '{ network: net_ether_01, device: eth0, address: 10.0.1.2/24 }',
        '{ network: net_ether_03, device: eth0, address: 10.0.3.2/24 }',
      ],
      [
        '{ network: net_ether_01, device: eth1, address: 10.0.2.2/24 }',
        '{ network: net_ether_03, device: eth1, address: 10.0.4.2/24 }',
      ],
      [NODE2_BOND, '{ network: net_ether_03, device: bond0, address: 192.168.11.2/24 }'],
      [
        '  - name: net_diskhb_01\n',
        '  - { name: net_ether_03, type: ether }\n  - name: net_diskhb_01\n',
      ],
      [
        'address: 10.0.1.1/24 }\n',
        'address: 10.0.1.1/24 }\n      - { network: net_ether_03, device: eth5, address: 10.0.5.1/24 }\n',
      ],
    );
    // node1 reaches node2 through net_ether_03: connected.
    verify(text).expectNone('nodes-not-connected');
    const cut = edit(text, [
      '      - { network: net_ether_03, device: eth5, address: 10.0.5.1/24 }\n',
      '',
    ]);
    const d = verify(cut).expect('nodes-not-connected', { path: 'nodes[1].interfaces' });
    assert.match(d.message, /node2 share no IP network with node1/);
  });
});

describe('topology: address families', () => {
  it('reports two nodes that share no address family on a network', () => {
    const text = edit(BASELINE, [
      '{ network: net_ether_02, device: bond0, address: 192.168.10.2/24 }',
      '{ network: net_ether_02, device: bond0, address: fd00::10:2/64 }',
    ]);
    const d = verify(text).expect('network-family-mismatch', {
      path: 'nodes[1].interfaces[2].address',
    });
    assert.match(d.message, /node2 has IPv6 boot addresses only and node1 IPv4 only/);
  });

  it('accepts a network that is IPv6 on every node', () => {
    const v6 = edit(
      BASELINE,
      ['address: 192.168.10.1/24', 'address: fd00::10:1/64'],
      ['address: 192.168.10.2/24', 'address: fd00::10:2/64'],
    );
    assert.deepEqual(verify(v6).problems(), []);
  });
});
