// The cluster definition as group services and the cluster manager take it: node numbers for
// names, the recovery programs (built-in, or a user event's own), event customisations, the
// groups with their node lists, quorum, and the agent's timing for membership, the holding
// lease and the takeover delay (explained in docs/operations.md).

import type { ClusterConfig } from '../../core/config/model.js';
import type { NodeNo } from '../../core/cluster/node.js';
import type { ClusterEvent } from '../../core/group/agreement.js';
import { builtinProgramOf, type GroupConfig } from '../../core/group/node.js';
import type { Planner } from '../../core/group/resources.js';
import { policyPlanner } from '../../core/group/policy-planner.js';
import { votesOf } from '../../core/group/quorum.js';

/** A node's groups hold only while a quorum of its view answered a ping this recently. */
export const LEASE_MS = 1500;
/**
 * How long after a view change a node waits before it takes over: a node that left the view
 * has let go by then (its lease ran out at most LEASE_MS after the last answer it had, which
 * came before the others noticed it was gone).
 */
export const TAKEOVER_DELAY_MS = LEASE_MS;
/**
 * How long a tie-breaker grant is believed, from when it was asked for; the quorum server
 * (`haven tiebreaker`) grants for as long, from the request's arrival.
 */
export const TIEBREAKER_LEASE_MS = 10_000;
/** Events are voted on once nothing new has arrived for this long (several detections at once). */
export const SETTLE_MS = 100;
/**
 * A single command of a recovery program is killed after this long. Event scripts are not
 * meant to be bounded (config_too_long warns at the event time limit), but a hung one must
 * not hold the cluster for ever.
 */
export const COMMAND_TIMEOUT_MS = 30 * 60 * 1000;

export interface NodeNames {
  readonly byName: ReadonlyMap<string, NodeNo>;
  readonly byId: ReadonlyMap<NodeNo, string>;
  name(id: NodeNo): string;
}

export function nodeNames(config: ClusterConfig): NodeNames {
  const byName = new Map(config.nodes.map((n) => [n.name, n.id]));
  const byId = new Map(config.nodes.map((n) => [n.id, n.name]));
  return { byName, byId, name: (id) => byId.get(id) ?? `node${String(id)}` };
}

export function groupConfigOf(config: ClusterConfig, planner?: Planner): GroupConfig {
  const names = nodeNames(config);
  const userPrograms = new Map(
    config.userEvents
      .filter((u) => u.program !== undefined)
      .map((u) => [u.name, u.program ?? []] as const),
  );
  const program = (e: ClusterEvent) => userPrograms.get(e.name) ?? builtinProgramOf(e);
  const tie = config.quorum.tieBreaker.type !== 'none';
  return {
    votes: votesOf(
      config.nodes.map((n) => ({ id: n.id, votes: n.votes })),
      tie,
    ),
    settleMs: SETTLE_MS,
    membership: { gossipMs: 200, attemptTimeoutMs: 1000 },
    program,
    customizations: config.events,
    eventTimeLimitMs: config.tunables.eventTimeLimitMs,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    nodeNames: Object.fromEntries(names.byId),
    groups: config.resourceGroups.map((g) => ({
      name: g.name,
      nodes: g.nodes.map((n) => names.byName.get(n) ?? -1).filter((n) => n >= 0),
      concurrent: g.startup === 'all-available',
    })),
    takeoverDelayMs: TAKEOVER_DELAY_MS,
    lease: { leaseMs: LEASE_MS, renewMs: LEASE_MS / 4 },
    noQuorumAction: config.quorum.noQuorumAction,
    ...(tie ? { tieBreaker: { leaseMs: TIEBREAKER_LEASE_MS } } : {}),
    planner: planner ?? policyPlanner(config),
    // The service reads the log only for the event that just ended (service.ts, #traceEvents).
    logLimit: 16,
  };
}
