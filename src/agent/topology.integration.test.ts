// Topology services with real agent processes on loopback: three nodes, two IP networks and a
// disk heartbeat file. Waits are bounded liveness limits, not performance assertions: the
// benchmark (npm run bench:topology) measures how fast detection is.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { LocalCluster, nodeAddress, type AgentLine } from '../testing/local-cluster.js';
import { readKeyFile } from '../runtime/keyfile.js';
import { HmacSha256Authenticator } from '../runtime/hmac.js';
import { encodeHeartbeat } from '../core/heartbeat/wire.js';
import type { TopologyStatusReply } from '../cli/topology.js';
import { run } from '../cli/main.js';

// The shipped default timing (tunables.heartbeat): what administrators run.
const INTERVAL = 150;
const SENSITIVITY = 4;
const DETECTION = INTERVAL * SENSITIVITY;
/** A generous bound for anything that should happen within one detection window. */
const WITHIN = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('topology services with real agents', { timeout: 120_000 }, () => {
  let c: LocalCluster;
  const after_ = (t: number) => (l: AgentLine) => l.readAtMs >= t;
  const event =
    (observer: string, type: string, subject: string, network?: string, since = 0) =>
    (l: AgentLine) =>
      l.node === observer &&
      l.readAtMs >= since &&
      l.event?.type === type &&
      l.event.node === subject &&
      (network === undefined || l.event.network === network);
  const status = async (node: string): Promise<TopologyStatusReply> =>
    (await c.call(node, 'topology.status')) as TopologyStatusReply;
  const port = (): number => Number(/port: (\d+)/.exec(c.definition())?.[1]);

  before(async () => {
    c = await LocalCluster.create({ nodes: 3, intervalMs: INTERVAL, sensitivity: SENSITIVITY });
    await c.startAll();
    await c.waitConverged();
  });
  after(async () => {
    await c.destroy();
  });

  it('shows every peer up on every network in haven topology status', async () => {
    // The disk path comes up once a peer's counter has advanced (two disk rounds), possibly
    // after the IP paths: wait (bounded) until every path is up.
    const deadline = Date.now() + WITHIN;
    const allUp = (s: TopologyStatusReply): boolean =>
      s.heartbeat.topology.nodes.every((n) => n.networks.every((x) => x.state === 'up'));
    while (!allUp(await status('n1')) && Date.now() < deadline) await sleep(INTERVAL);
    let out = '';
    const code = await run(
      ['node', 'haven', 'topology', 'status', '--json', '--socket', c.socket('n1')],
      {
        out: (t) => (out += t),
        err: (t) => (out += t),
      },
    );
    assert.equal(code, 0, out);
    const s = JSON.parse(out) as TopologyStatusReply;
    assert.deepEqual(
      s.heartbeat.topology.nodes.map((n) => [
        n.node,
        n.state,
        n.networks.map((x) => `${x.network}:${x.state}`),
      ]),
      [
        ['n2', 'up', ['disk1:up', 'net1:up', 'net2:up']],
        ['n3', 'up', ['disk1:up', 'net1:up', 'net2:up']],
      ],
    );
    assert.ok(s.heartbeat.disks[0]!.stats.writes > 0);
  });

  it('explains that the agent is unreachable when no socket answers', async () => {
    let err = '';
    const code = await run(
      ['node', 'haven', 'topology', 'status', '--socket', join(c.dir, 'none.sock')],
      {
        out: () => undefined,
        err: (t) => (err += t),
      },
    );
    assert.equal(code, 1);
    assert.match(err, /is the Haven agent running/);
  });

  it('drops and counts forged, foreign, malformed and replayed packets', async () => {
    const key = await readKeyFile(join(c.dir, 'cluster.key'));
    const n2 = (await status('n1')).heartbeat.topology.nodes.find((n) => n.node === 'n2');
    const incarnation = BigInt(String(n2?.incarnation));
    const msg = { clusterId: 77, fromNode: 2, fromInterface: 1, network: 1, incarnation, seq: 1n };
    const packets = [
      encodeHeartbeat(msg, new HmacSha256Authenticator(new Uint8Array(32).fill(7))), // forged
      encodeHeartbeat({ ...msg, clusterId: 78 }, new HmacSha256Authenticator(key)), // another cluster
      new TextEncoder().encode('hello, are you a cluster?'), // garbage
      encodeHeartbeat(msg, new HmacSha256Authenticator(key)), // a replay of n2's first heartbeat
    ];
    const socket = createSocket('udp4');
    for (const p of packets) {
      await new Promise<void>((resolve, reject) => {
        socket.send(p, port(), nodeAddress(1, 1), (e) => {
          if (e) reject(e);
          else resolve();
        });
      });
    }
    socket.close();
    await sleep(200);
    const drops = (await status('n1')).heartbeat.drops;
    assert.equal(drops['bad-mac'], 1);
    assert.equal(drops['wrong-cluster'], 1);
    assert.equal(drops['bad-magic'] + drops['too-short'] + drops['too-long'], 1);
    assert.equal(drops.replayed, 1);
    // n1 still believes n2 for the right reasons.
    assert.equal((await status('n1')).heartbeat.topology.nodes[0]!.state, 'up');
  });

  it('reports one network down for a node whose interface is cut, and keeps the node up', async () => {
    const t = Date.now();
    await c.call('n2', 'test.close-interface', { interface: 'n2-eth0' });
    await c.waitFor(event('n1', 'network_down', 'n2', 'net1', t), WITHIN, 'n1: n2 down on net1');
    await c.waitFor(event('n3', 'network_down', 'n2', 'net1', t), WITHIN, 'n3: n2 down on net1');
    await sleep(3 * DETECTION);
    assert.equal(c.lines.filter((l) => after_(t)(l) && l.event?.type === 'node_down').length, 0);
    assert.equal(c.lines.filter((l) => after_(t)(l) && l.event?.network === 'net2').length, 0);
  });

  it('keeps a node up on the disk heartbeat alone when all its IP paths are cut', async () => {
    const t = Date.now();
    await c.call('n2', 'test.close-interface', { interface: 'n2-eth1' });
    await c.waitFor(event('n1', 'network_down', 'n2', 'net2', t), WITHIN, 'n1: n2 down on net2');
    await sleep(3 * DETECTION);
    assert.equal(c.lines.filter((l) => after_(t)(l) && l.event?.type === 'node_down').length, 0);
    const n2 = (await status('n1')).heartbeat.topology.nodes.find((n) => n.node === 'n2')!;
    assert.equal(n2.state, 'up');
    assert.deepEqual(
      n2.networks.map((x) => `${x.network}:${x.state}`),
      ['disk1:up', 'net1:down', 'net2:down'],
    );
  });

  it('reports a killed node down on every survivor, and up again when it restarts', async () => {
    const t = Date.now();
    await c.kill('n3', 'SIGKILL');
    await c.waitFor(event('n1', 'node_down', 'n3', undefined, t), WITHIN, 'n1: n3 down');
    await c.waitFor(event('n2', 'node_down', 'n3', undefined, t), WITHIN, 'n2: n3 down');
    const t2 = Date.now();
    await c.start('n3');
    await c.waitFor(event('n1', 'node_up', 'n3', undefined, t2), WITHIN, 'n1: n3 up again');
    await c.waitFor(
      (l) => l.node === 'n1' && l.readAtMs >= t2 && l.event?.type === 'peer_restarted',
      WITHIN,
    );
  });

  it('stops cleanly on SIGTERM, and its peers then see it leave', async () => {
    const t = Date.now();
    assert.equal(await c.kill('n1', 'SIGTERM'), 0);
    assert.ok(c.lines.some((l) => l.node === 'n1' && l.msg === 'agent stopped'));
    await c.waitFor(event('n3', 'node_down', 'n1', undefined, t), WITHIN, 'n3: n1 down');
  });
});
