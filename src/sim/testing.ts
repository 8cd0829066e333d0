// Test helpers for the simulator's own tests: a node that records every input it gets and
// reacts as a test script says, so a test can assert on exactly what the engine delivered.
import type { NodeEffect, NodeInput, NodeMachine, NodeNo } from '../core/cluster/node.js';
import { Simulation, type SimulationOptions } from './engine.js';

export interface Seen<M> {
  readonly atMs: number;
  readonly input: NodeInput<M>;
}

export interface RecorderState<M> {
  readonly node: NodeNo;
  /** Which start of the node this state belongs to (1 at the first). */
  readonly life: number;
  readonly seen: readonly Seen<M>[];
}

/** Decides a recorder's effects for one input. */
export type React<M> = (
  node: NodeNo,
  input: NodeInput<M>,
  nowMs: number,
  state: RecorderState<M>,
) => readonly NodeEffect<M>[];

export function recorder<M>(react: React<M> = () => []): NodeMachine<RecorderState<M>, M> {
  return {
    step(state, input, nowMs) {
      const next = { ...state, seen: [...state.seen, { atMs: nowMs, input }] };
      return { state: next, effects: react(state.node, input, nowMs, next) };
    },
  };
}

/** A simulation of recorders; `inits` counts init calls per node (restarts re-init). */
export function recorderSim<M>(
  nodes: readonly NodeNo[],
  react?: React<M>,
  options: Partial<SimulationOptions<RecorderState<M>, M>> = {},
): { sim: Simulation<RecorderState<M>, M>; inits: Map<NodeNo, number> } {
  const inits = new Map<NodeNo, number>();
  const sim = new Simulation<RecorderState<M>, M>({
    seed: 1,
    nodes,
    machine: recorder(react),
    init: (node) => {
      const life = (inits.get(node) ?? 0) + 1;
      inits.set(node, life);
      return { node, life, seen: [] };
    },
    // No jitter, fixed delays: tests can name exact times.
    network: { delayMs: [5, 5] },
    liveness: { downAfterMs: 100, upAfterMs: 10, jitterMs: 0 },
    ...options,
  });
  return { sim, inits };
}

/** The inputs a node has seen, as short strings: "message 2:ping@15", "wake@30", "liveness [2,3]@10". */
export function seenBy<M>(sim: Simulation<RecorderState<M>, M>, node: NodeNo): string[] {
  return (sim.state(node)?.seen ?? []).map(({ atMs, input }) => `${describeInput(input)}@${atMs}`);
}

export function describeInput<M>(input: NodeInput<M>): string {
  switch (input.type) {
    case 'message':
      return `message ${input.from}:${String(input.msg)}`;
    case 'liveness':
      return `liveness [${input.up.join(',')}]`;
    case 'run-result':
      return `run-result ${input.runId} ${input.exitCode}${input.timedOut ? ' timeout' : ''}`;
    case 'facts':
      return `facts ${JSON.stringify(input.facts)}`;
    case 'resources-result':
      return `resources-result ${input.runId} [${input.failed.map((f) => f.group).join(',')}]`;
    case 'tiebreak-result':
      return `tiebreak-result ${input.requestId} ${input.granted ? 'granted' : 'denied'}`;
    case 'start':
    case 'wake':
    case 'local-event':
    case 'operator':
      return input.type;
  }
}
