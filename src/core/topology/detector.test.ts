import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createDetector,
  onHeartbeat,
  onTick,
  type DetectorResult,
  type DetectorState,
  type Heartbeat,
} from './detector.js';
import { InvalidArgumentError } from '../errors.js';
import type { TopologyEvent } from './events.js';
import type { TopologyModel } from './model.js';
import { snapshot } from './snapshot.js';

// Peer b: two interfaces on net1, one on net2 (IP, 250 ms x 4 = 1 s), one disk-heartbeat
// path (1 s x 3 = 3 s). The local node is a.
const model: TopologyModel = {
  localNode: 'a',
  networks: [
    { id: 'net1', kind: 'ip', intervalMs: 250, sensitivity: 4 },
    { id: 'net2', kind: 'ip', intervalMs: 250, sensitivity: 4 },
    { id: 'hb', kind: 'disk', intervalMs: 1000, sensitivity: 3 },
  ],
  nodes: [
    { id: 'a', interfaces: [{ id: 'a-eth0', network: 'net1' }] },
    {
      id: 'b',
      interfaces: [
        { id: 'b-eth0', network: 'net1' },
        { id: 'b-eth1', network: 'net1' },
        { id: 'b-eth2', network: 'net2' },
        { id: 'b-disk', network: 'hb' },
      ],
    },
  ],
};

const ALL_B = ['b-eth0', 'b-eth1', 'b-eth2', 'b-disk'];

/** Compact form for assertions: "fail_interface b/net1/b-eth0", "node_down b". */
function fmt(e: TopologyEvent): string {
  switch (e.type) {
    case 'fail_interface':
    case 'join_interface':
      return `${e.type} ${e.node}/${e.network}/${e.iface}`;
    case 'network_down':
    case 'network_up':
      return `${e.type} ${e.node}/${e.network}`;
    case 'node_down':
    case 'node_up':
      return `${e.type} ${e.node}`;
    case 'peer_restarted':
      return `${e.type} ${e.node} ${e.previousIncarnation}->${e.incarnation}`;
    case 'local_stall':
      return `${e.type} ${e.durationMs}`;
  }
}

/** Keeps the state and, per interface, the next sequence number to send. */
class Harness {
  state: DetectorState;
  incarnation = 1;
  last!: DetectorResult;
  private readonly seq = new Map<string, number>();
  private readonly networkOf = new Map<string, string>();

  constructor(m: TopologyModel = model, start = 0) {
    this.state = createDetector(m, start);
    for (const n of m.nodes) for (const i of n.interfaces) this.networkOf.set(i.id, i.network);
  }

  tick(t: number): string[] {
    return this.apply(onTick(this.state, t));
  }

  beat(iface: string, t: number, extra: Partial<Heartbeat> = {}): string[] {
    const seq = (this.seq.get(iface) ?? 0) + 1;
    this.seq.set(iface, seq);
    const hb: Heartbeat = {
      fromInterface: iface,
      network: this.networkOf.get(iface) ?? 'none',
      nowMs: t,
      incarnation: this.incarnation,
      seq,
      ...extra,
    };
    return this.apply(onHeartbeat(this.state, hb));
  }

  beatAll(ifaces: readonly string[], t: number): string[] {
    return ifaces.flatMap((i) => this.beat(i, t));
  }

  ifaceState(iface: string): string | undefined {
    for (const n of snapshot(this.state).nodes) {
      for (const net of n.networks) {
        for (const i of net.interfaces) if (i.iface === iface) return i.state;
      }
    }
    return undefined;
  }

  private apply(r: DetectorResult): string[] {
    this.state = r.state;
    this.last = r;
    return r.events.map(fmt);
  }
}

