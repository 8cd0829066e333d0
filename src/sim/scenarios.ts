// The scenario registry: what `npm run sim -- --scenario NAME` can run. To add one, write a
// Scenario (scenario.ts) and list it in SCENARIOS below.
import { DEFAULT_NODE_COUNT, runSeed, type RunOptions, type RunResult } from './run.js';
import type { NodeCountRange, Scenario } from './scenario.js';
import { toyLease, toyLeaseNoDeadman, toyLeaseSplitBrain } from './toy/scenario.js';
import { groupServices } from './group/scenario.js';

/** A registered scenario, its state and message types erased. */
export interface ScenarioEntry {
  readonly name: string;
  readonly description: string;
  readonly nodeCount: NodeCountRange;
  run(seed: number, options?: RunOptions): RunResult;
}

export function entry<S, M>(scenario: Scenario<S, M>): ScenarioEntry {
  return {
    name: scenario.name,
    description: scenario.description,
    nodeCount: scenario.nodeCount ?? DEFAULT_NODE_COUNT,
    run: (seed, options) => runSeed(seed, scenario, options),
  };
}

export const SCENARIOS: readonly ScenarioEntry[] = [
  entry(groupServices),
  entry(toyLease),
  entry(toyLeaseSplitBrain),
  entry(toyLeaseNoDeadman),
];

/** What runs without --scenario. */
export const DEFAULT_SCENARIO = 'group-services';

export function findScenario(name: string): ScenarioEntry | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
