import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINE, edit, lineOf, verify } from './testing.js';

const NODE1_BOND = '      - { network: net_ether_02, device: bond0, address: 192.168.10.1/24 }\n';
const NODE2_BOND = '      - { network: net_ether_02, device: bond0, address: 192.168.10.2/24 }\n';
const NODE2_ETH1 = '      - { network: net_ether_01, device: eth1, address: 10.0.2.2/24 }\n';
const NET_ETHER_02 = '  - name: net_ether_02\n    type: ether\n';

describe('spof: networks', () => {
  it('warns when there is a single IP network', () => {
    const text = edit(BASELINE, [NET_ETHER_02, ''], [NODE1_BOND, ''], [NODE2_BOND, '']);
    const r = verify(text);
    r.expect('spof-single-ip-network', {
      path: 'networks[0]',
      severity: 'warning',
      line: lineOf(text, 'name: net_ether_01'),
    });
    r.expectOnly('spof-single-ip-network');
  });

  it('warns about a node with a single adapter on an IP network, per node and network', () => {
    const text = edit(BASELINE, [NODE2_ETH1, '']);
    const d = verify(text).expect('spof-single-adapter', {
      path: 'nodes[1].interfaces[0]',
      line: lineOf(text, '{ network: net_ether_01, device: eth0, address: 10.0.1.2/24 }'),
    });
    assert.match(d.message, /node2 has a single interface \(eth0\) on net_ether_01/);
    assert.equal(verify(text).all('spof-single-adapter').length, 1);
  });

  it('takes a bond for the several adapters it is', () => {
    verify(BASELINE).expectNone('spof-single-adapter');
    const text = edit(BASELINE, [
      NODE2_BOND,
      '      - { network: net_ether_02, device: eth2, address: 192.168.10.2/24 }\n',
    ]);
    verify(text).expect('spof-single-adapter', { path: 'nodes[1].interfaces[2]' });
  });
});

describe('spof: disk heartbeat', () => {
  it('warns about a two-node cluster without a disk heartbeat network', () => {
    const text = edit(
      BASELINE,
      ['  - name: net_diskhb_01\n    type: diskhb\n    heartbeat:\n      interval: 500ms\n', ''],
      [
        '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\n    persistentLabels:',
        '    persistentLabels:',
      ],
      ['      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\nresources:', 'resources:'],
    );
    const r = verify(text);
    const d = r.expect('spof-no-diskhb', { path: 'networks', severity: 'warning' });
    assert.match(d.message, /each believes the other dead, and both take the resources/);
    r.expectOnly('spof-no-diskhb');
  });

  it('warns about a node on no disk heartbeat network when others are', () => {
    const text = edit(BASELINE, [
      '      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\nresources:',
      'resources:',
    ]);
    const r = verify(text);
    r.expect('spof-node-no-diskhb', { path: 'nodes[1].interfaces' });
    r.expect('network-single-node', { path: 'networks[2].name' });
  });
});

describe('spof: votes', () => {
  const noTieBreaker = (text: string): string =>
    edit(text, ['quorum:\n  tieBreaker: { type: server, address: 203.0.113.250 }\n', '']);

  it('refuses two nodes of one vote each without a tie-breaker: failover could never happen', () => {
    const d = verify(noTieBreaker(BASELINE)).expect('two-node-no-tie-breaker', {
      path: 'nodes',
      severity: 'error',
    });
    assert.match(d.message, /node1 and node2 have 1 vote each/);
    assert.match(d.message, /cannot take over/);
    assert.match(d.hint ?? '', /quorum\.tieBreaker/);
    assert.doesNotMatch(d.hint ?? '', /votes: 2/);
  });

  const node = (n: number): string =>
    `  - name: node${n}\n    id: ${n}\n    interfaces:\n` +
    `      - { network: net_ether_01, device: eth0, address: 10.0.1.${n}/24 }\n` +
    `      - { network: net_ether_01, device: eth1, address: 10.0.2.${n}/24 }\n` +
    `      - { network: net_ether_02, device: bond0, address: 192.168.10.${n}/24 }\n` +
    `      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\n`;

  it('finds a tie in larger clusters, naming the halves', () => {
    const text = edit(noTieBreaker(BASELINE), ['resources:\n', node(3) + node(4) + 'resources:\n']);
    const d = verify(text).expect('quorum-tie', { severity: 'warning' });
    assert.match(
      d.message,
      /^the votes total 4: with node\d, node\d on one side of a split and node\d, node\d on the other/,
    );
    // A fifth node makes the total odd; a tie-breaker settles the halves.
    verify(edit(text, ['resources:\n', node(5) + 'resources:\n'])).expectNone('quorum-tie');
    verify(edit(BASELINE, ['resources:\n', node(3) + node(4) + 'resources:\n'])).expectNone(
      'quorum-tie',
    );
  });

  it('accepts an odd total, and an even total with no exact half', () => {
    verify(BASELINE).expectNone('two-node-no-tie-breaker');
    const odd = edit(noTieBreaker(BASELINE), ['    id: 1\n', '    id: 1\n    votes: 2\n']);
    verify(odd).expectNone('two-node-no-tie-breaker');
    const noHalf = edit(
      noTieBreaker(BASELINE),
      ['    id: 1\n', '    id: 1\n    votes: 4\n'],
      ['  - name: node2\n    id: 2\n', '  - name: node2\n    id: 2\n    votes: 2\n'],
    );
    verify(noHalf).expectNone('two-node-no-tie-breaker');
    verify(noHalf).expectNone('quorum-tie');
  });

  const disk = (text: string): string =>
    edit(text, [
      '{ type: server, address: 203.0.113.250 }',
      '{ type: disk, network: net_diskhb_01 }',
    ]);

  it('takes a disk tie-breaker on a diskhb network every node shares without a finding', () => {
    verify(disk(BASELINE)).expectOnly();
  });

  it('checks that a disk tie-breaker is on a diskhb network every node shares', () => {
    const onDisk = disk(BASELINE);
    verify(edit(onDisk, ['network: net_diskhb_01 }', 'network: net_ether_02 }'])).expect(
      'tie-breaker-network',
      { path: 'quorum.tieBreaker.network' },
    );
    verify(edit(onDisk, ['network: net_diskhb_01 }', 'network: nope }'])).expect(
      'tie-breaker-network',
    );
    const node2OffDisk = edit(onDisk, [
      '      - { network: net_ether_02, device: bond0, address: 192.168.10.2/24 }\n      - { network: net_diskhb_01, device: /dev/disk/by-id/hb }\n',
      '      - { network: net_ether_02, device: bond0, address: 192.168.10.2/24 }\n',
    ]);
    verify(node2OffDisk).expect('tie-breaker-node-not-on-disk', { path: 'nodes[1]' });
  });

  it('reports a cluster without votes', () => {
    const text = edit(
      BASELINE,
      ['    id: 1\n', '    id: 1\n    votes: 0\n'],
      ['  - name: node2\n    id: 2\n', '  - name: node2\n    id: 2\n    votes: 0\n'],
    );
    verify(text).expect('quorum-no-votes', { path: 'nodes', severity: 'error' });
  });
});
