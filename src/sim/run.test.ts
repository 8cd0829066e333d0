import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../core/errors.js';
import { drawNodes, runSeed } from './run.js';
import { SeededRandom } from '../core/random.js';
import { toyLease, toyLeaseSplitBrain } from './toy/scenario.js';

describe('runSeed', () => {
  it('is deterministic: same seed, same result, same stats, byte-identical trace', () => {
    for (const seed of [0, 1, 2, 3]) {
      const a = runSeed(seed, toyLease, { keepTrace: true, traceCapacity: 100_000 });
      const b = runSeed(seed, toyLease, { keepTrace: true, traceCapacity: 100_000 });
      assert.deepEqual(a.stats, b.stats);
      assert.deepEqual(a.nodes, b.nodes);
      assert.ok((a.trace?.length ?? 0) > 1000);
      assert.equal(a.trace?.join('\n'), b.trace?.join('\n'));
      // Tracing is observation only: the untraced run does exactly the same.
      assert.deepEqual(runSeed(seed, toyLease).stats, a.stats);
    }
    assert.notDeepEqual(runSeed(0, toyLease).stats, runSeed(1, toyLease).stats);
  });

  it('reports a violation with the end of the trace from the traced rerun', () => {
    const result = runSeed(0, toyLeaseSplitBrain, { traceLines: 5 });
    assert.equal(result.ok, false);
    assert.equal(result.violation?.invariant, 'exclusive-holding');
    assert.equal(result.violation.trace.length, 5);
    assert.match(result.violation.trace.at(-1) ?? '', /violation +exclusive-holding/);
    assert.deepEqual(runSeed(0, toyLeaseSplitBrain, { traceLines: 5 }), result);
  });

  it('passes with freeze on: the toy protocol never mutates its inputs or states', () => {
    for (const seed of [0, 1, 2]) assert.equal(runSeed(seed, toyLease, { freeze: true }).ok, true);
  });

  it('lets a scenario drive the run (operator requests, scripted faults)', () => {
    const driven = {
      ...toyLease,
      setup(...args: Parameters<typeof toyLease.setup>) {
        return {
          ...toyLease.setup(...args),
          faults: {
            weights: {
              isolate: 0,
              split: 0,
              bridge: 0,
              'one-way': 0,
              flap: 0,
              heal: 0,
              crash: 0,
              restart: 0,
              pause: 0,
            },
          },
          drive: (sim: {
            schedule: (atMs: number, fault: { type: 'crash'; node: number }) => void;
          }) => {
            sim.schedule(5000, { type: 'crash', node: 1 });
          },
        };
      },
    };
    const result = runSeed(3, driven, { keepTrace: true });
    assert.equal(result.ok, true);
    assert.equal(result.stats.faults, 2); // the scripted crash, and heal-all at the end
    assert.ok(result.trace?.some((l) => /^ +5000 -- +fault +\{type:"crash",node:1\}$/.test(l)));
  });

  it('draws the cluster size from the seed within the range', () => {
    const sizes = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const n = drawNodes(new SeededRandom(seed), { min: 2, max: 16 });
      assert.deepEqual(
        n,
        Array.from({ length: n.length }, (_, i) => i + 1),
      );
      sizes.add(n.length);
    }
    assert.equal(sizes.size, 15);
    assert.equal(runSeed(5, toyLease, { nodeCount: { min: 3, max: 3 } }).nodes.length, 3);
    assert.throws(() => runSeed(-1, toyLease), InvalidArgumentError);
    assert.throws(() => runSeed(1.5, toyLease), InvalidArgumentError);
  });
});
