import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeEffect, NodeInput, NodeNo } from '../core/cluster/node.js';
import { Simulation } from './engine.js';
import { exclusiveHolding } from './invariants.js';
import { recorderSim, seenBy, type RecorderState } from './testing.js';

const operator: NodeInput<string> = { type: 'operator', request: { type: 'resume' } };

/** React to operator inputs (a test's trigger) with the given effects, and to nothing else. */
function onOperator(effects: (node: NodeNo, nowMs: number) => NodeEffect<string>[]) {
  return (node: NodeNo, input: NodeInput<string>, nowMs: number): NodeEffect<string>[] =>
    input.type === 'operator' ? effects(node, nowMs) : [];
}

function only(lines: string[], prefix: string): string[] {
  return lines.filter((l) => l.startsWith(prefix));
}

describe('Simulation: messages', () => {
  it('delivers after a delay in the range, and reorders when delays differ', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator((node) =>
        node === 1
          ? Array.from({ length: 50 }, (_, i) => ({ type: 'send', to: 2, msg: `m${i}` }))
          : [],
      ),
      { network: { delayMs: [1, 30] } },
    );
    sim.startAll();
    sim.inject(100, 1, operator);
    sim.runUntil(1000);
    const got = seenBy(sim, 2).filter((l) => l.startsWith('message'));
    assert.equal(got.length, 50);
    const times = got.map((l) => Number(l.split('@')[1]));
    assert.ok(
      times.every((t) => t >= 101 && t <= 130),
      times.join(','),
    );
    const order = got.map((l) => Number(/m(\d+)/.exec(l)?.[1]));
    assert.notDeepEqual(
      order,
      [...order].sort((a, b) => a - b),
      'random delays reorder',
    );
  });

  it('keeps each link in order with fifo', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator((node) =>
        node === 1
          ? Array.from({ length: 50 }, (_, i) => ({ type: 'send', to: 2, msg: `m${i}` }))
          : [],
      ),
      { network: { delayMs: [1, 30], fifo: true } },
    );
    sim.startAll();
    sim.inject(100, 1, operator);
    sim.runUntil(1000);
    const order = only(seenBy(sim, 2), 'message').map((l) => Number(/m(\d+)/.exec(l)?.[1]));
    assert.deepEqual(
      order,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  it('loses and duplicates messages at the given rates, and counts them', () => {
    const send = onOperator((node) =>
      node === 1 ? Array.from({ length: 100 }, () => ({ type: 'send', to: 2, msg: 'x' })) : [],
    );
    const lossy = recorderSim<string>([1, 2], send, { network: { lossPercent: 100 } }).sim;
    lossy.startAll();
    lossy.inject(10, 1, operator);
    lossy.runUntil(100);
    assert.equal(only(seenBy(lossy, 2), 'message').length, 0);
    assert.equal(lossy.stats.droppedLoss, 100);

    const doubled = recorderSim<string>([1, 2], send, { network: { duplicatePercent: 100 } }).sim;
    doubled.startAll();
    doubled.inject(10, 1, operator);
    doubled.runUntil(100);
    assert.equal(only(seenBy(doubled, 2), 'message').length, 200);
    assert.equal(doubled.stats.messagesDuplicated, 100);

    const some = recorderSim<string>([1, 2], send, { network: { lossPercent: 30 } }).sim;
    some.startAll();
    some.inject(10, 1, operator);
    some.runUntil(100);
    const lost = some.stats.droppedLoss;
    assert.ok(lost > 10 && lost < 50, `lost ${lost} of 100 at 30 %`);
  });

  it('drops messages to unknown nodes as cut', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator(() => [{ type: 'send', to: 9, msg: 'x' }]),
    );
    sim.startAll();
    sim.inject(10, 1, operator);
    sim.runUntil(100);
    assert.equal(sim.stats.droppedCut, 1);
  });
});

