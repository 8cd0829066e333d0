// The simulator proves itself on the toy protocol: the correct variant passes, each broken one
// is caught within a small seed budget, and a failing seed replays exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runBatch } from '../batch.js';
import { findScenario } from '../scenarios.js';
import type { ScenarioEntry } from '../scenarios.js';

function scenario(name: string): ScenarioEntry {
  const s = findScenario(name);
  assert.ok(s, name);
  return s;
}

describe('toy lease-leader scenarios', () => {
  it('the correct protocol passes every seed of a budget', () => {
    const result = runBatch(scenario('toy-lease'), { start: 0, count: 300 });
    assert.equal(result.done, 300);
    assert.deepEqual(
      result.failures.map((f) => `${f.seed}: ${f.violation?.invariant} ${f.violation?.message}`),
      [],
    );
  });

  for (const [name, invariant] of [
    ['toy-lease-split-brain', 'exclusive-holding'],
    ['toy-lease-no-deadman', 'exclusive-holding'],
  ] as const) {
    it(`${name}: the bug is caught within 100 seeds, and its seed replays exactly`, () => {
      const entry = scenario(name);
      const result = runBatch(entry, { start: 0, count: 100 });
      const failure = result.failures[0];
      assert.ok(failure, 'no failing seed in 100');
      assert.equal(failure.violation?.invariant, invariant);
      const replay = entry.run(failure.seed, { traceLines: 60 });
      assert.deepEqual(replay, failure);
    });
  }

  it('the no-deadman failure is the pause fault: a paused holder wakes still holding', () => {
    const result = runBatch(scenario('toy-lease-no-deadman'), {
      start: 0,
      count: 200,
      keepGoing: true,
    });
    assert.ok(result.failures.length > 0);
    assert.ok(
      result.failures.some((f) => f.violation?.message.includes('(paused)') === true),
      result.failures.map((f) => f.violation?.message).join('\n'),
    );
  });

  it('throughput (printed, not asserted)', (t) => {
    const count = 200;
    const began = performance.now();
    const result = runBatch(scenario('toy-lease'), { start: 10_000, count });
    const seconds = (performance.now() - began) / 1000;
    t.diagnostic(
      `toy-lease: ${count} seeds in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} seeds/s, ` +
        `${Math.round(result.events / seconds).toLocaleString('en-US')} events/s`,
    );
    assert.equal(result.done, count);
  });
});
