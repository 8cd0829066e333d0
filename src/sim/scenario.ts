// A scenario: everything one seed's run needs besides the seed. It describes a cluster (the
// machine, its initial state, the models of the world) and the properties to check; runSeed
// (run.ts) draws the node count, the fault schedule and every random choice from the seed.
import type { NodeMachine, NodeNo } from '../core/cluster/node.js';
import type { SeededRandom } from '../core/random.js';
import type { Simulation } from './engine.js';
import type { CommandModel, LivenessModel, NetworkModel, TiebreakerModel } from './models.js';
import type { FaultPlanOptions } from './faults.js';
import type { Invariant } from './world.js';

export interface NodeCountRange {
  readonly min: number;
  readonly max: number;
}

export interface ScenarioSetup<S, M> {
  readonly machine: NodeMachine<S, M>;
  readonly init: (node: NodeNo, random: SeededRandom) => S;
  readonly network?: Partial<NetworkModel> | undefined;
  readonly liveness?: Partial<LivenessModel> | undefined;
  readonly commands?: Partial<CommandModel> | undefined;
  readonly tiebreaker?: Partial<TiebreakerModel> | undefined;
  /** See SimulationOptions.deadmanMs. */
  readonly deadmanMs?: number | undefined;
  /** Safety: checked after every step, fault and tie-breaker decision. */
  readonly invariants: readonly Invariant<S>[];
  /** Liveness: checked once, convergeWithinMs after the faults end and everything is healed. */
  readonly eventually: readonly Invariant<S>[];
  /** Nodes start at times drawn in [0, startSpreadMs]. @default 0 */
  readonly startSpreadMs?: number | undefined;
  /** Faults are generated over [0, faultsEndMs); then everything heals. */
  readonly faultsEndMs: number;
  /** How long after faultsEndMs the `eventually` properties must hold. */
  readonly convergeWithinMs: number;
  readonly faults?: FaultPlanOptions | undefined;
  /**
   * Anything else the scenario wants to happen, scheduled before the run starts: operator
   * requests and local events (`sim.inject`), scripted faults (`sim.schedule`). `random` is
   * the seed's own stream for it.
   */
  readonly drive?: ((sim: Simulation<S, M>, random: SeededRandom) => void) | undefined;
}

export interface Scenario<S, M> {
  /** The name on the command line: lowercase words joined by dashes. */
  readonly name: string;
  readonly description: string;
  /** Cluster sizes: each seed draws a node count in this range. @default { min: 2, max: 16 } */
  readonly nodeCount?: NodeCountRange | undefined;
  /** The cluster for one seed: `nodes` are 1..n, `random` is the seed's own stream for setup. */
  setup(nodes: readonly NodeNo[], random: SeededRandom): ScenarioSetup<S, M>;
}