describe('Simulation: wake-ups', () => {
  it('keeps one wake-up per node: the latest replaces, null cancels, a past time fires now', () => {
    const { sim } = recorderSim<string>([1], (_node, input, nowMs, state) => {
      if (input.type === 'start')
        return [
          { type: 'wake-at', atMs: 100 },
          { type: 'wake-at', atMs: 50 },
        ];
      if (input.type === 'wake' && state.seen.filter((s) => s.input.type === 'wake').length === 1) {
        return [{ type: 'wake-at', atMs: 10 }]; // in the past: fires at once (at 50)
      }
      if (input.type === 'wake')
        return [
          { type: 'wake-at', atMs: 400 },
          { type: 'wake-at', atMs: null },
        ];
      return [];
    });
    sim.startAll();
    sim.runUntil(1000);
    assert.deepEqual(only(seenBy(sim, 1), 'wake'), ['wake@50', 'wake@50']);
  });
});

describe('Simulation: liveness', () => {
  it('reports who is heard after the detection delay, only on change', () => {
    const { sim } = recorderSim<string>([1, 2, 3]);
    sim.startAll();
    sim.runUntil(50);
    sim.network.isolate(3);
    sim.runUntil(500);
    assert.deepEqual(only(seenBy(sim, 1), 'liveness'), [
      'liveness [2]@10', // one pair at a time: each peer is detected on its own
      'liveness [2,3]@10',
      'liveness [2]@150', // 3 cut at 50, reported 100 ms later
    ]);
    assert.deepEqual(only(seenBy(sim, 3), 'liveness'), [
      'liveness [1]@10',
      'liveness [1,2]@10',
      'liveness [2]@150',
      'liveness []@150',
    ]);
    assert.deepEqual(sim.believedUp(1), [2]);
  });

  it('does not report a cut shorter than the detection delay', () => {
    const { sim } = recorderSim<string>([1, 2]);
    sim.startAll();
    sim.runUntil(50);
    sim.network.setLink(1, 2, false);
    sim.runUntil(80);
    sim.network.setLink(1, 2, true);
    sim.runUntil(500);
    assert.deepEqual(only(seenBy(sim, 1), 'liveness'), ['liveness [2]@10']);
  });

  it('is asymmetric: a one-way link is heard one way only', () => {
    const { sim } = recorderSim<string>([1, 2]);
    sim.startAll();
    sim.runUntil(50);
    sim.network.oneWay(1, 2);
    sim.runUntil(500);
    assert.deepEqual(sim.believedUp(2), [1]);
    assert.deepEqual(sim.believedUp(1), []);
  });

  it('adds jitter from the seed', () => {
    const { sim } = recorderSim<string>([1, 2, 3, 4], undefined, {
      liveness: { downAfterMs: 100, upAfterMs: 10, jitterMs: 50 },
    });
    sim.startAll();
    sim.runUntil(500);
    const times = only(seenBy(sim, 1), 'liveness').map((l) => Number(l.split('@')[1]));
    assert.equal(times.length, 3);
    assert.ok(times.every((t) => t >= 10 && t <= 60));
    assert.ok(new Set(times).size > 1, times.join(','));
  });
});

