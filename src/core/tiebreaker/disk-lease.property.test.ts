// The disk lease's one promise, checked on random runs: no two node lives ever believe a
// grant at the same time. 2 or 3 nodes run the real state machine against a simulated disk
// on which each write lands at a random instant within its [start, end] and each read
// observes the disk at a random instant within its own; latencies are random (many beyond
// D and the I/O timeout), I/O fails now and then, nodes ask at random times, crash (their
// in-flight writes may still land) and restart with a new incarnation and a new clock, and
// every clock has its own origin and runs up to 0.5% fast or slow.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DISK_LEASE_BLOCK_BYTES,
  createDiskLease,
  stepDiskLease,
  type DiskLeaseInput,
  type DiskLeaseResult,
  type DiskLeaseState,
} from './disk-lease.js';

const LEASE_MS = 10_000;

interface Profile {
  readonly seed: number;
  readonly nodes: number;
  /** Percent of I/Os beyond D (1 s); of those, a third beyond 3 s. */
  readonly slowPct: number;
  readonly failPct: number;
  /** Per-ask chance, in percent, that the asker crashes right after asking. */
  readonly crashPct: number;
  readonly durationMs: number;
}

interface Life {
  readonly id: number;
  readonly node: number;
  readonly offset: number;
  readonly rate: number;
  state: DiskLeaseState;
  alive: boolean;
  timerGen: number;
  readonly asks: Map<string, number>;
}

interface Window {
  readonly life: number;
  readonly node: number;
  readonly start: number;
  end: number;
}

