// swap_adapter for real: node1's two interfaces (eth0, eth1) on one network, in a network
// namespace plugged into a bridge. The resource manager brings the group's service address up
// on eth0; `ip link set eth0 down`; the adapter monitor, reading the real link state, asks for
// the swap; the resource manager's swap moves the address to eth1, as the event node's
// swap_adapter step does. Every command runs with `ip -n`: nothing touches the host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { parseClusterDefinition } from '../../core/config/load.js';
import type { ClusterConfig } from '../../core/config/model.js';
import { NetnsLab, netnsUnavailable } from '../../testing/netns.js';
import { VirtualTime } from '../../sim/virtual-time.js';
import { AdapterMonitor, type LinkReader } from './adapters.js';
import { ResourceManager } from './resources.js';
import type { ResourceTrace } from './service.js';

const skip = await netnsUnavailable();

function config(): ClusterConfig {
  const text = stringify({
    cluster: { name: 'swap', id: 7 },
    tunables: { heartbeat: { interval: '200ms', sensitivity: 4 } },
    networks: [{ name: 'net_a', type: 'ether', ipat: 'alias' }],
    nodes: [
      {
        name: 'node1',
        id: 1,
        interfaces: [
          { network: 'net_a', device: 'eth0', address: '10.78.1.1/24' },
          { network: 'net_a', device: 'eth1', address: '10.78.1.101/24' },
        ],
      },
      {
        name: 'node2',
        id: 2,
        interfaces: [{ network: 'net_a', device: 'eth0', address: '10.78.1.2/24' }],
      },
    ],
    resources: { serviceIps: [{ name: 'svc', network: 'net_a', address: '10.78.1.50' }] },
    resourceGroups: [
      { name: 'rg', nodes: ['node1', 'node2'], policy: 'cascading', resources: ['svc'] },
    ],
  });
  const r = parseClusterDefinition(text, 'swap.yaml', { verify: false });
  assert.ok(r.config, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

describe('swap_adapter in a network namespace', { skip }, () => {
  const lab = NetnsLab.create();
  let ns = '';
  let rm: ResourceManager;
  const traces: ResourceTrace[] = [];
  const trace = (t: ResourceTrace): void => {
    traces.push(t);
  };

  /** The IPv4 addresses of each device of node1's namespace. */
  async function addrs(): Promise<Record<string, string[]>> {
    const data = JSON.parse(await lab.ip(ns, ['-j', 'addr', 'show'])) as {
      ifname: string;
      addr_info: { family: string; local: string }[];
    }[];
    return Object.fromEntries(
      data
        .filter((l) => l.ifname.startsWith('eth'))
        .map((l) => [l.ifname, l.addr_info.filter((a) => a.family === 'inet').map((a) => a.local)]),
    );
  }

  /** Link state from `ip -j link` in the namespace (sysfs shows the host's namespace). */
  const readLink: LinkReader = async (dev) => {
    const [l] = JSON.parse(await lab.ip(ns, ['-j', 'link', 'show', 'dev', dev])) as {
      flags: string[];
      operstate: string;
    }[];
    assert.ok(l);
    const up = l.flags.includes('UP') && l.flags.includes('LOWER_UP');
    return { up, why: `operstate ${l.operstate}` };
  };

  before(async () => {
    const sw = await lab.namespace('sw');
    await lab.bridge(sw, 'br0');
    ns = await lab.namespace('n1');
    await lab.plug(ns, 'eth0', sw, 'br0');
    await lab.plug(ns, 'eth1', sw, 'br0');
    await lab.ip(ns, ['addr', 'add', '10.78.1.1/24', 'dev', 'eth0']);
    await lab.ip(ns, ['addr', 'add', '10.78.1.101/24', 'dev', 'eth1']);
    rm = new ResourceManager({ config: config(), node: 'node1', netns: ns });
    assert.deepEqual(await rm.acquire(['rg'], trace), []);
    rm.holding(new Set(['rg']));
  });

  after(async () => {
    await lab.destroy();
  });

  it('the address starts on eth0, the first interface', async () => {
    assert.deepEqual(await addrs(), { eth0: ['10.78.1.1', '10.78.1.50'], eth1: ['10.78.1.101'] });
    assert.deepEqual(await rm.serviceAddressesOn('eth0'), ['svc (10.78.1.50)']);
    assert.deepEqual(await rm.serviceAddressesOn('eth1'), []);
  });

  it('eth0 down: the monitor asks for a swap to eth1, and the swap moves the address there', async () => {
    const swaps: { network: string; from: string; to: string }[] = [];
    const m = new AdapterMonitor({
      config: config(),
      node: 'node1',
      resources: rm,
      timers: new VirtualTime(),
      readLink,
      onSwap: (network, d) => swaps.push({ network, ...d }),
      log: () => undefined,
    });
    await m.poll();
    await lab.ip(ns, ['link', 'set', 'eth0', 'down']);
    await m.poll();
    assert.equal(swaps.length, 0);
    await m.poll();
    assert.deepEqual(swaps, [{ network: 'net_a', from: 'node1-eth0', to: 'node1-eth1' }]);
    const [s] = swaps;
    assert.ok(s);

    traces.length = 0;
    const r = await rm.swap(s.from, s.to, trace);
    assert.deepEqual(r, {
      moved: [{ resource: 'svc', address: '10.78.1.50', from: 'node1-eth0', to: 'node1-eth1' }],
      failed: [],
    });
    assert.deepEqual(await addrs(), { eth0: ['10.78.1.1'], eth1: ['10.78.1.101', '10.78.1.50'] });
    // The trace says what moved where, with the commands that did it.
    const [t] = traces;
    assert.ok(t);
    assert.equal(t.outcome, 'ok');
    assert.match(
      t.detail ?? '',
      /10\.78\.1\.50 moved from node1-eth0 \(eth0\) to node1-eth1 \(eth1\)/,
    );
    assert.ok(t.commands.some((c) => /addr add 10\.78\.1\.50\/24 dev eth1/.test(c.command)));
    assert.ok(t.commands.some((c) => /addr del 10\.78\.1\.50\/24 dev eth0/.test(c.command)));

    // Run again (a resumed event): nothing is on eth0 any more, nothing moves.
    assert.deepEqual(await rm.swap(s.from, s.to, trace), { moved: [], failed: [] });
    // Still pending for this failure: the monitor asks nothing more.
    await m.poll();
    assert.equal(swaps.length, 1);
  });

  it('a swap to an interface that is down fails, saying why, and leaves the address', async () => {
    // eth0 is still down from the test before.
    traces.length = 0;
    const r = await rm.swap('node1-eth1', 'node1-eth0', trace);
    assert.deepEqual(r.moved, []);
    assert.equal(r.failed.length, 1);
    assert.match(
      r.failed[0]?.reason ?? '',
      /cannot swap to node1-eth0: eth0 is administratively down/,
    );
    assert.equal(traces[0]?.outcome, 'failed');
    assert.deepEqual(await addrs(), { eth0: ['10.78.1.1'], eth1: ['10.78.1.101', '10.78.1.50'] });
  });

  it('rejects an interface that is not one of this node', async () => {
    await assert.rejects(
      rm.swap('eth9', undefined, trace),
      /eth9 is not an interface of node node1/,
    );
  });

  it('release still takes the address away from where the swap put it', async () => {
    await lab.ip(ns, ['link', 'set', 'eth0', 'up']);
    await lab.ip(ns, ['link', 'set', 'eth1', 'up']);
    assert.deepEqual(await rm.release(['rg'], trace), []);
    assert.deepEqual(await addrs(), { eth0: ['10.78.1.1'], eth1: ['10.78.1.101'] });
  });
});