describe('Simulation: pauses', () => {
  it('queues what arrives while paused and delivers it on resume: wake first, then in arrival order', () => {
    const { sim } = recorderSim<string>([1, 2, 3], (node, input, nowMs) => {
      if (node === 2 && input.type === 'start') return [{ type: 'wake-at', atMs: 300 }];
      if (node === 1 && input.type === 'operator')
        return [{ type: 'send', to: 2, msg: `at${nowMs}` }];
      return [];
    });
    sim.startAll();
    sim.runUntil(50);
    sim.schedule(50, { type: 'pause', node: 2, durationMs: 500 });
    sim.inject(100, 1, operator);
    sim.inject(200, 1, operator);
    sim.schedule(250, { type: 'isolate', node: 3 });
    sim.runUntil(549);
    assert.equal(sim.status(2), 'paused');
    const before = seenBy(sim, 2);
    assert.ok(
      before.every((l) => Number(l.split('@')[1]) <= 50),
      before.join(' '),
    );
    // Others see the paused node go, after the detection delay.
    assert.deepEqual(sim.believedUp(1), []);
    sim.runUntil(2000);
    const after = seenBy(sim, 2).slice(before.length);
    assert.deepEqual(after.slice(0, 3), ['wake@550', 'message 1:at100@550', 'message 1:at200@550']);
    // The isolation of 3 during the pause reaches 2 only a detection delay after it resumed.
    assert.deepEqual(after.slice(3), ['liveness [1]@650']);
    assert.deepEqual(sim.believedUp(1), [2]);
  });

  it('keeps what a paused node holds, and a dead man switch halts a long pause', () => {
    const hold = (node: NodeNo, input: NodeInput<string>): NodeEffect<string>[] =>
      input.type === 'start'
        ? [{ type: 'holding', group: `g${node}`, held: true, exclusive: true }]
        : [];
    const { sim } = recorderSim<string>([1, 2], hold, { deadmanMs: 300 });
    sim.startAll();
    sim.schedule(10, { type: 'pause', node: 1, durationMs: 200 });
    sim.schedule(10, { type: 'pause', node: 2, durationMs: 1000 });
    sim.runUntil(100);
    assert.deepEqual(sim.holders('g1'), [1]);
    assert.deepEqual(sim.holders('g2'), [2]);
    sim.runUntil(309);
    assert.equal(sim.status(2), 'paused');
    sim.runUntil(310);
    assert.equal(sim.status(1), 'running');
    assert.equal(sim.status(2), 'down');
    assert.deepEqual(sim.holders('g2'), []);
    assert.deepEqual(sim.holders('g1'), [1]);
    sim.runUntil(2000);
    assert.equal(sim.status(2), 'down', 'the end of the halted pause does not revive it');
  });
});

describe('Simulation: crashes and restarts', () => {
  it('a crash loses state, holdings, queued and in-flight results; a restart re-inits and starts', () => {
    const { sim, inits } = recorderSim<string>(
      [1, 2],
      (node, input) => {
        if (node !== 2 || input.type !== 'start') return [];
        return [
          { type: 'holding', group: 'g', held: true, exclusive: true },
          { type: 'run', runId: 'r', command: 'sleep', env: {}, timeoutMs: 10_000 },
        ];
      },
      { commands: { durationMs: [500, 500] } },
    );
    sim.startAll();
    sim.runUntil(100);
    assert.deepEqual(sim.holders('g'), [2]);
    sim.schedule(100, { type: 'crash', node: 2 });
    sim.inject(150, 1, operator);
    sim.runUntil(200);
    assert.equal(sim.status(2), 'down');
    assert.equal(sim.state(2), undefined);
    assert.deepEqual(sim.holders('g'), []);
    assert.deepEqual(sim.believedUp(2), []);
    sim.schedule(300, { type: 'restart', node: 2 });
    sim.runUntil(2000);
    assert.equal(inits.get(2), 2);
    assert.equal(sim.incarnation(2), 2);
    const s = sim.state(2) as RecorderState<string>;
    assert.equal(s.life, 2);
    assert.equal(s.seen[0]?.input.type, 'start');
    // The run started by life 2 completes for life 2; the one of life 1 (due at 500) never arrives.
    assert.deepEqual(only(seenBy(sim, 2), 'run-result'), ['run-result r 0@800']);
  });

  it('drops messages to a crashed node and counts them', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator((node) => (node === 1 ? [{ type: 'send', to: 2, msg: 'x' }] : [])),
    );
    sim.startAll();
    sim.schedule(10, { type: 'crash', node: 2 });
    sim.inject(20, 1, operator);
    sim.runUntil(100);
    assert.equal(sim.stats.droppedDown, 1);
  });

  it('notes faults that do not apply instead of failing', () => {
    const { sim } = recorderSim<string>([1, 2]);
    sim.startAll();
    sim.schedule(10, { type: 'restart', node: 1 });
    sim.schedule(10, { type: 'pause', node: 2, durationMs: 100 });
    sim.schedule(20, { type: 'pause', node: 2, durationMs: 100 });
    sim.runUntil(300);
    assert.equal(sim.incarnation(1), 1);
    assert.equal(sim.status(2), 'running');
  });

  it('heal-all heals the network, resumes the paused and restarts the crashed', () => {
    const { sim } = recorderSim<string>([1, 2, 3, 4]);
    sim.startAll();
    sim.schedule(10, { type: 'split', a: [1, 2], b: [3, 4] });
    sim.schedule(10, { type: 'crash', node: 1 });
    sim.schedule(10, { type: 'pause', node: 2, durationMs: 10_000 });
    sim.schedule(100, { type: 'heal-all' });
    sim.runUntil(1000);
    assert.ok(sim.network.healed);
    assert.deepEqual(
      sim.nodes.map((n) => sim.status(n)),
      ['running', 'running', 'running', 'running'],
    );
    for (const n of sim.nodes)
      assert.deepEqual(
        sim.believedUp(n),
        sim.nodes.filter((m) => m !== n),
      );
  });
});

