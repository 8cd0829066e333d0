// The local adapter monitor against a fake /sys/class/net tree in a temporary directory: the
// sysfs reading itself, the debounce, one swap per failure, the choice of target, and a service
// address stranded until another interface comes up.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { parseClusterDefinition } from '../../core/config/load.js';
import type { ClusterConfig } from '../../core/config/model.js';
import { baseDefinition } from '../../core/config/fixtures.test-helper.js';
import { VirtualTime } from '../../sim/virtual-time.js';
import { AdapterMonitor, sysfsLinkReader } from './adapters.js';

/** The base definition, node1 with a second interface (eth2) on net_a; `ipat` for net_a. */
function config(ipat: 'alias' | 'replacement' = 'alias', eth2Boot = true): ClusterConfig {
  const d = baseDefinition() as {
    networks: Record<string, unknown>[];
    nodes: { interfaces: Record<string, unknown>[] }[];
  };
  const netA = d.networks[0];
  assert.ok(netA);
  netA['ipat'] = ipat;
  d.nodes[0]?.interfaces.splice(1, 0, {
    network: 'net_a',
    device: 'eth2',
    ...(eth2Boot ? { address: '192.0.2.101/24' } : {}),
  });
  const r = parseClusterDefinition(stringify(d), 'test.yaml', { verify: false });
  assert.ok(r.config, r.diagnostics.map((x) => x.message).join('\n'));
  return r.config;
}

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'haven-adapters-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let trees = 0;
/** A fresh fake /sys/class/net with eth0, eth1, eth2 up. */
async function sysTree(): Promise<{
  dir: string;
  set(dev: string, operstate: string, carrier?: string): Promise<void>;
}> {
  const dir = join(root, String(trees++));
  const set = async (dev: string, operstate: string, carrier?: string): Promise<void> => {
    await mkdir(join(dir, dev), { recursive: true });
    await writeFile(join(dir, dev, 'operstate'), `${operstate}\n`);
    // An administratively down link has a carrier file that cannot be read (EINVAL): here,
    // a missing file stands for it.
    await rm(join(dir, dev, 'carrier'), { force: true });
    if (carrier !== undefined) await writeFile(join(dir, dev, 'carrier'), `${carrier}\n`);
  };
  for (const dev of ['eth0', 'eth1', 'eth2']) await set(dev, 'up', '1');
  return { dir, set };
}

async function setup(cfg = config()) {
  const sys = await sysTree();
  /** The service addresses on each device, as the resource manager would report them. */
  const held = new Map<string, string[]>();
  const lookups: string[] = [];
  const swaps: string[] = [];
  const logs: string[] = [];
  const m = new AdapterMonitor({
    config: cfg,
    node: 'node1',
    resources: {
      serviceAddressesOn: (dev) => {
        lookups.push(dev);
        return Promise.resolve(held.get(dev) ?? []);
      },
    },
    timers: new VirtualTime(),
    readLink: sysfsLinkReader(sys.dir),
    onSwap: (network, d) => swaps.push(`${network} ${d.from} -> ${d.to}`),
    log: (level, msg) => logs.push(`${level}: ${msg}`),
  });
  return { sys, held, lookups, swaps, logs, m };
}

describe('sysfsLinkReader', () => {
  it('is up with operstate up and carrier, down otherwise, saying why', async () => {
    const sys = await sysTree();
    const read = sysfsLinkReader(sys.dir);
    assert.deepEqual(await read('eth0'), { up: true, why: 'operstate up' });
    await sys.set('eth0', 'down');
    assert.deepEqual(await read('eth0'), { up: false, why: 'operstate down' });
    await sys.set('eth0', 'lowerlayerdown', '0');
    assert.equal((await read('eth0')).up, false);
    // dummy and tun devices say "unknown" for ever: the carrier decides.
    await sys.set('eth0', 'unknown', '1');
    assert.equal((await read('eth0')).up, true);
    await sys.set('eth0', 'unknown', '0');
    assert.deepEqual(await read('eth0'), { up: false, why: 'operstate unknown, no carrier' });
    await sys.set('eth0', 'unknown');
    assert.equal((await read('eth0')).up, false);
    assert.deepEqual(await read('eth9'), { up: false, why: 'does not exist' });
  });

  it('reads the host: lo exists and is not reported missing', async () => {
    assert.notEqual((await sysfsLinkReader()('lo')).why, 'does not exist');
  });
});