describe('start-up', () => {
  it('keeps peers unknown until they are first heard', () => {
    const h = new Harness();
    const s = snapshot(h.state);
    assert.equal(s.nodes[0]?.state, 'unknown');
    assert.equal(s.nextDeadlineMs, 1000);
    assert.deepEqual(h.tick(999), []);
    assert.deepEqual(h.beat('b-eth0', 10), [
      'join_interface b/net1/b-eth0',
      'network_up b/net1',
      'node_up b',
    ]);
    assert.equal(h.ifaceState('b-eth1'), 'unknown');
  });

  it('declares an unheard interface down one detection time after start, not before', () => {
    const h = new Harness();
    assert.deepEqual(h.tick(999), []);
    assert.deepEqual(h.tick(1000), [
      'fail_interface b/net1/b-eth0',
      'fail_interface b/net1/b-eth1',
      'fail_interface b/net2/b-eth2',
      'network_down b/net1',
      'network_down b/net2',
    ]);
    // The disk path is still in its start-up window: the node is not judged yet.
    assert.equal(snapshot(h.state).nodes[0]?.state, 'unknown');
    assert.equal(h.last.nextDeadlineMs, 3000);
    assert.deepEqual(h.tick(3000), [
      'fail_interface b/hb/b-disk',
      'network_down b/hb',
      'node_down b',
    ]);
    assert.equal(h.last.nextDeadlineMs, null);
    const fail = h.last.events[0];
    assert.ok(fail?.type === 'fail_interface' && fail.lastHeardMs === null);
  });

  it('does not let an interface in its start-up window keep a node down or raise it', () => {
    // b-eth0 heard then lost; the disk path is unknown until 3000: the node stays up.
    const h = new Harness();
    h.beat('b-eth0', 100);
    h.tick(1000);
    assert.deepEqual(h.tick(1100), ['fail_interface b/net1/b-eth0', 'network_down b/net1']);
    assert.equal(snapshot(h.state).nodes[0]?.state, 'up');
    assert.deepEqual(h.tick(3000), [
      'fail_interface b/hb/b-disk',
      'network_down b/hb',
      'node_down b',
    ]);
  });

  it('does nothing with no peers', () => {
    const h = new Harness({ localNode: 'a', networks: [], nodes: [] });
    assert.equal(h.tick(1e9).length, 0);
    assert.equal(h.last.nextDeadlineMs, null);
  });
});

describe('timing', () => {
  it('fails an interface at exactly sensitivity x interval of silence, not a ms before', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 600);
    assert.equal(h.last.nextDeadlineMs, 1100);
    assert.deepEqual(h.tick(1099), []);
    assert.deepEqual(h.tick(1100), ['fail_interface b/net1/b-eth0']);
  });

  it('brings an interface up again on its first good heartbeat', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 900);
    h.tick(1100);
    assert.equal(h.ifaceState('b-eth0'), 'down');
    assert.deepEqual(h.beat('b-eth0', 1234), ['join_interface b/net1/b-eth0']);
    assert.equal(h.ifaceState('b-eth0'), 'up');
  });

  it('judges a window due at the same ms as a heartbeat before the heartbeat', () => {
    // Whatever order the runtime delivers a timer and a heartbeat of the same ms in, the
    // outcome is the same: the silence did reach the detection time.
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 900);
    assert.deepEqual(h.beat('b-eth0', 1100), [
      'fail_interface b/net1/b-eth0',
      'join_interface b/net1/b-eth0',
    ]);
  });

  it('raises no false event under jitter within the window', () => {
    const h = new Harness();
    const events = h.beatAll(ALL_B, 0);
    let t = 0;
    let k = 0;
    // Heartbeats late by up to 700 ms on a 1 s window (disk: up to 2.5 s on 3 s), with the
    // runtime's timer firing on every deadline in between.
    const jitter = [0, 700, 13, 650, 240, 699, 0, 333];
    while (t < 60_000) {
      const dt = jitter[k++ % jitter.length] ?? 0;
      const due = h.last.nextDeadlineMs;
      if (due !== null && due <= t + dt) events.push(...h.tick(due - 1));
      t += Math.max(dt, 1);
      events.push(...h.beatAll(['b-eth0', 'b-eth1', 'b-eth2'], t));
      if (k % 3 === 0) events.push(...h.beat('b-disk', t));
    }
    assert.deepEqual(events.slice(8), []); // after the initial joins and ups
    assert.equal(h.state.counters.stalls, 0);
  });

  it('uses each network its own interval and sensitivity', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    assert.deepEqual(h.tick(1000), [
      'fail_interface b/net1/b-eth0',
      'fail_interface b/net1/b-eth1',
      'fail_interface b/net2/b-eth2',
      'network_down b/net1',
      'network_down b/net2',
    ]);
    assert.deepEqual(h.tick(2999), []);
    assert.deepEqual(h.tick(3000), [
      'fail_interface b/hb/b-disk',
      'network_down b/hb',
      'node_down b',
    ]);
  });
});

