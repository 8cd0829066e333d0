// What invariants see: a read-only view of the simulated world after each step. The
// Simulation implements it; invariants must not keep references to it across calls.
import type { NodeNo } from '../core/cluster/node.js';

/**
 * - `down`: not running: never started yet, or crashed (state lost) and not restarted.
 * - `running`: processing inputs.
 * - `paused`: frozen; keeps its state and what it holds, processes nothing, is heard by nobody.
 * - `exited`: stopped itself with an `exit` effect; stays stopped.
 */
export type NodeStatus = 'down' | 'running' | 'paused' | 'exited';

export interface World<S> {
  /** Virtual time now (ms). */
  readonly nowMs: number;
  /** Every node of the cluster, ascending. */
  readonly nodes: readonly NodeNo[];
  /** The node whose step was just taken; undefined after a fault or before any step. */
  readonly lastStepped: NodeNo | undefined;
  status(node: NodeNo): NodeStatus;
  /** The node's state: undefined while down (and before its first start). Paused and exited keep theirs. */
  state(node: NodeNo): S | undefined;
  /** Starts counted since the beginning: 0 before the first start, +1 at every (re)start. */
  incarnation(node: NodeNo): number;
  /**
   * Nodes that currently declare `group` held (their last `holding` effect for it said held),
   * ascending. A crash clears what the node held (the machine is gone); a pause does not (the
   * frozen machine still answers for its addresses and its application still runs).
   */
  holders(group: string): readonly NodeNo[];
  /** Groups the node holds, with the `exclusive` flag of its last holding effect for each. */
  heldBy(node: NodeNo): ReadonlyMap<string, boolean>;
  /** Every group ever declared held by anyone (held now or not). */
  groups(): Iterable<string>;
  /** Whether `group`'s last holding effect said exclusive. */
  isExclusive(group: string): boolean;
  /** Whether a message sent now by `from` reaches `to`. */
  canSend(from: NodeNo, to: NodeNo): boolean;
  /** The last liveness `up` set delivered to the node (what it believes), [] before any. */
  believedUp(node: NodeNo): readonly NodeNo[];
  /** The tie-breaker lease: who holds it and until when, or undefined when it is free. */
  tiebreaker(): { readonly holder: NodeNo; readonly untilMs: number } | undefined;
}

/**
 * A safety property, checked after every step and every fault: a message when it does not
 * hold, undefined when it does. Keep it cheap (it runs millions of times): loop over
 * `world.nodes`, avoid building strings unless failing, and use `lastStepped` to check only
 * what could have changed.
 */
export interface Invariant<S> {
  readonly name: string;
  check(world: World<S>): string | undefined;
}
