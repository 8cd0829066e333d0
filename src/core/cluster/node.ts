// The contract between a pure cluster node (group services + cluster manager) and whatever
// runs it: the agent (real sockets, processes, clock) or the simulator (virtual ones).
//
// A node is a state machine: `step(state, input, nowMs)` returns the new state and the
// effects it wants carried out. It never reads a clock, a socket or a random source: time
// comes with every input, randomness from a seeded Random given at creation.

import type { NodeFacts } from '../placement/types.js';

/** Node numbers are the cluster definition's node ids (1..1024). Lower numbers lead. */
export type NodeNo = number;

/** Inputs a node reacts to. `M` is the protocol's message type. */
export type NodeInput<M> =
  /** Once, first: the node starts (cluster services start on this node). */
  | { readonly type: 'start' }
  /** A protocol message from another node (already authenticated by the transport). */
  | { readonly type: 'message'; readonly from: NodeNo; readonly msg: M }
  /** The wake-up time the node asked for has come (or passed: the runner may be late). */
  | { readonly type: 'wake' }
  /**
   * From topology services: the set of nodes whose heartbeats this node currently hears (itself
   * excluded). Sent whenever it changes. Asymmetric: a may hear b while b does not hear a.
   */
  | { readonly type: 'liveness'; readonly up: readonly NodeNo[] }
  /** A command the node asked to run has finished. */
  | {
      readonly type: 'run-result';
      readonly runId: string;
      /** null when killed by a signal or the time limit. */
      readonly exitCode: number | null;
      readonly timedOut: boolean;
      readonly output: string;
    }
  /**
   * A resources effect has finished: the groups that failed (each with why); every other
   * group of the request succeeded. A failed acquisition has been rolled back (what was
   * acquired of the group is released again); a failed release may have left it running.
   */
  | {
      readonly type: 'resources-result';
      readonly runId: string;
      readonly failed: readonly { readonly group: string; readonly reason: string }[];
    }
  /** The answer to a tie-breaker request. */
  | { readonly type: 'tiebreak-result'; readonly requestId: string; readonly granted: boolean }
  /** This node's facts for dynamic node priority (free memory, idle CPU...), from time to time. */
  | { readonly type: 'facts'; readonly facts: NodeFacts }
  /** A local event detected on this node: topology (network_down...) or user-defined. */
  | { readonly type: 'local-event'; readonly event: LocalEvent }
  /** An operator request, from the CLI through the agent. */
  | { readonly type: 'operator'; readonly request: OperatorRequest };

export interface LocalEvent {
  /** Event name: a built-in (network_down, swap_adapter, fail_interface...) or a user event. */
  readonly name: string;
  /** The node it happened on (for topology events about a peer: that peer). */
  readonly node: NodeNo;
  readonly network?: string | undefined;
  readonly details?: Readonly<Record<string, string>> | undefined;
}

export type OperatorRequest =
  /** Stop cluster services on this node (all: on every member of its view, each in turn). */
  | {
      readonly type: 'stop';
      readonly mode: 'graceful' | 'takeover' | 'forced';
      readonly all?: boolean;
    }
  /** Resume an event in error (the reference's clruncmd). */
  | { readonly type: 'resume' }
  | { readonly type: 'rg-move'; readonly group: string; readonly to: NodeNo }
  | { readonly type: 'rg-online'; readonly group: string; readonly node?: NodeNo }
  | { readonly type: 'rg-offline'; readonly group: string };

/** Operator requests that become cluster events (rg_move, rg_online, rg_offline). */
export type GroupRequest = Extract<
  OperatorRequest,
  { readonly type: 'rg-move' | 'rg-online' | 'rg-offline' }
>;

/** Effects a node asks its runner to carry out. */
export type NodeEffect<M> =
  | { readonly type: 'send'; readonly to: NodeNo; readonly msg: M }
  /** Replaces the node's single wake-up time (absolute, monotonic ms); null cancels it. */
  | { readonly type: 'wake-at'; readonly atMs: number | null }
  /** Run a command; its result comes back as a run-result input with the same runId. */
  | {
      readonly type: 'run';
      readonly runId: string;
      /** Run with /bin/sh -c; `args` follow as the script's positional parameters ($1...). */
      readonly command: string;
      readonly args?: readonly string[];
      readonly env: Readonly<Record<string, string>>;
      readonly timeoutMs: number;
      /** What the command is to its event (program, pre, post, notify, recovery), for the trace. */
      readonly role?: string;
    }
  /**
   * Resource ownership as the node believes it is carried out, for the simulator's safety
   * invariants and for status: the node now holds (acquired) or no longer holds (released) an
   * exclusive or concurrent resource group.
   */
  | {
      readonly type: 'holding';
      readonly group: string;
      readonly held: boolean;
      readonly exclusive: boolean;
    }
  /**
   * Bring resource groups online (acquire: each group's resources in order) or offline
   * (release: in reverse order) on this node; the result comes back as a resources-result
   * input with the same runId. A runId starting with `halt:` is an emergency release (quorum
   * or lease lost): its result is only logged.
   */
  | {
      readonly type: 'resources';
      readonly runId: string;
      readonly op: 'acquire' | 'release';
      readonly groups: readonly string[];
    }
  /** Ask the tie-breaker (disk lease or quorum server) for the tie; answered by tiebreak-result. */
  | { readonly type: 'tiebreak'; readonly requestId: string }
  /** A structured record for the cluster log / event trace. */
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly msg: string;
      readonly fields?: Readonly<Record<string, unknown>>;
    }
  /** The node has stopped (after a stop request): the runner ends it. */
  | { readonly type: 'exit' };

/** A structured record for the cluster log: the same shape wherever the core logs. */
export type LogEffect = Extract<NodeEffect<never>, { readonly type: 'log' }>;

export interface StepResult<S, M> {
  readonly state: S;
  readonly effects: readonly NodeEffect<M>[];
}

/** A pure node implementation: what the simulator and the agent both drive. */
export interface NodeMachine<S, M> {
  step(state: S, input: NodeInput<M>, nowMs: number): StepResult<S, M>;
}