describe('levels: adapter, network, node', () => {
  function allUp(): Harness {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    return h;
  }

  it('one interface down: fail_interface only', () => {
    const h = allUp();
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 500);
    assert.deepEqual(h.tick(1000), ['fail_interface b/net1/b-eth0']);
  });

  it('every interface of a network down: network_down for that node', () => {
    const h = allUp();
    h.beatAll(['b-eth2', 'b-disk'], 500);
    assert.deepEqual(h.tick(1000), [
      'fail_interface b/net1/b-eth0',
      'fail_interface b/net1/b-eth1',
      'network_down b/net1',
    ]);
    assert.deepEqual(h.beat('b-eth1', 1200), ['join_interface b/net1/b-eth1', 'network_up b/net1']);
  });

  it('every path down, disk heartbeat included: node_down', () => {
    const h = allUp();
    h.tick(1000);
    assert.deepEqual(h.tick(3000), [
      'fail_interface b/hb/b-disk',
      'network_down b/hb',
      'node_down b',
    ]);
    assert.deepEqual(h.beat('b-eth2', 3500), [
      'join_interface b/net2/b-eth2',
      'network_up b/net2',
      'node_up b',
    ]);
  });

  it('keeps the node up on the disk heartbeat alone', () => {
    const h = allUp();
    const events = h.tick(1000);
    for (let t = 1000; t <= 20_000; t += 1000) events.push(...h.beat('b-disk', t), ...h.tick(t));
    assert.ok(!events.includes('node_down b'));
    assert.equal(snapshot(h.state).nodes[0]?.state, 'up');
  });
});

describe('stale heartbeats', () => {
  it('ignores duplicates and reordered heartbeats, counts them, and does not take them as liveness', () => {
    const h = new Harness();
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 0);
    h.beat('b-eth0', 100, { seq: 5 });
    assert.deepEqual(h.beat('b-eth0', 500, { seq: 3 }), []);
    assert.deepEqual(h.beat('b-eth0', 600, { seq: 5 }), []);
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 900);
    assert.equal(h.state.counters.stale, 2);
    assert.deepEqual(h.tick(1100), ['fail_interface b/net1/b-eth0']);
    const eth0 = snapshot(h.state).nodes[0]?.networks[1]?.interfaces[0];
    assert.equal(eth0?.iface, 'b-eth0');
    assert.equal(eth0.staleHeartbeats, 2);
    assert.equal(eth0.lastHeardMs, 100);
    assert.equal(eth0.lastSeq, 5);
    // A later sequence number is news again.
    assert.deepEqual(h.beat('b-eth0', 1200, { seq: 6 }), ['join_interface b/net1/b-eth0']);
  });

  it('keeps sequence numbers per interface', () => {
    const h = new Harness();
    h.beat('b-eth0', 0, { seq: 10 });
    assert.deepEqual(h.beat('b-eth1', 10, { seq: 1 }), ['join_interface b/net1/b-eth1']);
    assert.equal(h.state.counters.stale, 0);
  });
});

describe('incarnation', () => {
  it('reports a restart faster than the detection window', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    h.beat('b-eth0', 100, { seq: 50 });
    // The peer's agent restarted 300 ms later: new incarnation, sequence numbers from 1.
    assert.deepEqual(h.beat('b-eth0', 400, { incarnation: 2, seq: 1 }), ['peer_restarted b 1->2']);
    assert.equal(h.state.counters.restarts, 1);
    assert.equal(snapshot(h.state).nodes[0]?.incarnation, 2);
    // Every interface of the node starts a new sequence with the new life.
    assert.deepEqual(h.beat('b-eth1', 450, { incarnation: 2, seq: 1 }), []);
    assert.equal(h.state.counters.stale, 0);
  });

  it('ignores heartbeats from a previous life', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    h.beat('b-eth0', 400, { incarnation: 2, seq: 1 });
    h.incarnation = 2;
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 900);
    assert.deepEqual(h.beat('b-eth0', 500, { incarnation: 1, seq: 99 }), []);
    assert.equal(h.state.counters.staleIncarnation, 1);
    assert.deepEqual(h.tick(1400), ['fail_interface b/net1/b-eth0']);
  });

  it('reports the restart before the node comes back up', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    h.tick(1000);
    h.tick(3000);
    assert.deepEqual(h.beat('b-eth0', 9000, { incarnation: 7, seq: 1 }), [
      'peer_restarted b 1->7',
      'join_interface b/net1/b-eth0',
      'network_up b/net1',
      'node_up b',
    ]);
    const up = h.last.events[3];
    assert.ok(up?.type === 'node_up' && up.incarnation === 7);
  });
});

