import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseClusterDefinition } from '../config/load.js';
import type { ClusterConfig } from '../config/model.js';
import type { MessageAuthenticator } from '../ports/mac.js';
import type { TopologyEvent } from '../topology/events.js';
import {
  heartbeatSetup,
  onDatagram,
  onTimer,
  protocolStatus,
  startProtocol,
  type ProtocolState,
  type Send,
} from './protocol.js';
import { encodeHeartbeat } from './wire.js';

function hmac(key: string): MessageAuthenticator {
  const k = Buffer.alloc(32, key);
  const sign = (d: Uint8Array): Uint8Array => createHmac('sha256', k).update(d).digest();
  return { sign, verify: (d, t) => t.length === 32 && timingSafeEqual(sign(d), t) };
}

const CLUSTER = `
cluster: { name: sim, id: 9 }
tunables: { heartbeat: { interval: 200ms, sensitivity: 4 } }
networks:
  - { name: net_a, type: ether }
  - { name: net_b, type: ether }
nodes:
${[1, 2, 3]
  .map(
    (n) => `  - name: n${n}
    id: ${n}
    interfaces:
      - { network: net_a, device: eth0, address: 127.1.0.${n}/16 }
      - { network: net_b, device: eth1, address: 127.2.0.${n}/16 }`,
  )
  .join('\n')}
`;

interface Node {
  name: string;
  state: ProtocolState;
  wakeAt: number;
  alive: boolean;
  events: { at: number; e: TopologyEvent }[];
}

/** Three protocol instances on a virtual network with 1 ms latency, in virtual time. */
class World {
  readonly config: ClusterConfig;
  readonly nodes: Node[];
  now = 0;
  inFlight: { at: number; to: string; local: string; bytes: Uint8Array }[] = [];
  /** Local interface names whose traffic (both ways) is cut. */
  readonly cut = new Set<string>();
  private readonly byAddress = new Map<string, { node: string; local: string }>();

  constructor() {
    const r = parseClusterDefinition(CLUSTER, 'sim.yaml', { verify: false });
    assert.ok(r.ok, JSON.stringify(r.diagnostics));
    this.config = r.config!;
    for (const n of this.config.nodes) {
      for (const i of n.interfaces)
        this.byAddress.set(i.address!.address.text, { node: n.name, local: i.name });
    }
    this.nodes = this.config.nodes.map((n, k) => {
      const setup = heartbeatSetup(this.config, n.name, BigInt(1000 + k));
      const r = startProtocol(this.config, setup, hmac('k'), 0);
      const node: Node = {
        name: n.name,
        state: r.state,
        wakeAt: r.wakeAtMs,
        alive: true,
        events: [],
      };
      this.route(node, r.sends, r.events);
      return node;
    });
  }

  private route(node: Node, sends: readonly Send[], events: readonly TopologyEvent[]): void {
    for (const e of events) node.events.push({ at: this.now, e });
    for (const s of sends) {
      const to = this.byAddress.get(s.address);
      if (!to || this.cut.has(s.from) || this.cut.has(to.local)) continue;
      this.inFlight.push({ at: this.now + 1, to: to.node, local: to.local, bytes: s.bytes });
    }
  }

  node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    assert.ok(n);
    return n;
  }

  deliver(to: string, local: string, bytes: Uint8Array): void {
    const node = this.node(to);
    const r = onDatagram(node.state, local, bytes, this.now);
    node.state = r.state;
    node.wakeAt = r.wakeAtMs;
    this.route(node, r.sends, r.events);
  }

  runUntil(t: number): void {
    for (;;) {
      const live = this.nodes.filter((n) => n.alive);
      const nextWake = Math.min(...live.map((n) => n.wakeAt));
      const nextMsg = Math.min(...this.inFlight.map((m) => m.at));
      const next = Math.min(nextWake, nextMsg);
      if (next > t) break;
      this.now = next;
      if (nextMsg <= nextWake) {
        const i = this.inFlight.findIndex((m) => m.at === next);
        const [m] = this.inFlight.splice(i, 1);
        if (m && this.node(m.to).alive) this.deliver(m.to, m.local, m.bytes);
        continue;
      }
      const node = live.find((n) => n.wakeAt === next)!;
      const r = onTimer(node.state, this.now);
      node.state = r.state;
      node.wakeAt = r.wakeAtMs;
      this.route(node, r.sends, r.events);
    }
    this.now = t;
  }

  eventsOf(
    name: string,
    type: TopologyEvent['type'],
    after = 0,
  ): { at: number; e: TopologyEvent }[] {
    return this.node(name).events.filter((x) => x.e.type === type && x.at >= after);
  }
}

