// The service IP agent against real interfaces: node "a" (eth0, eth1) and node "b" (eth0) in
// network namespaces of their own, all plugged into one bridge in a third namespace. Nothing
// here touches the host's interfaces: every command runs with `ip -n` / `ip netns exec`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  InterfaceDef,
  PersistentLabelDef,
  ServiceIpResource,
} from '../../core/config/model.js';
import { parseCidr, parseIp } from '../../core/net/ip.js';
import { NetnsLab, namespacesWithPrefix, netnsUnavailable } from '../../testing/netns.js';
import type { AgentCommand } from './agent.js';
import { AgentError } from './agent.js';
import { agentContract } from './contract.test-helper.js';
import { runHalt } from './halt.test-helper.js';
import { ServiceIpAgent } from './service-ip.js';

const skip = await netnsUnavailable();
const prefixes: string[] = [];
const BOGUS_MAC = '02:00:00:00:00:01';

function cidr(text: string) {
  const c = parseCidr(text);
  assert.ok(c, text);
  return c;
}

function iface(name: string, device: string, boot: string | undefined): InterfaceDef {
  return {
    at: ['nodes', 0, 'interfaces', name],
    name,
    node: 'a',
    network: 'net1',
    device,
    address: boot === undefined ? undefined : cidr(boot),
    slot: undefined,
  };
}

function service(name: string, address: string): ServiceIpResource {
  const bare = parseIp(address);
  const ip = bare
    ? { cidr: { address: bare, prefix: bare.family === 4 ? 32 : 128 }, prefixGiven: false }
    : { cidr: cidr(address), prefixGiven: true };
  return {
    at: ['resources', name],
    kind: 'serviceIp',
    name,
    network: 'net1',
    address,
    ip,
    arp: true,
  };
}

const LABEL: PersistentLabelDef = {
  at: ['nodes', 0, 'persistentLabels', 0],
  name: 'a_admin',
  node: 'a',
  network: 'net1',
  address: cidr('10.77.3.1/24'),
};

interface Topo {
  readonly lab: NetnsLab;
  readonly a: string;
  readonly b: string;
  /** Addresses of namespace `ns` by device, as "address/prefix". */
  addrs(ns: string): Promise<Map<string, string[]>>;
  mac(ns: string, dev: string): Promise<string>;
  /** b's neighbour entry for `ip` (its MAC), or undefined. */
  neigh(ip: string): Promise<string | undefined>;
}

