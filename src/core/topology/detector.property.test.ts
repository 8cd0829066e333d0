// Property tests: random topologies and random heartbeat schedules, checked against a
// reference that only remembers when each interface was last (validly) heard.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  createDetector,
  onHeartbeat,
  onTick,
  type DetectorResult,
  type DetectorState,
  type Heartbeat,
} from './detector.js';
import type { TopologyEvent } from './events.js';
import { compileModel, type NetworkSpec, type NodeSpec, type TopologyModel } from './model.js';
import { snapshot } from './snapshot.js';

const networkArb = fc.record({
  intervalMs: fc.integer({ min: 10, max: 200 }),
  sensitivity: fc.integer({ min: 1, max: 5 }),
});

/** 1-3 peers, each with 0-2 interfaces on two IP networks and 0-1 on a disk network. */
const modelArb = fc
  .record({
    nets: fc.tuple(networkArb, networkArb, networkArb),
    layout: fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 1 }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ nets, layout }): TopologyModel => {
    const ids = ['ip1', 'ip2', 'disk'] as const;
    const networks: NetworkSpec[] = ids.map((id, i) => ({
      id,
      kind: id === 'disk' ? 'disk' : 'ip',
      ...(nets[i] ?? { intervalMs: 100, sensitivity: 3 }),
    }));
    const nodes: NodeSpec[] = layout.map((counts, n) => {
      const interfaces = ids.flatMap((net, j) =>
        Array.from({ length: counts[j] ?? 0 }, (_, k) => ({
          id: `n${n}-${net}-${k}`,
          network: net,
        })),
      );
      return {
        id: `n${n}`,
        interfaces: interfaces.length ? interfaces : [{ id: `n${n}-ip1-0`, network: 'ip1' }],
      };
    });
    return { localNode: 'local', networks, nodes };
  });

type Op = 'beat' | 'dup' | 'tick';
interface Step {
  readonly dt: number;
  readonly op: Op;
  readonly i: number;
}
const stepsArb = (maxGap: number): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.record({
      dt: fc.integer({ min: 0, max: maxGap }),
      op: fc.constantFrom<Op>('beat', 'beat', 'beat', 'dup', 'tick'),
      i: fc.nat(),
    }),
    { maxLength: 150 },
  );

/** Event key for the alternation check, and its direction. */
function keyOf(e: TopologyEvent): { key: string; dir: 'up' | 'down' } | null {
  switch (e.type) {
    case 'fail_interface':
    case 'join_interface':
      return { key: `if ${e.iface}`, dir: e.type === 'join_interface' ? 'up' : 'down' };
    case 'network_down':
    case 'network_up':
      return { key: `net ${e.node}/${e.network}`, dir: e.type === 'network_up' ? 'up' : 'down' };
    case 'node_down':
    case 'node_up':
      return { key: `node ${e.node}`, dir: e.type === 'node_up' ? 'up' : 'down' };
    case 'peer_restarted':
    case 'local_stall':
      return null;
  }
}

/**
 * Drives one schedule. With `punctual`, the runtime's timer fires at every nextDeadlineMs
 * before the next input, so the detector never stalls and the reference is exact.
 */
