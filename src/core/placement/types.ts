// The placement function's input and output. Plain records and arrays, not Maps: the leader
// carries the plan in the event, so it must survive JSON unchanged, and nothing in it may
// depend on the order in which a caller happened to insert keys (see README.md, determinism).

import type { ClusterConfig, DependencyDef, ResourceGroupDef } from '../config/model.js';

/** What placement needs of a group's definition (a ResourceGroupDef is one). */
export type PlacementGroupDef = Pick<
  ResourceGroupDef,
  | 'name'
  | 'nodes'
  | 'startup'
  | 'fallover'
  | 'fallback'
  | 'fallbackTimer'
  | 'dynamicPriority'
  | 'legacyPolicy'
>;

type WithoutAt<T> = T extends unknown ? Omit<T, 'at'> : never;

/** A dependency between groups (a DependencyDef is one; `at` is not needed). */
export type PlacementDependency = WithoutAt<DependencyDef>;

export interface PlacementConfig {
  readonly groups: readonly PlacementGroupDef[];
  readonly dependencies: readonly PlacementDependency[];
  /** tunables.settlingTimeMs: 0 means first-available groups never wait. */
  readonly settlingTimeMs: number;
}

/** The parts of the cluster definition that placement reads. */
export function placementConfig(config: ClusterConfig): PlacementConfig {
  return {
    groups: config.resourceGroups,
    dependencies: config.dependencies,
    settlingTimeMs: config.tunables.settlingTimeMs,
  };
}

/**
 * Where the groups are now. `online`: the nodes where each group is online (or being
 * acquired); a group absent or with [] is offline. `errors`: the nodes where a group is in
 * error; placement does not choose them for that group until the operator resumes it (the
 * caller then removes the entry). `unmanaged`: nodes where a forced stop left the group running
 * unmanaged; an exclusive group with such a node is left alone entirely (nobody else may
 * acquire it), a concurrent one is neither released nor acquired there.
 */
export interface CurrentPlacement {
  readonly online: Readonly<Record<string, readonly string[]>>;
  readonly errors?: Readonly<Record<string, readonly string[]>>;
  readonly unmanaged?: Readonly<Record<string, readonly string[]>>;
}

/**
 * A priority override location, set by an operator action (see README.md): `node` after an
 * rg_move (or an rg_online with a target) to a node other than the home node, `offline` after
 * an rg_offline.
 */
export type Override =
  { readonly type: 'node'; readonly node: string } | { readonly type: 'offline' };

/**
 * Facts for dynamic node priority, per node. A missing or non-finite value ranks the node after
 * every node that has one. `script` holds, per group, the number its dynamic priority script
 * printed on that node.
 */
export interface NodeFacts {
  readonly freeMemory?: number;
  readonly idleCpu?: number;
  readonly diskBusy?: number;
  readonly script?: Readonly<Record<string, number>>;
}

/**
 * Why placement runs. Timers are inputs: the caller arms them (see `waiting` in the output and
 * nextFallbackTime) and passes `fallback_timer` or `settling_expired` when they fire.
 * `reevaluate` is no event at all: it moves only what must move (a group on a node that is no
 * longer eligible) and starts nothing.
 */
export type PlacementTrigger =
  | { readonly type: 'startup' }
  | { readonly type: 'node_up'; readonly node: string }
  | { readonly type: 'node_down'; readonly node: string }
  | { readonly type: 'rg_move'; readonly groups: readonly string[]; readonly to?: string }
  | { readonly type: 'rg_online'; readonly groups: readonly string[]; readonly to?: string }
  | { readonly type: 'rg_offline'; readonly groups: readonly string[] }
  | { readonly type: 'resume'; readonly groups: readonly string[] }
  | { readonly type: 'fallback_timer'; readonly groups: readonly string[] }
  | { readonly type: 'settling_expired' }
  | { readonly type: 'reevaluate' };

export interface PlacementInput {
  readonly config: PlacementConfig;
  /** Nodes that may hold groups now: members of the current view with quorum, not stopped. */
  readonly eligible: readonly string[];
  readonly current: CurrentPlacement;
  /** Priority override locations by group; absent means none. */
  readonly overrides?: Readonly<Record<string, Override>>;
  /** Dynamic node priority facts by node; absent means none (ranking falls back to the list). */
  readonly facts?: Readonly<Record<string, NodeFacts>>;
  readonly trigger: PlacementTrigger;
}

/**
 * `online`: it has target nodes. `offline`: none. `error`: none because it is in error on the
 * eligible nodes of its list. `unmanaged`: a forced stop left it running; it is left alone.
 */
export type GroupIntent = 'online' | 'offline' | 'error' | 'unmanaged';

/** A timer the caller should have running for this group (see README.md). */
export type GroupWaiting = 'settling-time' | 'fallback-timer';

export interface GroupTarget {
  readonly group: string;
  /** Where the group is to be online: 0 or 1 node for an exclusive group, in list order. */
  readonly nodes: readonly string[];
  readonly intent: GroupIntent;
  readonly waiting: GroupWaiting | undefined;
  /** One line for the operator, e.g. "rg1 -> node2: node1 down; node2 next in priority". */
  readonly reason: string;
}

export interface PlacementStep {
  readonly group: string;
  readonly node: string;
}

export interface PlacementPlan {
  /** Every configured group, by name. */
  readonly groups: readonly GroupTarget[];
  /** The override locations after this event (operator actions set and clear them). */
  readonly overrides: Readonly<Record<string, Override>>;
  /** Releases, in order: children before parents, stop-after groups after the others. */
  readonly release: readonly PlacementStep[];
  /** Acquisitions, in order: parents before children, start-after groups after the others. */
  readonly acquire: readonly PlacementStep[];
}