describe('local stall', () => {
  it('restarts the windows instead of declaring everyone dead after a pause of our own', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    assert.equal(h.last.nextDeadlineMs, 1100);
    // The agent was stopped from just after 100 until 5000.
    assert.deepEqual(h.tick(5000), ['local_stall 4900']);
    const stall = h.last.events[0];
    assert.deepEqual(stall, {
      type: 'local_stall',
      atMs: 5000,
      sinceMs: 100,
      durationMs: 4900,
      lateMs: 3900,
    });
    assert.equal(h.last.nextDeadlineMs, 6000);
    assert.equal(snapshot(h.state).nodes[0]?.state, 'up');
    // The peer was fine: its heartbeats resume and nothing happens.
    assert.deepEqual(h.beatAll(ALL_B, 5100), []);
    assert.equal(h.state.counters.stalls, 1);
  });

  it('declares a peer still silent after the stall down one window after resumption', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    h.tick(5000);
    assert.deepEqual(h.tick(5999), []);
    assert.deepEqual(h.tick(6000), [
      'fail_interface b/net1/b-eth0',
      'fail_interface b/net1/b-eth1',
      'fail_interface b/net2/b-eth2',
      'network_down b/net1',
      'network_down b/net2',
    ]);
    assert.deepEqual(h.tick(8000), [
      'fail_interface b/hb/b-disk',
      'network_down b/hb',
      'node_down b',
    ]);
  });

  it('notices a stall on a heartbeat as well as on a tick', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    assert.deepEqual(h.beat('b-eth0', 5000), ['local_stall 4900']);
    assert.equal(h.ifaceState('b-eth1'), 'up');
  });

  it('restarts the start-up windows of unknown peers too', () => {
    const h = new Harness(model, 0);
    assert.deepEqual(h.tick(4000), ['local_stall 4000']);
    assert.equal(h.last.nextDeadlineMs, 5000);
    assert.equal(h.ifaceState('b-eth0'), 'unknown');
  });

  it('does not take a long but expected wait for a stall', () => {
    // Only the slow disk path is left; the next deadline is 3 s away and the timer fires on time.
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    h.tick(1000);
    h.beat('b-disk', 1000);
    assert.equal(h.last.nextDeadlineMs, 4000);
    assert.deepEqual(h.tick(4000), [
      'fail_interface b/hb/b-disk',
      'network_down b/hb',
      'node_down b',
    ]);
    assert.equal(h.state.counters.stalls, 0);
  });

  it('does not take a timer a little late for a stall', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    h.beatAll(['b-eth1', 'b-eth2', 'b-disk'], 500);
    // Due at 1000, called at 1200: late by less than the tolerance (one 250 ms interval).
    assert.deepEqual(h.tick(1200), ['fail_interface b/net1/b-eth0']);
  });

  it('grants one grace per window: a node that keeps stalling still detects a dead peer', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    assert.deepEqual(h.tick(5000), ['local_stall 4900']);
    // Stalled again, and b was never heard in between: this time the windows are judged.
    assert.deepEqual(h.tick(10_000), [
      'local_stall 5000',
      'fail_interface b/hb/b-disk',
      'fail_interface b/net1/b-eth0',
      'fail_interface b/net1/b-eth1',
      'fail_interface b/net2/b-eth2',
      'network_down b/hb',
      'network_down b/net1',
      'network_down b/net2',
      'node_down b',
    ]);
  });

  it('grants a new grace once the interface has been heard again', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 100);
    h.tick(5000);
    h.beatAll(ALL_B, 5100);
    assert.deepEqual(h.tick(10_000), ['local_stall 4900']);
  });
});

describe('one-way loss', () => {
  // This detector only knows what it hears. If b hears us but we do not hear b, we report b
  // down (while b thinks we are up); if we hear b but b does not hear us, we report b up and
  // b reports us down. Settling such asymmetric views is group services' business.
  it('reports a peer we hear as up, whether or not it hears us', () => {
    const h = new Harness();
    const events: string[] = [];
    for (let t = 0; t <= 10_000; t += 250) events.push(...h.beatAll(ALL_B, t));
    assert.equal(events.length, 8); // the initial joins, network_ups and node_up
    assert.equal(snapshot(h.state).nodes[0]?.state, 'up');
  });

  it('reports a peer we do not hear as down, whether or not it hears us', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    h.tick(1000);
    assert.deepEqual(h.tick(3000), [
      'fail_interface b/hb/b-disk',
      'network_down b/hb',
      'node_down b',
    ]);
  });
});