function run(model: TopologyModel, steps: readonly Step[], punctual: boolean): void {
  const m = compileModel(model);
  const n = m.interfaces.length;
  const lastHeard = m.interfaces.map(() => 0); // the start counts as the last sign of life
  const heard = m.interfaces.map(() => false);
  const seq = m.interfaces.map(() => 0);
  const lastDir = new Map<string, 'up' | 'down'>();
  let state: DetectorState = createDetector(model, 0);
  let wake = snapshot(state).nextDeadlineMs;
  let t = 0;

  const silent = (k: number, now: number): boolean => {
    const spec = m.interfaces[k];
    return spec !== undefined && now - (lastHeard[k] ?? 0) >= spec.detectionMs;
  };
  const ifacesOf = (node: string, network?: string): number[] =>
    m.interfaces.flatMap((s, k) =>
      s.node === node && (network === undefined || s.network === network) ? [k] : [],
    );

  const check = (
    r: DetectorResult,
    now: number,
    beaten: number | null,
    before: readonly number[],
  ): void => {
    // Safety: every "down" is justified by a silence of at least the detection time, as
    // measured before this input; every "up" by the heartbeat of this very input.
    const silentBefore = (k: number): boolean =>
      now - (before[k] ?? 0) >= (m.interfaces[k]?.detectionMs ?? Infinity);
    for (const e of r.events) {
      const kd = keyOf(e);
      if (kd === null) continue;
      if (e.type === 'fail_interface')
        assert.ok(silentBefore(m.interfaceIndex.get(e.iface) ?? -1), e.iface);
      if (e.type === 'network_down') assert.ok(ifacesOf(e.node, e.network).every(silentBefore));
      if (e.type === 'node_down')
        assert.ok(ifacesOf(e.node).every(silentBefore), `false node_down ${e.node}`);
      if (kd.dir === 'up') {
        assert.notEqual(beaten, null);
        const spec = m.interfaces[beaten ?? -1];
        const subject = e.type === 'join_interface' ? e.iface : 'node' in e ? e.node : null;
        assert.equal(subject, e.type === 'join_interface' ? spec?.id : spec?.node);
      }
      // Alternation: never two downs (or two ups) for the same thing in a row.
      assert.notEqual(lastDir.get(kd.key), kd.dir, `${kd.key} ${kd.dir} twice`);
      lastDir.set(kd.key, kd.dir);
    }

    // The reported state agrees with the events, and (when punctual) with the reference.
    const snap = snapshot(r.state);
    for (const node of snap.nodes) {
      assert.equal(
        node.state,
        node.state === 'unknown' ? node.state : lastDir.get(`node ${node.node}`),
      );
      if (punctual) {
        const allSilent = ifacesOf(node.node).every((k) => silent(k, now));
        assert.equal(node.state === 'down', allSilent, `node ${node.node} at ${now}`);
      }
      for (const net of node.networks) {
        const netKey = `net ${node.node}/${net.network}`;
        assert.equal(net.state, net.state === 'unknown' ? net.state : lastDir.get(netKey));
        for (const itf of net.interfaces) {
          const k = m.interfaceIndex.get(itf.iface) ?? -1;
          if (itf.state === 'unknown') assert.equal(lastDir.get(`if ${itf.iface}`), undefined);
          else assert.equal(itf.state, lastDir.get(`if ${itf.iface}`));
          if (punctual) {
            const expected = silent(k, now) ? 'down' : heard[k] ? 'up' : 'unknown';
            assert.equal(itf.state, expected, `${itf.iface} at ${now}`);
          }
        }
      }
    }
  };

  const tick = (now: number): void => {
    const r = onTick(state, now);
    check(r, now, null, lastHeard.slice());
    state = r.state;
    wake = r.nextDeadlineMs;
  };

  for (const step of steps) {
    const target = t + step.dt;
    if (punctual) {
      while (wake !== null && wake < target) {
        t = wake;
        tick(t);
      }
    }
    t = target;
    if (step.op === 'tick' || n === 0) {
      tick(t);
      continue;
    }
    const k = step.i % n;
    const spec = m.interfaces[k];
    if (spec === undefined) continue;
    const fresh = step.op === 'beat' || (seq[k] ?? 0) === 0;
    if (fresh) seq[k] = (seq[k] ?? 0) + 1;
    const hb: Heartbeat = {
      fromInterface: spec.id,
      network: spec.network,
      nowMs: t,
      incarnation: 1,
      seq: fresh ? (seq[k] ?? 0) : Math.max(0, (seq[k] ?? 0) - (step.i % 3)),
    };
    const before = lastHeard.slice();
    if (fresh) {
      lastHeard[k] = t;
      heard[k] = true;
    }
    const r = onHeartbeat(state, hb);

    // A timer and a heartbeat of the same ms give the same outcome in either order.
    const viaTick = onTick(state, t);
    const after = onHeartbeat(viaTick.state, hb);
    assert.deepEqual([...viaTick.events, ...after.events], r.events);
    assert.deepEqual(snapshot(after.state), snapshot(r.state));

    check(r, t, fresh ? k : null, before);
    state = r.state;
    wake = r.nextDeadlineMs;
  }
  if (punctual) assert.equal(state.counters.stalls, 0);
}

describe('detector properties', () => {
  it('reports a node down iff all its interfaces have been silent for their detection time', () => {
    fc.assert(
      fc.property(modelArb, stepsArb(800), (model, steps) => {
        run(model, steps, true);
      }),
      { numRuns: 300 },
    );
  });

  it('never reports a false failure and alternates its events, even when it stalls', () => {
    fc.assert(
      fc.property(modelArb, stepsArb(5000), (model, steps) => {
        run(model, steps, false);
      }),
      { numRuns: 300 },
    );
  });
});