describe('the adapter monitor', () => {
  it("watches this node's ether interfaces only, at the heartbeat interval", async () => {
    const { m } = await setup();
    assert.deepEqual(m.interfaces, ['node1-eth0', 'node1-eth2', 'node1-eth1']);
    assert.equal(m.intervalMs, 200);
  });

  it('queues one swap_adapter for a failed interface holding a service address, to the live one', async () => {
    const { sys, held, lookups, swaps, logs, m } = await setup();
    held.set('eth0', ['svc (203.0.113.10)']);
    await m.poll();
    await sys.set('eth0', 'down');
    await m.poll();
    // Down for less than an interval: nothing yet, not even a lookup.
    assert.deepEqual(swaps, []);
    assert.deepEqual(lookups, []);
    await m.poll();
    assert.deepEqual(swaps, ['net_a node1-eth0 -> node1-eth2']);
    assert.deepEqual(lookups, ['eth0']);
    assert.ok(logs.includes('warn: interface is down'), logs.join('\n'));
    // Pending: not again while it stays down.
    for (let i = 0; i < 3; i++) await m.poll();
    assert.equal(swaps.length, 1);
    assert.deepEqual(lookups, ['eth0']);
    // Back up, down again: a new failure, a new swap (the address is back on eth0 here).
    await sys.set('eth0', 'up', '1');
    await m.poll();
    assert.ok(logs.includes('info: interface is up again'));
    await sys.set('eth0', 'down');
    await m.poll();
    await m.poll();
    assert.equal(swaps.length, 2);
  });

  it('ignores a flap shorter than an interval', async () => {
    const { sys, held, lookups, swaps, m } = await setup();
    held.set('eth0', ['svc (203.0.113.10)']);
    await m.poll();
    await sys.set('eth0', 'up', '0');
    await m.poll();
    await sys.set('eth0', 'up', '1');
    await m.poll();
    await m.poll();
    assert.deepEqual(swaps, []);
    assert.deepEqual(lookups, []);
  });

  it('only logs a failed interface without a service address, asking once', async () => {
    const { sys, lookups, swaps, logs, m } = await setup();
    await sys.set('eth2', 'down');
    for (let i = 0; i < 4; i++) await m.poll();
    assert.deepEqual(swaps, []);
    assert.deepEqual(lookups, ['eth2']);
    assert.deepEqual(logs, ['warn: interface is down']);
  });

  it('keeps a stranded address in mind and moves it when another interface comes up', async () => {
    const { sys, held, swaps, logs, m } = await setup();
    held.set('eth0', ['svc (203.0.113.10)']);
    await sys.set('eth2', 'down');
    await m.poll();
    await m.poll();
    await sys.set('eth0', 'down');
    await m.poll();
    await m.poll();
    await m.poll();
    assert.deepEqual(swaps, []);
    assert.equal(logs.filter((l) => l.startsWith('error: a failed interface holds')).length, 1);
    // eth1 coming up is on another network: no use.
    await sys.set('eth1', 'down');
    await m.poll();
    await m.poll();
    await sys.set('eth1', 'up', '1');
    await m.poll();
    assert.deepEqual(swaps, []);
    await sys.set('eth2', 'up', '1');
    await m.poll();
    assert.deepEqual(swaps, ['net_a node1-eth0 -> node1-eth2']);
  });

  it('with IPAT by replacement, moves only to an interface with a boot address', async () => {
    const { sys, held, swaps, logs, m } = await setup(config('replacement', false));
    held.set('eth0', ['svc (203.0.113.10)']);
    await sys.set('eth0', 'down');
    await m.poll();
    await m.poll();
    assert.deepEqual(swaps, []);
    assert.ok(logs.some((l) => l.startsWith('error: a failed interface holds')));
  });

  it('a failing lookup is logged and queues nothing', async () => {
    const sys = await sysTree();
    const logs: string[] = [];
    const swaps: string[] = [];
    const m = new AdapterMonitor({
      config: config(),
      node: 'node1',
      resources: { serviceAddressesOn: () => Promise.reject(new Error('ip: boom')) },
      timers: new VirtualTime(),
      readLink: sysfsLinkReader(sys.dir),
      onSwap: (n, d) => swaps.push(`${n} ${d.from}`),
      log: (level, msg) => logs.push(`${level}: ${msg}`),
    });
    await sys.set('eth0', 'down');
    await m.poll();
    await m.poll();
    assert.deepEqual(swaps, []);
    assert.ok(
      logs.includes('error: cannot tell which service addresses are on a failed interface'),
    );
  });

  it('polls on its timers once started, and stops', async () => {
    const sys = await sysTree();
    const time = new VirtualTime();
    const swaps: string[] = [];
    const m = new AdapterMonitor({
      config: config(),
      node: 'node1',
      resources: { serviceAddressesOn: () => Promise.resolve(['svc (203.0.113.10)']) },
      timers: time,
      readLink: sysfsLinkReader(sys.dir),
      onSwap: (n, d) => swaps.push(`${n} ${d.from} -> ${d.to}`),
      log: () => undefined,
    });
    await sys.set('eth0', 'down');
    m.start();
    // Each round reads files (real I/O): let it finish before the virtual clock moves on.
    for (let i = 0; i < 3 && swaps.length === 0; i++) {
      time.advance(m.intervalMs);
      await new Promise((r) => setTimeout(r, 50));
    }
    await m.stop();
    assert.deepEqual(swaps, ['net_a node1-eth0 -> node1-eth2']);
  });
});