describe('inputs that are not believed', () => {
  it('counts heartbeats from unknown, local or misplaced interfaces, or malformed, and ignores them', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    assert.deepEqual(h.beat('z-eth0', 100, { network: 'net1' }), []);
    assert.deepEqual(h.beat('a-eth0', 100), []);
    assert.deepEqual(h.beat('b-eth0', 100, { network: 'net2' }), []);
    assert.deepEqual(h.beat('b-eth0', 100, { seq: Number.NaN }), []);
    assert.deepEqual(h.beat('b-eth0', 100, { incarnation: Infinity }), []);
    const c = h.state.counters;
    assert.deepEqual(
      [c.unknownInterface, c.fromLocalNode, c.wrongNetwork, c.malformed, c.accepted],
      [1, 1, 1, 2, 4],
    );
    assert.deepEqual(h.tick(1000).slice(0, 1), ['fail_interface b/net1/b-eth0']);
  });

  it('does not let time run backwards', () => {
    const h = new Harness();
    h.beatAll(ALL_B, 0);
    h.tick(500);
    h.beat('b-eth0', 400);
    assert.equal(h.state.counters.clockRegressions, 1);
    assert.equal(snapshot(h.state).nodes[0]?.networks[1]?.interfaces[0]?.lastHeardMs, 500);
    assert.equal(h.state.lastInputMs, 500);
  });

  it('rejects a non-finite time as a programming error', () => {
    const h = new Harness();
    assert.throws(() => onTick(h.state, Number.NaN), InvalidArgumentError);
    assert.throws(() => createDetector(model, Infinity), InvalidArgumentError);
  });
});

describe('determinism', () => {
  it('orders events by node, then interfaces, networks and node level, each sorted by id', () => {
    const m: TopologyModel = {
      localNode: 'a',
      networks: [
        { id: 'net1', kind: 'ip', intervalMs: 100, sensitivity: 2 },
        { id: 'disk', kind: 'disk', intervalMs: 100, sensitivity: 2 },
      ],
      nodes: [
        { id: 'c', interfaces: [{ id: 'c1', network: 'net1' }] },
        {
          id: 'b',
          interfaces: [
            { id: 'b2', network: 'net1' },
            { id: 'b1', network: 'net1' },
            { id: 'bd', network: 'disk' },
          ],
        },
      ],
    };
    const h = new Harness(m);
    assert.deepEqual(h.tick(200), [
      'fail_interface b/disk/bd',
      'fail_interface b/net1/b1',
      'fail_interface b/net1/b2',
      'network_down b/disk',
      'network_down b/net1',
      'node_down b',
      'fail_interface c/net1/c1',
      'network_down c/net1',
      'node_down c',
    ]);
  });

  it('never mutates a state it was given', () => {
    const h = new Harness();
    const before = h.state;
    const frozen = JSON.stringify(snapshot(before));
    onHeartbeat(before, {
      fromInterface: 'b-eth0',
      network: 'net1',
      nowMs: 10,
      incarnation: 1,
      seq: 1,
    });
    onTick(before, 5000);
    assert.equal(JSON.stringify(snapshot(before)), frozen);
  });
});

describe('snapshot', () => {
  it('reports last heard, missed beats, deadline and the local interface of each peer interface', () => {
    const h = new Harness();
    h.beat('b-eth0', 100, { toLocalInterface: 'a-eth0' });
    const s = snapshot(h.state, 720);
    assert.equal(s.atMs, 720);
    assert.equal(s.nodes[0]?.node, 'b');
    const net1 = s.nodes[0].networks.find((n) => n.network === 'net1');
    assert.deepEqual(net1?.interfaces[0], {
      iface: 'b-eth0',
      state: 'up',
      lastHeardMs: 100,
      missedBeats: 2, // floor((720 - 100) / 250)
      deadlineMs: 1100,
      lastSeq: 1,
      viaLocalInterface: 'a-eth0',
      staleHeartbeats: 0,
      changedAtMs: 100,
    });
    const never = net1.interfaces[1];
    assert.equal(never?.state, 'unknown');
    assert.equal(never.lastHeardMs, null);
    assert.equal(never.missedBeats, 2); // counted from the start
    assert.equal(s.nextDeadlineMs, 1000);
  });
});
