// One seed, one run: the seed decides the cluster size, the fault schedule and every random
// choice of the world, so `runSeed(seed, scenario)` is a pure function of its arguments: the
// same seed gives the same result, the same stats and a byte-identical trace.
import type { NodeNo } from '../core/cluster/node.js';
import { InvalidArgumentError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import { Simulation, type SimStats, type Violation } from './engine.js';
import { generateFaults } from './faults.js';
import type { NodeCountRange, Scenario } from './scenario.js';

export const DEFAULT_NODE_COUNT: NodeCountRange = { min: 2, max: 16 };

export interface RunOptions {
  /** Overrides the scenario's node count range. */
  readonly nodeCount?: NodeCountRange | undefined;
  /** Trace records kept in the ring when tracing (a failing seed's rerun, keepTrace). @default 4096 */
  readonly traceCapacity?: number | undefined;
  /** Trace lines in a violation's report. @default 60 */
  readonly traceLines?: number | undefined;
  /** Return every kept trace line in `trace`, failing or not (for replays and tests). */
  readonly keepTrace?: boolean | undefined;
  /** See SimulationOptions.freeze: catch steps that mutate their inputs or states. */
  readonly freeze?: boolean | undefined;
}

export interface RunViolation extends Violation {
  /** The last trace lines before (and including) the violation. */
  readonly trace: readonly string[];
}

export interface RunResult {
  readonly ok: boolean;
  readonly seed: number;
  readonly scenario: string;
  readonly nodes: readonly NodeNo[];
  readonly violation?: RunViolation;
  readonly stats: SimStats;
  /**
   * How long after the faults ended the `eventually` properties first held (probed every
   * CONVERGE_PROBE_MS); absent when they never did.
   */
  readonly convergedAfterMs?: number;
  /** With keepTrace: the whole kept trace. */
  readonly trace?: readonly string[];
}

export function runSeed<S, M>(
  seed: number,
  scenario: Scenario<S, M>,
  options: RunOptions = {},
): RunResult {
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new InvalidArgumentError('seed', seed, 'an integer in [0, 2^32)');
  }
  const capacity = options.traceCapacity ?? 4096;
  const keepTrace = options.keepTrace === true;
  // Untraced first (see trace.ts: the ring is the largest cost of a run); a failure is run
  // again traced, and must fail identically.
  let run = simulate(seed, scenario, options, keepTrace ? capacity : 0);
  if (run.violation !== undefined && !keepTrace) {
    const first = run;
    const firstAt = run.violation.atMs;
    run = simulate(seed, scenario, options, capacity);
    const again = run.violation;
    if (!sameViolation(first, run)) {
      run.violation = {
        invariant: 'determinism',
        message:
          `the traced rerun of seed ${seed} did not fail the same way: first ${describeRun(first)}, ` +
          `then ${describeRun(run)}; something reads a clock, Math.random or shared mutable state`,
        atMs: Math.min(firstAt, again?.atMs ?? Infinity),
      };
    }
  }
  const { sim, nodes, violation } = run;
  const base = {
    seed,
    scenario: scenario.name,
    nodes,
    stats: sim.stats,
    ...(run.convergedAfterMs === undefined ? {} : { convergedAfterMs: run.convergedAfterMs }),
  };
  const trace = keepTrace ? { trace: sim.traceLines() } : {};
  if (violation === undefined) return { ok: true, ...base, ...trace };
  return {
    ok: false,
    ...base,
    violation: { ...violation, trace: sim.traceLines(options.traceLines ?? 60) },
    ...trace,
  };
}

interface Simulated<S, M> {
  readonly sim: Simulation<S, M>;
  readonly nodes: readonly NodeNo[];
  violation: Violation | undefined;
  convergedAfterMs?: number | undefined;
}

/** After the faults end, the `eventually` properties are probed this often... */
export const CONVERGE_PROBE_MS = 100;
/** ...and must hold at every probe for this long (no relapse) to count as converged. */
export const CONVERGE_HOLD_MS = 2_000;

function simulate<S, M>(
  seed: number,
  scenario: Scenario<S, M>,
  options: RunOptions,
  traceCapacity: number,
): Simulated<S, M> {
  const root = new SeededRandom(seed);
  const nodes = drawNodes(root.fork('nodes'), options.nodeCount ?? scenario.nodeCount);
  const setup = scenario.setup(nodes, root.fork('scenario'));
  const sim = new Simulation<S, M>({
    seed,
    nodes,
    machine: setup.machine,
    init: setup.init,
    network: setup.network,
    liveness: setup.liveness,
    commands: setup.commands,
    tiebreaker: setup.tiebreaker,
    deadmanMs: setup.deadmanMs,
    invariants: setup.invariants,
    traceCapacity,
    freeze: options.freeze,
  });
  sim.scheduleAll(generateFaults(root.fork('faults'), nodes, setup.faultsEndMs, setup.faults));
  setup.drive?.(sim, root.fork('drive'));
  sim.startAll(setup.startSpreadMs ?? 0);
  // Run the faults, then probe convergence: the properties must hold at every probe for
  // CONVERGE_HOLD_MS (a relapse starts the count again), within the scenario's bound; at the
  // bound, they are checked for good.
  const deadline = setup.faultsEndMs + setup.convergeWithinMs + CONVERGE_HOLD_MS;
  let convergedAfterMs: number | undefined;
  let since: number | undefined;
  let t = setup.faultsEndMs;
  sim.runUntil(t);
  while (sim.violation === undefined && t < deadline) {
    if (!sim.holds(setup.eventually)) since = undefined;
    else if (since === undefined) since = t;
    else if (t - since >= CONVERGE_HOLD_MS) {
      convergedAfterMs = since - setup.faultsEndMs;
      break;
    }
    t = Math.min(t + CONVERGE_PROBE_MS, deadline);
    sim.runUntil(t);
  }
  return {
    sim,
    nodes,
    violation: sim.violation ?? sim.checkNow(setup.eventually),
    convergedAfterMs,
  };
}

function sameViolation(a: Simulated<unknown, unknown>, b: Simulated<unknown, unknown>): boolean {
  const x = a.violation;
  const y = b.violation;
  return (
    x !== undefined &&
    y !== undefined &&
    x.invariant === y.invariant &&
    x.message === y.message &&
    x.atMs === y.atMs &&
    a.sim.stats.events === b.sim.stats.events
  );
}

function describeRun(r: Simulated<unknown, unknown>): string {
  const v = r.violation;
  return v === undefined
    ? `no violation after ${r.sim.stats.events} events`
    : `${v.invariant} at ${v.atMs} ms after ${r.sim.stats.events} events`;
}

/** Nodes 1..n, n drawn in the range. */
export function drawNodes(random: SeededRandom, range = DEFAULT_NODE_COUNT): NodeNo[] {
  const { min, max } = range;
  if (!(Number.isInteger(min) && Number.isInteger(max) && min >= 1 && max >= min && max <= 1024)) {
    throw new InvalidArgumentError('nodeCount', range, 'integers 1 <= min <= max <= 1024');
  }
  const n = min + random.int(max - min + 1);
  return Array.from({ length: n }, (_, i) => i + 1);
}
