import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

const WEB_IP = '{ name: web_ip, network: net_ether_01, address: 10.0.9.10/24 }';
const DB_IP = '{ name: db_ip, network: net_ether_01, address: 10.0.9.11/24 }';
const NODE2_ETH0 = '{ network: net_ether_01, device: eth0, address: 10.0.1.2/24 }';
const NODE2_ETH1 = '      - { network: net_ether_01, device: eth1, address: 10.0.2.2/24 }\n';

/** net_ether_01 by replacement, service addresses on the boot subnets. */
const REPLACEMENT = edit(
  BASELINE,
  ['    ipat: alias\n', '    ipat: replacement\n'],
  [WEB_IP, '{ name: web_ip, network: net_ether_01, address: 10.0.1.10 }'],
  [DB_IP, '{ name: db_ip, network: net_ether_01, address: 10.0.2.11/24 }'],
);

describe('ipat: service addresses', () => {
  it('reports a service IP on a disk heartbeat network', () => {
    const text = edit(BASELINE, [
      WEB_IP,
      '{ name: web_ip, network: net_diskhb_01, address: 10.0.9.10/24 }',
    ]);
    verify(text).expect('service-ip-not-ether', {
      path: 'resources.serviceIps[0].network',
      line: lineOf(text, 'network: net_diskhb_01, address'),
    });
  });

  it('reports a node of the group with no interface on the service network', () => {
    const text = edit(
      BASELINE,
      [
        '  - name: node2\n',
        '  - name: node3\n    id: 3\n    interfaces:\n      - { network: net_ether_02, device: bond0, address: 192.168.10.3/24 }\n      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\n  - name: node2\n',
      ],
      ['nodes: [node1, node2]', 'nodes: [node1, node2, node3]'],
    );
    const d = verify(text).expect('service-ip-node-not-on-network', {
      path: 'resourceGroups[1].nodes[2]',
    });
    assert.match(
      d.message,
      /node node3 of group rg_web has no interface on net_ether_01, which carries the service IP web_ip/,
    );
  });

  it('reports an IPv6 service address on an IPv4 network', () => {
    const text = edit(BASELINE, [
      WEB_IP,
      '{ name: web_ip, network: net_ether_01, address: fd00::10/64 }',
    ]);
    const d = verify(text).expect('service-ip-family', { path: 'resources.serviceIps[0].address' });
    assert.match(d.message, /IPv6.*net_ether_01 has IPv4 boot addresses only/);
  });

  it('reports an alias service address without a prefix, suggesting one', () => {
    const text = edit(BASELINE, [
      WEB_IP,
      '{ name: web_ip, network: net_ether_01, address: 10.0.9.10 }',
    ]);
    const d = verify(text).expect('ipat-alias-no-prefix', {
      path: 'resources.serviceIps[0].address',
    });
    assert.match(d.expected ?? '', /10\.0\.9\.10\/24/);
  });

  it('reports an alias service address on a boot subnet', () => {
    const text = edit(BASELINE, [
      WEB_IP,
      '{ name: web_ip, network: net_ether_01, address: 10.0.1.10/24 }',
    ]);
    const d = verify(text).expect('ipat-alias-subnet', { path: 'resources.serviceIps[0].address' });
    assert.match(d.message, /on the boot subnet 10\.0\.1\.0\/24 of node1-eth0 \(and 1 more\)/);
  });

  it('reports an alias service subnet that contains a boot subnet', () => {
    const text = edit(BASELINE, [
      WEB_IP,
      '{ name: web_ip, network: net_ether_01, address: 10.0.9.10/16 }',
    ]);
    verify(text).expect('ipat-alias-subnet', { path: 'resources.serviceIps[0].address' });
  });

  it('accepts service addresses on boot subnets under replacement, prefix or not', () => {
    assert.deepEqual(verify(REPLACEMENT).problems(), []);
  });

  it('reports a replacement service address on no boot subnet', () => {
    const text = edit(REPLACEMENT, ['address: 10.0.1.10 }', 'address: 10.0.7.10 }']);
    const d = verify(text).expect('ipat-replacement-subnet', {
      path: 'resources.serviceIps[0].address',
    });
    assert.match(d.message, /is on no boot subnet of net_ether_01/);
  });

  it('reports a node with no interface on the replacement service subnet', () => {
    const text = edit(REPLACEMENT, [
      NODE2_ETH0,
      '{ network: net_ether_01, device: eth0, address: 10.0.3.2/24 }',
    ]);
    const d = verify(text).expect('ipat-replacement-subnet', {
      path: 'resources.serviceIps[0].address',
    });
    assert.match(
      d.message,
      /no interface of node2 on net_ether_01 is \(node2-eth0: 10\.0\.3\.0\/24 and node2-eth1: 10\.0\.2\.0\/24\)/,
    );
  });

  it('warns about a node with no standby interface under replacement, once', () => {
    const text = edit(
      REPLACEMENT,
      [NODE2_ETH1, ''],
      ['address: 10.0.2.11/24 }', 'address: 10.0.1.11/24 }'],
    );
    const r = verify(text);
    const d = r.expect('ipat-replacement-no-standby', {
      path: 'nodes[1].interfaces[0]',
      severity: 'warning',
      line: lineOf(text, NODE2_ETH0),
    });
    assert.match(d.message, /node2 has one interface on net_ether_01/);
    r.expectNone('spof-single-adapter');
    r.expectOnly('ipat-replacement-no-standby');
  });
});

describe('ipat: boot addresses and persistent labels', () => {
  it('reports two boot interfaces of a node on one subnet', () => {
    const text = edit(BASELINE, [
      NODE2_ETH1,
      '      - { network: net_ether_01, device: eth1, address: 10.0.1.3/24 }\n',
    ]);
    const d = verify(text).expect('boot-subnet-shared', { path: 'nodes[1].interfaces[1].address' });
    assert.match(d.message, /node2 would have two routes to 10\.0\.1\.0\/24/);
  });

  it('accepts the same subnets on different nodes', () => {
    verify(BASELINE).expectNone('boot-subnet-shared');
  });

  it('reports a persistent label on a boot subnet', () => {
    const text = edit(BASELINE, ['address: 10.0.8.1/24 }', 'address: 10.0.2.100/24 }']);
    verify(text).expect('persistent-label-subnet', {
      path: 'nodes[0].persistentLabels[0].address',
      message: /boot subnet 10\.0\.2\.0\/24 of node1-eth1/,
    });
  });

  it('reports a persistent label on a diskhb network, or where the node has no interface', () => {
    const diskhb = edit(BASELINE, [
      '{ network: net_ether_01, address: 10.0.8.1/24 }',
      '{ network: net_diskhb_01, address: 10.0.8.1/24 }',
    ]);
    verify(diskhb).expect('persistent-label-not-ether', {
      path: 'nodes[0].persistentLabels[0].network',
    });

    const text = edit(
      BASELINE,
      [
        '  - name: net_diskhb_01\n',
        '  - { name: net_ether_03, type: ether }\n  - name: net_diskhb_01\n',
      ],
      [
        '{ network: net_ether_01, address: 10.0.8.1/24 }',
        '{ network: net_ether_03, address: 10.0.8.1/24 }',
      ],
    );
    verify(text).expect('persistent-label-no-interface', {
      path: 'nodes[0].persistentLabels[0].network',
    });
  });

  it('reports a persistent label of the wrong family', () => {
    const text = edit(BASELINE, ['address: 10.0.8.1/24 }', 'address: fd00::8:1/64 }']);
    verify(text).expect('persistent-label-family', {
      path: 'nodes[0].persistentLabels[0].address',
    });
  });
});
