// What the agent's control socket answers, method by method: the contract between `haven agent`
// and the haven command's read views (status, rg, events) and operator requests. Node names,
// not numbers, everywhere: this is what administrators read (and `--json` prints as is).

import type { CmState, GroupState } from '../../core/group/node.js';

/** The cluster manager's state on a node (the reference's, plus error), or stopped. */
export type CmStateName = CmState | 'stopped';

/** A group's state on one node. */
export type GroupStateName = GroupState;

export interface GroupView {
  readonly group: string;
  /** Nodes in priority order (the group's list). */
  readonly nodes: readonly string[];
  /** Startup / fallover / fallback policies, as configured (legacy name if the file used one). */
  readonly policies: {
    readonly startup: string;
    readonly fallover: string;
    readonly fallback: string;
    readonly legacy: string | null;
  };
  /** Where the current plan puts it (empty: offline). */
  readonly placedOn: readonly string[];
  /** One line: why it is where it is. */
  readonly reason: string;
  /** The operator's priority override location: a node, "offline", or null. */
  readonly override: string | null;
  /** Its state on each node of its list, as the answering node knows it. */
  readonly states: Readonly<Record<string, GroupStateName>>;
  /** Its resources, in acquisition order. */
  readonly resources: readonly { readonly name: string; readonly kind: string }[];
}

export interface EventView {
  readonly id: string;
  readonly name: string;
  /** The node the event is about. */
  readonly node: string;
  readonly details: Readonly<Record<string, string>>;
}

/** An event this node took part in, finished. */
export interface PastEvent extends EventView {
  /** Wall time, ms since the epoch. */
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** completed; error (this node's part failed: see message); abandoned (a view change ended it). */
  readonly outcome: 'completed' | 'error' | 'abandoned';
  readonly message: string | null;
  /** Groups this node released and acquired in it. */
  readonly released: readonly string[];
  readonly acquired: readonly string[];
}

/** `cluster.status`: the reference's clstat. */
export interface ClusterStatusReply {
  readonly cluster: string;
  /** The answering node. */
  readonly node: string;
  /** The cluster manager on the answering node. */
  readonly cm: {
    readonly state: CmStateName;
    /** The view: its epoch ("3.1") and members; null before the first view. */
    readonly view: { readonly epoch: string; readonly members: readonly string[] } | null;
    /** majority, tie (half, with the tie-breaker), minority; null before the first view. */
    readonly quorum: 'majority' | 'tie' | 'minority' | null;
    /** Whether the view has quorum now: a majority, or a tie whose tie-breaker grant holds. */
    readonly hasQuorum: boolean;
    readonly stopping: boolean;
  };
  readonly nodes: readonly {
    readonly name: string;
    readonly id: number;
    /** up (a member of this view), down (not heard), joining (heard, not yet a member), stopped (by the operator: mode). */
    readonly state: 'up' | 'down' | 'joining' | 'stopped';
    readonly stopMode: 'graceful' | 'takeover' | 'forced' | null;
    readonly networks: readonly {
      readonly network: string;
      readonly state: 'up' | 'down';
      readonly interfaces: readonly {
        readonly name: string;
        readonly address: string | null;
        readonly state: 'up' | 'down';
      }[];
    }[];
  }[];
  readonly groups: readonly GroupView[];
  /** Events in error, by node. */
  readonly errors: readonly {
    readonly node: string;
    readonly event: string;
    readonly groups: readonly string[];
    readonly message: string;
  }[];
}

/** `rg.info`: the reference's clRGinfo. */
export interface RgInfoReply {
  readonly cluster: string;
  readonly node: string;
  readonly groups: readonly GroupView[];
}

/** `events.list`: the current event, the queue, the last events. */
export interface EventsReply {
  readonly node: string;
  readonly current:
    | (EventView & {
        readonly startedAtMs: number;
        /** What this node's part is doing: rp_running, barrier, cbarrier, error. */
        readonly status: string;
        readonly releases: readonly string[];
        readonly acquires: readonly string[];
        readonly error: string | null;
      })
    | null;
  /** Events waiting, in the order they will run (the leader's queue as this node knows it). */
  readonly queue: readonly { readonly name: string; readonly node: string }[];
  /** The last events, newest last (at most 50). */
  readonly recent: readonly PastEvent[];
}

/**
 * Operator requests. Each answers `{ accepted: true, message }` once the request is queued as a
 * cluster event (it then runs like any event: see `haven events`), or fails with a ControlError
 * whose code is one of: not-found (no such group or node), invalid (the node is not in the
 * group's list, a bad mode), unavailable (cluster services are not running on this node).
 *
 * - `cluster.stop` { mode: 'graceful' | 'takeover' | 'forced', all?: boolean }
 * - `cluster.start` {} (cluster services on this node, after a stop that left the agent up)
 * - `cluster.resume` {} (the reference's clruncmd: resume events in error)
 * - `rg.move` { group, node }
 * - `rg.online` { group, node? }
 * - `rg.offline` { group }
 */
export interface OperatorReply {
  readonly accepted: true;
  readonly message: string;
}

export const CONTROL_METHODS = [
  'agent.ping',
  'topology.status',
  'cluster.status',
  'rg.info',
  'events.list',
  'cluster.stop',
  'cluster.start',
  'cluster.resume',
  'rg.move',
  'rg.online',
  'rg.offline',
] as const;