describe('Simulation: commands and the tie-breaker', () => {
  const run = (runId: string, timeoutMs = 1000): NodeEffect<string> => ({
    type: 'run',
    runId,
    command: runId,
    env: {},
    timeoutMs,
  });

  it('completes runs after their duration: success, failure rate, script, timeout', () => {
    const { sim } = recorderSim<string>(
      [1],
      onOperator(() => [run('a'), run('b'), run('slow', 100)]),
      {
        commands: {
          durationMs: [20, 20],
          script: (_node, r) =>
            r.runId === 'b'
              ? { exitCode: 3, durationMs: 5, output: 'no' }
              : r.runId === 'slow'
                ? { exitCode: 0, durationMs: 500 }
                : undefined,
        },
      },
    );
    sim.startAll();
    sim.inject(10, 1, operator);
    sim.runUntil(1000);
    assert.deepEqual(only(seenBy(sim, 1), 'run-result'), [
      'run-result b 3@15',
      'run-result a 0@30',
      'run-result slow null timeout@110',
    ]);

    const failing = recorderSim<string>(
      [1],
      onOperator(() => [run('x')]),
      { commands: { failPercent: 100 } },
    ).sim;
    failing.startAll();
    failing.inject(10, 1, operator);
    failing.runUntil(1000);
    assert.match(only(seenBy(failing, 1), 'run-result')[0] ?? '', /^run-result x 1@/);
  });

  it('grants the lease to the first requester, renews the holder, denies others until it expires', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator((node, now) => [{ type: 'tiebreak', requestId: `${node}@${now}` }]),
      {
        tiebreaker: { leaseMs: 1000, latencyMs: [10, 10] },
      },
    );
    sim.startAll();
    sim.inject(100, 1, operator);
    sim.inject(200, 2, operator);
    sim.inject(500, 1, operator); // renewal: the lease now runs to 1510
    sim.inject(1200, 2, operator);
    sim.inject(1600, 2, operator);
    sim.runUntil(3000);
    assert.deepEqual(only(seenBy(sim, 1), 'tiebreak'), [
      'tiebreak-result 1@100 granted@120',
      'tiebreak-result 1@500 granted@520',
    ]);
    assert.deepEqual(only(seenBy(sim, 2), 'tiebreak'), [
      'tiebreak-result 2@200 denied@220',
      'tiebreak-result 2@1200 denied@1220',
      'tiebreak-result 2@1600 granted@1620',
    ]);
    assert.deepEqual(sim.tiebreaker(), undefined);
  });

  it('answers no when the tie-breaker is unreachable, and no renewal when not renewable', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator((node, now) => [{ type: 'tiebreak', requestId: `${node}@${now}` }]),
      {
        tiebreaker: {
          leaseMs: 1000,
          latencyMs: [10, 10],
          renewable: false,
          reachable: (node) => node === 1,
          unreachableAnswerMs: 300,
        },
      },
    );
    sim.startAll();
    sim.inject(100, 1, operator);
    sim.inject(200, 1, operator);
    sim.inject(100, 2, operator);
    sim.runUntil(3000);
    assert.deepEqual(only(seenBy(sim, 1), 'tiebreak'), [
      'tiebreak-result 1@100 granted@120',
      'tiebreak-result 1@200 denied@220',
    ]);
    assert.deepEqual(only(seenBy(sim, 2), 'tiebreak'), ['tiebreak-result 2@100 denied@400']);
  });
});

