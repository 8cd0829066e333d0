// The toy lease-leader protocol as simulator scenarios: the correct one, which must pass every
// seed, and two broken ones the simulator must catch (tests/sim: engine self-tests).
import type { NodeNo } from '../../core/cluster/node.js';
import { exclusiveHolding } from '../invariants.js';
import type { Scenario, ScenarioSetup } from '../scenario.js';
import type { Invariant, World } from '../world.js';
import {
  GROUP,
  initialToyState,
  toyMachine,
  type ToyConfig,
  type ToyMsg,
  type ToyState,
} from './lease-leader.js';

const LEASE_MS = 3000;

export interface ToyScenarioOptions {
  readonly name: string;
  readonly description: string;
  readonly bug?: ToyConfig['bug'];
  /** @default 500 (shorter than the protocol's 1000 ms margin, as its safety argument needs) */
  readonly deadmanMs?: number | undefined;
}

export function toyScenario(options: ToyScenarioOptions): Scenario<ToyState, ToyMsg> {
  return {
    name: options.name,
    description: options.description,
    nodeCount: { min: 2, max: 16 },
    setup(nodes: readonly NodeNo[]): ScenarioSetup<ToyState, ToyMsg> {
      const config: ToyConfig = {
        peers: nodes,
        tickMs: 100,
        leaseMs: LEASE_MS,
        marginMs: 1000,
        renewBeforeMs: 1000,
        requestTimeoutMs: 500,
        acquireTimeoutMs: 200,
        bug: options.bug,
      };
      return {
        machine: toyMachine(config),
        init: (node) => initialToyState(node),
        network: { delayMs: [1, 10], lossPercent: 1, duplicatePercent: 1 },
        liveness: { downAfterMs: 1000, upAfterMs: 100, jitterMs: 200 },
        commands: { durationMs: [1, 100], failPercent: 2 },
        tiebreaker: { leaseMs: LEASE_MS, latencyMs: [1, 20] },
        deadmanMs: 'deadmanMs' in options ? options.deadmanMs : 500,
        invariants: [exclusiveHolding<ToyState>()],
        eventually: [lowestRunningNodeHolds],
        startSpreadMs: 500,
        faultsEndMs: 20_000,
        convergeWithinMs: 8_000,
      };
    },
  };
}

/** After healing: G is held by exactly the lowest running node, and every running node knows it. */
export const lowestRunningNodeHolds: Invariant<ToyState> = {
  name: 'lowest-running-node-holds',
  check(world: World<ToyState>): string | undefined {
    const running = world.nodes.filter((n) => world.status(n) === 'running');
    const lowest = running[0];
    const holders = world.holders(GROUP);
    if (lowest === undefined) return undefined;
    if (holders.length !== 1 || holders[0] !== lowest) {
      return `G held by [${holders.join(', ')}], expected by the lowest running node ${lowest}`;
    }
    const unaware = running.filter((n) => world.state(n)?.knownHolder !== lowest);
    if (unaware.length > 0) return `nodes ${unaware.join(', ')} do not know that ${lowest} holds G`;
    return undefined;
  },
};

export const toyLease = toyScenario({
  name: 'toy-lease',
  description:
    'toy lease-leader protocol with a tie-breaker lease and a dead man switch (must pass)',
});

export const toyLeaseSplitBrain = toyScenario({
  name: 'toy-lease-split-brain',
  description: 'toy protocol with a bug: the leader holds without the tie-breaker (must fail)',
  bug: 'no-tiebreaker',
});

export const toyLeaseNoDeadman = toyScenario({
  name: 'toy-lease-no-deadman',
  description:
    'toy protocol without a dead man switch: a paused leader wakes still holding (must fail)',
  deadmanMs: undefined,
});