describe('heartbeat protocol', () => {
  it('brings every peer up, and sends a linear number of heartbeats', () => {
    const w = new World();
    w.runUntil(1000);
    for (const n of w.nodes) {
      const ups = w
        .eventsOf(n.name, 'node_up')
        .map((x) => (x.e as { node: string }).node)
        .sort();
      assert.deepEqual(
        ups,
        w.nodes.filter((m) => m !== n).map((m) => m.name),
      );
      assert.equal(w.eventsOf(n.name, 'node_down').length, 0);
    }
    // 2 networks x 1 local interface x 2 peer interfaces per round, 5 rounds a second (+ the first).
    assert.equal(w.node('n1').state.sent, 4 * 6);
  });

  it('declares a silent node down within one detection window of its death', () => {
    const w = new World();
    w.runUntil(2000);
    w.node('n3').alive = false;
    const died = 2000;
    w.runUntil(4000);
    for (const name of ['n1', 'n2']) {
      const downs = w.eventsOf(name, 'node_down', died);
      assert.equal(downs.length, 1, name);
      const at = downs[0]!.at;
      // Default timing: 200ms x 4. The last heartbeat left at most one interval before death.
      assert.ok(
        at > died + 800 - 200 && at <= died + 800 + 1,
        `${name} detected at +${at - died}ms`,
      );
    }
    assert.equal(w.eventsOf('n1', 'node_down').length, 1);
  });

  it('reports a network down for a node whose interface is cut, and keeps the node up', () => {
    const w = new World();
    w.runUntil(2000);
    w.cut.add('n3-eth0');
    w.runUntil(4000);
    const nd = w.eventsOf('n1', 'network_down', 2000).map((x) => x.e);
    assert.deepEqual(
      nd.map((e) => [(e as { node: string }).node, (e as { network: string }).network]),
      [['n3', 'net_a']],
    );
    assert.equal(w.eventsOf('n1', 'node_down').length, 0);
    // n3 in turn loses both peers on net_a.
    assert.equal(w.eventsOf('n3', 'network_down', 2000).length, 2);
  });

  it('drops and counts forged, foreign and replayed datagrams without believing them', () => {
    const w = new World();
    w.runUntil(1000);
    const before = w.node('n1').state.detector.counters.accepted;
    const msg = {
      clusterId: 9,
      fromNode: 2,
      fromInterface: 1,
      network: 1,
      incarnation: 1001n,
      seq: 1n,
    };
    w.deliver('n1', 'n1-eth0', encodeHeartbeat(msg, hmac('wrong key')));
    w.deliver('n1', 'n1-eth0', encodeHeartbeat({ ...msg, clusterId: 10 }, hmac('k')));
    w.deliver('n1', 'n1-eth0', encodeHeartbeat(msg, hmac('k'))); // seq 1 was heard long ago
    w.deliver('n1', 'n1-eth0', new Uint8Array([1, 2, 3]));
    w.deliver('n1', 'n1-eth0', encodeHeartbeat({ ...msg, incarnation: 5n, seq: 999n }, hmac('k')));
    const s = protocolStatus(w.node('n1').state, w.now);
    assert.equal(s.drops['bad-mac'], 1);
    assert.equal(s.drops['wrong-cluster'], 1);
    assert.equal(s.drops.replayed, 1);
    assert.equal(s.drops['too-short'], 1);
    assert.equal(s.drops['old-incarnation'], 1);
    assert.equal(w.node('n1').state.detector.counters.accepted, before);
  });
});