describe('Simulation: invariants, exit, errors', () => {
  it('stops at the first violated invariant, and says what, where and when', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator(() => [{ type: 'holding', group: 'ip', held: true, exclusive: true }]),
      { invariants: [exclusiveHolding()] },
    );
    sim.startAll();
    sim.inject(100, 1, operator);
    sim.inject(200, 2, operator);
    sim.inject(300, 1, operator);
    assert.equal(sim.runUntil(1000), false);
    assert.deepEqual(sim.violation, {
      invariant: 'exclusive-holding',
      message: 'exclusive group ip held by 1 (running) and 2 (running)',
      atMs: 200,
    });
    assert.equal(sim.nowMs, 200);
    assert.match(sim.traceLines(1)[0] ?? '', /violation +exclusive-holding: exclusive group ip/);
  });

  it('allows concurrent (non-exclusive) groups on several nodes', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator(() => [{ type: 'holding', group: 'fs', held: true, exclusive: false }]),
      {
        invariants: [exclusiveHolding()],
      },
    );
    sim.startAll();
    sim.inject(100, 1, operator);
    sim.inject(200, 2, operator);
    assert.equal(sim.runUntil(1000), true);
    assert.deepEqual(sim.holders('fs'), [1, 2]);
  });

  it('stops a node at exit, ignoring the effects after it', () => {
    const { sim } = recorderSim<string>(
      [1, 2],
      onOperator((node) =>
        node === 1
          ? [{ type: 'exit' }, { type: 'send', to: 2, msg: 'after' }]
          : [{ type: 'send', to: 1, msg: 'late' }],
      ),
    );
    sim.startAll();
    sim.inject(100, 1, operator);
    sim.inject(200, 2, operator);
    sim.runUntil(1000);
    assert.equal(sim.status(1), 'exited');
    assert.equal(only(seenBy(sim, 2), 'message').length, 0);
    assert.equal(sim.stats.droppedDown, 1);
    assert.deepEqual(sim.believedUp(2), []);
  });

  it('turns a throwing step into a violation', () => {
    const sim = new Simulation<null, string>({
      seed: 1,
      nodes: [1],
      machine: {
        step() {
          throw new Error('boom');
        },
      },
      init: () => null,
    });
    sim.startAll();
    assert.equal(sim.runUntil(100), false);
    assert.equal(sim.violation?.invariant, 'step-threw');
    assert.match(sim.violation.message, /node 1 threw on a start input: Error: boom/);
  });

  it('with freeze, catches a step that mutates its state', () => {
    const make = (freeze: boolean) =>
      new Simulation<{ n: number }, string>({
        seed: 1,
        nodes: [1],
        freeze,
        machine: {
          step(state, input, nowMs) {
            if (input.type === 'wake') state.n++; // the bug: mutates the old state
            return { state: { ...state }, effects: [{ type: 'wake-at', atMs: nowMs + 10 }] };
          },
        },
        init: () => ({ n: 0 }),
      });
    const lax = make(false);
    lax.startAll();
    assert.equal(lax.runUntil(100), true);
    const strict = make(true);
    strict.startAll();
    assert.equal(strict.runUntil(100), false);
    assert.equal(strict.violation?.invariant, 'step-threw');
    assert.match(strict.violation.message, /TypeError/);
  });

  it('is deterministic for a seed, and differs across seeds', () => {
    const traceOf = (seed: number): string => {
      const { sim } = recorderSim<string>(
        [1, 2, 3],
        onOperator((node) => [{ type: 'send', to: (node % 3) + 1, msg: 'x' }]),
        {
          seed,
          network: { delayMs: [1, 50], lossPercent: 20, duplicatePercent: 20 },
          liveness: { downAfterMs: 100, upAfterMs: 10, jitterMs: 30 },
          traceCapacity: 10_000,
        },
      );
      sim.startAll(100);
      for (let t = 0; t < 2000; t += 37) sim.inject(t, (t % 3) + 1, operator);
      sim.schedule(500, { type: 'isolate', node: 2 });
      sim.schedule(900, { type: 'heal' });
      sim.runUntil(3000);
      return sim.traceLines().join('\n');
    };
    assert.equal(traceOf(7), traceOf(7));
    assert.notEqual(traceOf(7), traceOf(8));
  });
});