export interface SimStats {
  grants: number;
  /** Grants to a life other than the previous grant's. */
  handovers: number;
  windows: Window[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulate(pr: Profile): SimStats {
  const rnd = mulberry32(pr.seed);
  const between = (lo: number, hi: number): number => lo + rnd() * (hi - lo);
  let now = 0;
  let order = 0;
  const queue: { t: number; n: number; run: () => void }[] = [];
  const at = (t: number, run: () => void): void => {
    queue.push({ t: Math.max(t, now), n: order++, run });
  };
  const disk = new Uint8Array(DISK_LEASE_BLOCK_BYTES);
  const lives: Life[] = [];
  const current = new Map<number, Life>();
  const stats: SimStats = { grants: 0, handovers: 0, windows: [] };
  let lastGrantLife = -1;
  let incarnation = 0;

  const clock = (l: Life, t: number): number => l.offset + t * (1 + l.rate);
  const realAt = (l: Life, c: number): number => (c - l.offset) / (1 + l.rate);
  const latency = (): number => {
    const x = rnd() * 100;
    if (x < pr.slowPct / 3) return between(3000, 8000);
    if (x < pr.slowPct) return between(1000, 3000);
    if (x < pr.slowPct + 20) return between(100, 1000);
    return between(0, 100);
  };

  const apply = (l: Life, r: DiskLeaseResult): void => {
    l.state = r.state;
    for (const e of r.effects) {
      switch (e.type) {
        case 'read': {
          const start = now;
          const end = start + latency();
          const fails = rnd() * 100 < pr.failPct;
          let seen: Uint8Array | undefined;
          at(between(start, end), () => (seen = disk.slice()));
          at(end, () => {
            feed(
              l,
              fails
                ? {
                    type: 'io-failed',
                    op: 'read',
                    startMs: clock(l, start),
                    nowMs: clock(l, end),
                    error: 'EIO',
                  }
                : {
                    type: 'read-done',
                    startMs: clock(l, start),
                    nowMs: clock(l, end),
                    block: seen ?? new Uint8Array(0),
                  },
            );
          });
          break;
        }
        case 'write': {
          const start = now;
          const end = start + latency();
          const fails = rnd() * 100 < pr.failPct;
          const block = e.block.slice();
          // A failed write may or may not reach the disk; a crashed writer's write still may.
          if (!fails || rnd() < 0.5)
            at(between(start, end), () => {
              disk.set(block);
            });
          at(end, () => {
            feed(
              l,
              fails
                ? {
                    type: 'io-failed',
                    op: 'write',
                    startMs: clock(l, start),
                    nowMs: clock(l, end),
                    error: 'EIO',
                  }
                : { type: 'write-done', startMs: clock(l, start), nowMs: clock(l, end) },
            );
          });
          break;
        }
        case 'answer': {
          const askedAt = l.asks.get(e.requestId);
          assert.ok(askedAt !== undefined, `answer to an unknown request ${e.requestId}`);
          l.asks.delete(e.requestId);
          if (e.granted) {
            stats.grants++;
            if (lastGrantLife !== l.id) stats.handovers++;
            lastGrantLife = l.id;
            stats.windows.push({
              life: l.id,
              node: l.node,
              start: askedAt,
              end: realAt(l, clock(l, askedAt) + LEASE_MS),
            });
          }
          break;
        }
        case 'log':
          break;
      }
    }
    const gen = ++l.timerGen;
    if (r.wakeAtMs !== null) {
      at(realAt(l, r.wakeAtMs), () => {
        if (gen === l.timerGen) feed(l, { type: 'timer', nowMs: clock(l, now) });
      });
    }
  };
  const feed = (l: Life, input: DiskLeaseInput): void => {
    if (!l.alive) return; // a dead process hears nothing
    apply(l, stepDiskLease(l.state, input));
  };

  const start = (node: number): void => {
    const l: Life = {
      id: lives.length,
      node,
      offset: between(-1e9, 1e9),
      rate: between(-0.005, 0.005),
      state: undefined as unknown as DiskLeaseState,
      alive: true,
      timerGen: 0,
      asks: new Map(),
    };
    lives.push(l);
    current.set(node, l);
    const r = createDiskLease(
      { clusterId: 7, nodeId: node, incarnation: ++incarnation, leaseMs: LEASE_MS },
      clock(l, now),
    );
    apply(l, r);
    scheduleAsk(l);
  };
  const scheduleAsk = (l: Life): void => {
    const x = rnd();
    // Mostly as the core asks (every quarter to half a lease), sometimes late: a renewal just
    // before the lease runs out, or none in time.
    const gap =
      x < 0.7
        ? between(100, LEASE_MS / 2)
        : x < 0.9
          ? between(0.9 * LEASE_MS, LEASE_MS)
          : between(LEASE_MS / 2, 1.2 * LEASE_MS);
    at(now + gap, () => {
      if (!l.alive) return;
      const id = `r${String(order)}`;
      l.asks.set(id, now);
      feed(l, { type: 'ask', requestId: id, nowMs: clock(l, now), wallMs: 0 });
      if (rnd() * 100 < pr.crashPct) {
        // Crash a little later (mid-sequence, often), restart after a while.
        at(now + between(0, 3000), () => {
          if (!l.alive) return;
          l.alive = false;
          for (const w of stats.windows) if (w.life === l.id && w.end > now) w.end = now;
          at(now + between(0, 2 * LEASE_MS), () => {
            start(l.node);
          });
        });
      } else scheduleAsk(l);
    });
  };

  for (let n = 1; n <= pr.nodes; n++)
    at(between(0, 3000), () => {
      start(n);
    });
  let steps = 0;
  while (queue.length > 0 && steps++ < 200_000) {
    let best = 0;
    for (let i = 1; i < queue.length; i++) {
      const a = queue[i]!;
      const b = queue[best]!;
      if (a.t < b.t || (a.t === b.t && a.n < b.n)) best = i;
    }
    const ev = queue[best]!;
    queue[best] = queue[queue.length - 1]!;
    queue.pop();
    if (ev.t > pr.durationMs) continue;
    now = ev.t;
    ev.run();
  }
  // Each ask is answered once (the map refuses a second answer); a new ask answers the
  // one before it, so a live node has at most one question open when the run ends.
  for (const l of lives) {
    if (l.alive)
      assert.ok(l.asks.size <= 1, `life ${String(l.id)} has ${String(l.asks.size)} open asks`);
  }
  return stats;
}

function overlap(ws: readonly Window[]): string | undefined {
  for (let i = 0; i < ws.length; i++) {
    for (let j = i + 1; j < ws.length; j++) {
      const a = ws[i]!;
      const b = ws[j]!;
      if (a.life !== b.life && a.start < b.end && b.start < a.end) {
        return `life ${String(a.life)} (node ${String(a.node)}) [${a.start.toFixed(1)}, ${a.end.toFixed(1)}] and life ${String(b.life)} (node ${String(b.node)}) [${b.start.toFixed(1)}, ${b.end.toFixed(1)}]`;
      }
    }
  }
  return undefined;
}

const profiles: fc.Arbitrary<Profile> = fc.record({
  seed: fc.integer(),
  nodes: fc.integer({ min: 2, max: 3 }),
  slowPct: fc.integer({ min: 0, max: 30 }),
  failPct: fc.integer({ min: 0, max: 5 }),
  crashPct: fc.integer({ min: 0, max: 25 }),
  durationMs: fc.integer({ min: 20_000, max: 90_000 }),
});

describe('disk lease: property', () => {
  it('never lets two node lives believe a grant at the same time', () => {
    let grants = 0;
    let handovers = 0;
    let cases = 0;
    fc.assert(
      fc.property(profiles, (pr) => {
        const s = simulate(pr);
        cases++;
        grants += s.grants;
        handovers += s.handovers;
        const bad = overlap(s.windows);
        assert.equal(bad, undefined, `overlapping beliefs: ${bad ?? ''}`);
      }),
      { numRuns: Number(process.env['DISK_LEASE_RUNS'] ?? 3000) },
    );
    // Not vacuous: the runs grant often and hand the lease over between lives.
    assert.ok(grants > cases * 2, `only ${String(grants)} grants in ${String(cases)} runs`);
    assert.ok(handovers > cases, `only ${String(handovers)} handovers in ${String(cases)} runs`);
  });
});
