// Every failing seed the simulator has found, kept as a test: the seed must now pass (once the
// bug is fixed), or, for the deliberately broken toy scenarios, must keep failing the same way
// (which pins the engine's determinism across changes).
//
// A seed replays the same schedule only while the engine, the fault generator and the random
// streams are unchanged (see README.md, "Determinism"). When one of those changes on purpose,
// re-check these entries, and for a bug that matters write its schedule out by hand as a
// scripted test (Simulation.schedule / inject), which no change of the generator can lose.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findScenario } from './scenarios.js';
import type { NodeCountRange } from './scenario.js';

interface Regression {
  readonly scenario: string;
  readonly seed: number;
  /** The --nodes it was found with, if any. */
  readonly nodes?: NodeCountRange;
  /** 'pass', or the invariant it must violate. */
  readonly expect: string;
  /** What the seed found. */
  readonly why: string;
}

const REGRESSIONS: readonly Regression[] = [
  {
    scenario: 'toy-lease-split-brain',
    seed: 0,
    expect: 'exclusive-holding',
    why: 'two nodes start before they hear each other; each thinks it is the lowest and holds G',
  },
  {
    scenario: 'toy-lease-no-deadman',
    seed: 20,
    expect: 'exclusive-holding',
    why: 'the holder is paused past its lease; the other node gets the lease and G while it is frozen',
  },
];

describe('simulator regressions', () => {
  for (const r of REGRESSIONS) {
    it(`${r.scenario} seed ${r.seed}: ${r.expect} (${r.why})`, () => {
      const scenario = findScenario(r.scenario);
      assert.ok(scenario, `no scenario ${r.scenario}`);
      const result = scenario.run(r.seed, { nodeCount: r.nodes, traceLines: 40 });
      const got = result.violation?.invariant ?? 'pass';
      assert.equal(
        got,
        r.expect,
        result.violation ? `${result.violation.message}\n${result.violation.trace.join('\n')}` : '',
      );
    });
  }
});