/** a: eth0 10.77.1.1/24 (+ persistent label 10.77.3.1), eth1 10.77.2.1/24; b: eth0 10.77.1.2/24. */
async function topology(lab: NetnsLab): Promise<Topo> {
  prefixes.push(lab.prefix);
  const sw = await lab.namespace('sw');
  await lab.bridge(sw, 'br0');
  const a = await lab.namespace('a');
  const b = await lab.namespace('b');
  await lab.plug(a, 'eth0', sw, 'br0');
  await lab.plug(a, 'eth1', sw, 'br0');
  await lab.plug(b, 'eth0', sw, 'br0');
  await lab.ip(a, ['addr', 'add', '10.77.1.1/24', 'dev', 'eth0']);
  await lab.ip(a, ['addr', 'add', '10.77.3.1/24', 'dev', 'eth0', 'label', 'eth0:p']);
  await lab.ip(a, ['addr', 'add', '10.77.2.1/24', 'dev', 'eth1']);
  await lab.ip(b, ['addr', 'add', '10.77.1.2/24', 'dev', 'eth0']);
  return {
    lab,
    a,
    b,
    async addrs(ns) {
      const data = JSON.parse(await lab.ip(ns, ['-j', 'addr', 'show'])) as {
        ifname: string;
        addr_info: { family: string; local: string; prefixlen: number; label?: string }[];
      }[];
      return new Map(
        data.map((l) => [
          l.ifname,
          l.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`),
        ]),
      );
    },
    async mac(ns, dev) {
      const [l] = JSON.parse(await lab.ip(ns, ['-j', 'link', 'show', 'dev', dev])) as {
        address: string;
      }[];
      assert.ok(l);
      return l.address;
    },
    async neigh(ip) {
      const rows = JSON.parse(await lab.ip(b, ['-j', 'neigh', 'show', ip])) as {
        lladdr?: string;
      }[];
      return rows[0]?.lladdr;
    },
  };
}

/** Where `ip` is in namespace ns: the devices holding it. */
async function where(t: Topo, ns: string, ip: string): Promise<string[]> {
  const out: string[] = [];
  for (const [dev, list] of await t.addrs(ns)) {
    if (list.some((x) => x.startsWith(`${ip}/`))) out.push(dev);
  }
  return out;
}

/** b caches `ip` at a MAC nobody has, as a client would after the previous holder left. */
async function staleNeighbour(t: Topo, ip: string): Promise<void> {
  await t.lab.ip(t.b, ['neigh', 'replace', ip, 'lladdr', BOGUS_MAC, 'dev', 'eth0', 'nud', 'stale']);
  assert.equal(await t.neigh(ip), BOGUS_MAC);
}

/** b's entry for `ip` becomes `mac` (bounded wait: the ARP is processed asynchronously). */
async function expectNeighbour(t: Topo, ip: string, mac: string): Promise<void> {
  let seen: string | undefined;
  for (let i = 0; i < 40; i++) {
    seen = await t.neigh(ip);
    if (seen === mac) return;
    await sleep(50);
  }
  assert.equal(seen, mac, `b's neighbour entry for ${ip}`);
}

/** Waits (bounded) until a command containing `what` has been reported. */
async function reported(seen: readonly AgentCommand[], what: string): Promise<void> {
  for (let i = 0; i < 100 && !seen.some((c) => c.command.includes(what)); i++) await sleep(50);
}

function recorder(): { seen: AgentCommand[]; ctx: { onCommand: (c: AgentCommand) => void } } {
  const seen: AgentCommand[] = [];
  return { seen, ctx: { onCommand: (c) => seen.push(c) } };
}

describe('service IP agent, IPAT by aliasing (network namespaces)', { skip }, () => {
  const lab = NetnsLab.create();
  let t: Topo;
  const candidates = [
    iface('a_en0', 'eth0', '10.77.1.1/24'),
    iface('a_en1', 'eth1', '10.77.2.1/24'),
  ];
  const agent = (address: string, interfaces = candidates): ServiceIpAgent => {
    return new ServiceIpAgent({
      resource: service('svc', address),
      ipat: 'alias',
      interfaces,
      persistentLabels: [LABEL],
      netns: t.a,
      arpCount: 1,
    });
  };

  before(async () => {
    t = await topology(lab);
  });
  after(async () => {
    await lab.destroy();
  });

  agentContract({
    make: () => agent('10.77.9.10/24'),
    isOnline: async () => (await where(t, t.a, '10.77.9.10')).length > 0,
    makeFailing: () => agent('10.77.9.11/24', [iface('a_en9', 'nosuch0', '10.77.5.1/24')]),
  });

  it('start puts the address on the first live interface with its label, and a neighbour learns the new MAC from the gratuitous ARP', async () => {
    const a = agent('10.77.9.20/24');
    await staleNeighbour(t, '10.77.9.20');
    const { seen, ctx } = recorder();
    try {
      await a.start(ctx);
      const [l] = JSON.parse(await t.lab.ip(t.a, ['-j', 'addr', 'show', 'dev', 'eth0'])) as {
        addr_info: { local: string; label?: string }[];
      }[];
      const entry = l?.addr_info.find((x) => x.local === '10.77.9.20');
      assert.equal(entry?.label, 'eth0:20');
      await expectNeighbour(t, '10.77.9.20', await t.mac(t.a, 'eth0'));
      // arping goes on in the background after its first packet: it is reported when it ends.
      await reported(seen, 'arping');
      const cmds = seen.map((c) => c.command);
      assert.ok(
        cmds.includes(`ip netns exec ${t.a} arping -U -c 1 -I eth0 -s 10.77.9.20 10.77.9.20`),
        cmds.join('\n'),
      );
      for (const c of seen) assert.equal(c.op, 'start');
    } finally {
      await a.stop();
    }
  });

  it('a second start finds the address in place and changes nothing', async () => {
    const a = agent('10.77.9.21/24');
    try {
      await a.start();
      const { seen, ctx } = recorder();
      await a.start(ctx);
      assert.deepEqual(
        seen.map((c) => c.command),
        [`ip -n ${t.a} -j addr show`, `ip -n ${t.a} -j addr show`],
      );
      assert.deepEqual(await where(t, t.a, '10.77.9.21'), ['eth0']);
    } finally {
      await a.stop();
    }
  });

  it('start moves the address from another interface of the node', async () => {
    // x0 is an interface of the node that is no candidate of the service IP's network.
    await t.lab.veth(t.a, 'x0', t.a, 'x1');
    try {
      await t.lab.ip(t.a, ['addr', 'add', '10.77.9.22/24', 'dev', 'x0']);
      const a = agent('10.77.9.22/24');
      assert.equal((await a.monitor()).state, 'running'); // on a live interface, just not ours
      await a.start();
      assert.deepEqual(await where(t, t.a, '10.77.9.22'), ['eth0']);
      await a.stop();
      assert.deepEqual(await where(t, t.a, '10.77.9.22'), []);
    } finally {
      await t.lab.ip(t.a, ['link', 'del', 'x0']);
    }
  });

  it('monitor says failed when the interface is down, and start then moves the address to a live one', async () => {
    const a = agent('10.77.9.23/24');
    try {
      await a.start();
      await t.lab.ip(t.a, ['link', 'set', 'eth0', 'down']);
      const m = await a.monitor();
      assert.ok(m.state === 'failed', m.state);
      assert.match(m.reason, /eth0.*administratively down/);
      await a.start();
      assert.deepEqual(await where(t, t.a, '10.77.9.23'), ['eth1']);
      assert.equal((await a.monitor()).state, 'running');
    } finally {
      await t.lab.ip(t.a, ['link', 'set', 'eth0', 'up']);
      await a.stop();
    }
  });

  it('swap moves the address to the other interface (add, ARP, then delete) and the neighbour follows', async () => {
    const a = agent('10.77.9.24/24');
    try {
      await a.start();
      await staleNeighbour(t, '10.77.9.24');
      const { seen, ctx } = recorder();
      await a.swap(undefined, ctx);
      assert.deepEqual(await where(t, t.a, '10.77.9.24'), ['eth1']);
      await expectNeighbour(t, '10.77.9.24', await t.mac(t.a, 'eth1'));
      await reported(seen, 'arping');
      // In the order they started (arping is reported when it ends, in the background).
      const cmds = [...seen].sort((x, y) => x.startedAtMs - y.startedAtMs).map((c) => c.command);
      const add = cmds.indexOf(`ip -n ${t.a} addr add 10.77.9.24/24 dev eth1 label eth1:24`);
      const arp = cmds.findIndex((c) => c.includes('arping -U'));
      const del = cmds.indexOf(`ip -n ${t.a} addr del 10.77.9.24/24 dev eth0`);
      assert.ok(add >= 0 && add < arp && arp < del, cmds.join('\n'));
      // Back by name; swapping to where it already is changes nothing.
      await a.swap('a_en0');
      assert.deepEqual(await where(t, t.a, '10.77.9.24'), ['eth0']);
      await a.swap('eth0');
      assert.deepEqual(await where(t, t.a, '10.77.9.24'), ['eth0']);
      await assert.rejects(a.swap('eth7'), /not an interface of this node on network net1/);
    } finally {
      await a.stop();
    }
  });

  it('refuses to remove a persistent label or a boot address, and leaves them in place', async () => {
    for (const [address, what] of [
      ['10.77.3.1/24', /persistent label a_admin/],
      ['10.77.2.1/24', /boot address/],
    ] as const) {
      const a = agent(address);
      const check = (op: string) => (e: unknown) => {
        assert.ok(e instanceof AgentError, String(e));
        assert.equal(e.details.op, op);
        assert.match(e.details.reason, what);
        return true;
      };
      await assert.rejects(a.start(), check('start'));
      await assert.rejects(a.stop(), check('stop'));
      assert.equal((await where(t, t.a, address.split('/')[0] ?? '')).length, 1);
      assert.match((await a.validate()).join('\n'), what);
    }
  });

  it('stopping an address keeps the other addresses of its subnet (deleting a primary would take its secondaries along)', async () => {
    await t.lab.exec(t.a, ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.promote_secondaries=0']);
    const first = agent('10.77.8.10/24');
    const second = agent('10.77.8.11/24');
    try {
      await first.start();
      await second.start();
      await first.stop();
      assert.deepEqual(await where(t, t.a, '10.77.8.11'), ['eth0']);
      assert.equal((await second.monitor()).state, 'running');
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('a failing arping is reported in the trace but does not fail the start', async () => {
    // An interface without ARP: arping refuses it ("not ARPable") and exits 2.
    await t.lab.ip(t.a, ['link', 'set', 'eth1', 'arp', 'off']);
    const a = agent('10.77.9.25/24', [iface('a_en1', 'eth1', '10.77.2.1/24')]);
    const { seen, ctx } = recorder();
    try {
      await a.start(ctx);
      assert.deepEqual(await where(t, t.a, '10.77.9.25'), ['eth1']);
      await reported(seen, 'arping');
      const arping = seen.find((c) => c.command.includes('arping'));
      assert.ok(arping, seen.map((c) => c.command).join('\n'));
      assert.notEqual(arping.exitCode, 0);
      assert.match(arping.stdout + arping.stderr, /not ARPable/);
    } finally {
      await t.lab.ip(t.a, ['link', 'set', 'eth1', 'arp', 'on']);
      await a.stop();
    }
  });

  it('an aborted operation rejects with an AgentError and runs nothing', async () => {
    const a = agent('10.77.9.26/24');
    const { seen, ctx } = recorder();
    const signal = AbortSignal.abort(new Error('shutdown'));
    await assert.rejects(a.start({ ...ctx, signal }), (e: unknown) => {
      assert.ok(e instanceof AgentError, String(e));
      assert.equal(e.details.op, 'start');
      assert.match(e.details.reason, /could not run/);
      return true;
    });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.exitCode, null);
    assert.deepEqual(await where(t, t.a, '10.77.9.26'), []);
  });

  it('halt commands delete the address; on a stopped resource they change nothing', async () => {
    const a = agent('10.77.9.27/24');
    await a.start();
    await runHalt(a.haltCommands());
    assert.equal((await a.monitor()).state, 'stopped');
    assert.deepEqual(await where(t, t.a, '10.77.9.27'), []);
    const before = await t.addrs(t.a);
    await runHalt(a.haltCommands());
    assert.deepEqual(await t.addrs(t.a), before);
  });

  it('validate reports a device that does not exist', async () => {
    const problems = await agent('10.77.9.30/24', [
      iface('a_en9', 'nosuch0', '10.77.5.1/24'),
    ]).validate();
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0] ?? '', /a_en9 names device nosuch0, which does not exist/);
  });
});

describe('service IP agent, IPAT by replacement (network namespaces)', { skip }, () => {
  const lab = NetnsLab.create();
  let t: Topo;
  const candidates = [
    iface('a_en0', 'eth0', '10.77.1.1/24'),
    iface('a_en1', 'eth1', '10.77.2.1/24'),
  ];
  const agent = (address: string): ServiceIpAgent =>
    new ServiceIpAgent({
      resource: service('svc', address),
      ipat: 'replacement',
      interfaces: candidates,
      persistentLabels: [LABEL],
      netns: t.a,
      arpCount: 1,
    });
  const defaultRoute = async (): Promise<string> =>
    (await t.lab.ip(t.a, ['route', 'show', 'default'])).trim();

  before(async () => {
    t = await topology(lab);
    await t.lab.ip(t.a, ['route', 'add', 'default', 'via', '10.77.1.254', 'dev', 'eth0']);
  });
  after(async () => {
    await lab.destroy();
  });

  agentContract({
    make: () => agent('10.77.1.10'),
    isOnline: async () => (await where(t, t.a, '10.77.1.10')).length > 0,
  });

  it('start replaces the boot address (keeping the routes through it), stop puts it back', async () => {
    const a = agent('10.77.1.10');
    const route = await defaultRoute();
    assert.match(route, /via 10\.77\.1\.254/);
    try {
      await a.start();
      const eth0 = (await t.addrs(t.a)).get('eth0');
      assert.deepEqual(
        eth0?.filter((x) => x.startsWith('10.77.1.')),
        ['10.77.1.10/24'],
      );
      assert.ok(eth0.includes('10.77.3.1/24'), 'the persistent label stays');
      assert.equal(await defaultRoute(), route);
      await a.stop();
      const back = (await t.addrs(t.a)).get('eth0');
      assert.deepEqual(
        back?.filter((x) => x.startsWith('10.77.1.')),
        ['10.77.1.1/24'],
      );
      assert.equal(await defaultRoute(), route);
    } finally {
      await a.stop();
    }
  });

  it('swap takes the other interface, whose boot address gives way, and gives eth0 its boot back', async () => {
    const a = agent('10.77.1.10');
    try {
      await a.start();
      await a.swap();
      const m = await t.addrs(t.a);
      assert.deepEqual(m.get('eth1'), ['10.77.1.10/24']);
      assert.ok(m.get('eth0')?.includes('10.77.1.1/24'));
      await a.stop();
      const after = await t.addrs(t.a);
      assert.deepEqual(after.get('eth1'), ['10.77.2.1/24']);
      assert.deepEqual(after.get('eth0')?.sort(), ['10.77.1.1/24', '10.77.3.1/24']);
    } finally {
      await a.stop();
    }
  });

  it('halt commands put the boot address back, then delete the service address (routes kept)', async () => {
    const a = agent('10.77.1.10');
    const route = await defaultRoute();
    try {
      await a.start();
      assert.deepEqual(await where(t, t.a, '10.77.1.1'), []);
      // The boot comes back as a secondary of the service address, which deleting the
      // primary would take along: the halt must set promote_secondaries itself.
      await t.lab.exec(t.a, ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.promote_secondaries=0']);
      await runHalt(a.haltCommands());
      assert.equal((await a.monitor()).state, 'stopped');
      const eth0 = (await t.addrs(t.a)).get('eth0');
      assert.deepEqual(
        eth0?.filter((x) => x.startsWith('10.77.1.')),
        ['10.77.1.1/24'],
      );
      assert.ok(eth0.includes('10.77.3.1/24'), 'the persistent label stays');
      assert.equal(await defaultRoute(), route);
    } finally {
      await a.stop();
    }
  });

  it('halt commands after a swap restore the boot of the interface that held it, and touch nothing else', async () => {
    const a = agent('10.77.1.10');
    try {
      await a.start();
      await a.swap();
      const before = await t.addrs(t.a);
      assert.deepEqual(before.get('eth1'), ['10.77.1.10/24']);
      // The service address is eth1's only address: deleting it before the boot is back
      // would make the kernel flush every route through eth1.
      await t.lab.ip(t.a, ['route', 'add', '10.77.50.0/24', 'dev', 'eth1']);
      await runHalt(a.haltCommands());
      assert.equal((await a.monitor()).state, 'stopped');
      const after = await t.addrs(t.a);
      assert.deepEqual(after.get('eth1'), ['10.77.2.1/24']);
      assert.deepEqual(after.get('eth0'), before.get('eth0'));
      assert.match(await t.lab.ip(t.a, ['route', 'show', '10.77.50.0/24']), /dev eth1/);
      // Stopped: running them again changes nothing.
      await runHalt(a.haltCommands());
      assert.deepEqual(await t.addrs(t.a), after);
    } finally {
      await a.stop();
      await t.lab.ip(t.a, ['route', 'del', '10.77.50.0/24']).catch(() => '');
    }
  });

  it('halt commands quote the device name: one with a quote and $(...) in it is handled, for both kinds of IPAT', async () => {
    // Linux allows any character in an interface name but /, : and white space.
    const dev = `e'$(id)`;
    await t.lab.veth(t.a, dev, t.a, 'hp0');
    try {
      await t.lab.ip(t.a, ['addr', 'add', '10.77.6.1/24', 'dev', dev]);
      const interfaces = [iface('a_ev', dev, '10.77.6.1/24')];
      for (const ipat of ['alias', 'replacement'] as const) {
        const a = new ServiceIpAgent({
          resource: service('svc', '10.77.6.10'),
          ipat,
          interfaces,
          netns: t.a,
          arpCount: 0,
        });
        await a.start();
        assert.deepEqual(await where(t, t.a, '10.77.6.10'), [dev], ipat);
        await runHalt(a.haltCommands());
        assert.equal((await a.monitor()).state, 'stopped', ipat);
        assert.deepEqual((await t.addrs(t.a)).get(dev), ['10.77.6.1/24'], ipat);
      }
    } finally {
      await t.lab.ip(t.a, ['link', 'del', dev]);
    }
  });

  it('a stop retried after one that removed the service address but failed to restore the boot finishes the job', async () => {
    const a = agent('10.77.1.10');
    await a.start();
    await t.lab.ip(t.a, ['addr', 'del', '10.77.1.10/24', 'dev', 'eth0']);
    assert.deepEqual(await where(t, t.a, '10.77.1.1'), []);
    await a.stop();
    assert.deepEqual(await where(t, t.a, '10.77.1.1'), ['eth0']);
  });
});

describe('network namespace cleanup', { skip }, () => {
  it('no namespace of these tests is left behind', async () => {
    assert.equal(prefixes.length, 2);
    for (const p of prefixes) assert.deepEqual(await namespacesWithPrefix(p), []);
  });
});
