// The cluster's resource state as group services replicate it: where each resource group is
// placed (the last plan), why, the operator's priority overrides, and the nodes where a group
// failed to come online. It changes only when an event that places groups starts, with the same
// plan on every node, and it travels with the leader's decisions and the members' syncs (like
// the stop records), so a node that joins, or a new leader, knows it.
//
// The plan itself comes from a Planner (GroupConfig.planner): the placement policies of
// core/placement in the agent, or the stand-in below (a group belongs to the first node of its
// list that may host it), which the simulator's group scenario uses.

import type { NodeNo } from '../cluster/node.js';
import { compareEventIds, type ClusterEvent, type EventId } from './agreement.js';
import type { NodeFacts } from '../placement/types.js';

export interface ResourceState {
  /** The event whose plan this is; null before any. The newer state wins when two meet. */
  readonly since: EventId | null;
  /** Where each group is online or coming online: exclusive groups have at most one node. */
  readonly placement: Readonly<Record<string, readonly NodeNo[]>>;
  /** One line per group: why it is where it is. */
  readonly reasons: Readonly<Record<string, string>>;
  /** Priority override locations after an operator move: a node, or offline (rg_offline). */
  readonly overrides: Readonly<Record<string, NodeNo | 'offline'>>;
  /** Nodes where a group failed to come online: not chosen again until it is brought online. */
  readonly failed: Readonly<Record<string, readonly NodeNo[]>>;
  /** Groups waiting for a timer before they move: their delayed fallback timer. */
  readonly waiting?: Readonly<Record<string, 'fallback-timer'>>;
}

export const NO_RESOURCES: ResourceState = {
  since: null,
  placement: {},
  reasons: {},
  overrides: {},
  failed: {},
};

/** A stopped node, as placement sees it (node.ts keeps the records). */
export interface StopInfo {
  readonly mode: 'graceful' | 'takeover' | 'forced';
  /** graceful: the groups it took offline; forced: the groups left running on it. */
  readonly groups: readonly string[];
}

export interface PlanInput {
  /** The event being planned (node_up, node_down, rg_move, rg_online, rg_offline). */
  readonly event: ClusterEvent;
  /** The members of the view the event runs in. */
  readonly members: readonly NodeNo[];
  /** Nodes the operator stopped, until their next node_up. */
  readonly stops: ReadonlyMap<NodeNo, StopInfo>;
  /** The resource state before this event. */
  readonly current: ResourceState;
  /** Facts for dynamic node priority, by node, as the leader knew them when it decided. */
  readonly facts?: ReadonlyMap<NodeNo, NodeFacts>;
}

export type Plan = Omit<ResourceState, 'since'> & {
  /**
   * Some first-available group waits for the settling time (tunables.settlingTime): ask for a
   * re-placement (rg_move with details.trigger = settling_expired) this long after the event.
   */
  readonly settleAfterMs?: number;
};

/** Computes the placement an event leads to: pure, and the same on every node. */
export type Planner = (input: PlanInput) => Plan;

/**
 * What an operator event asks for, from its details (the same on every node): the group, and
 * for rg_move and rg_online the target node; rg_move with `failed` records that the group
 * could not come online on that node.
 */
export function operatorChange(
  e: ClusterEvent,
  current: ResourceState,
): Pick<ResourceState, 'overrides' | 'failed'> {
  const group = e.details?.['group'];
  // A configured group's name (the configuration's rule); anything else, such as
  // "__proto__" from a broken peer, changes nothing.
  if (group === undefined || !/^[A-Za-z][\w.-]*$/.test(group))
    return { overrides: current.overrides, failed: current.failed };
  const overrides: Record<string, NodeNo | 'offline' | undefined> = { ...current.overrides };
  const failed: Record<string, readonly NodeNo[] | undefined> = { ...current.failed };
  const target = Number(e.details?.['target']);
  const hasTarget = e.details?.['target'] !== undefined && Number.isSafeInteger(target);
  const failedOn = Number(e.details?.['failed']);
  if (e.name === 'rg_move' && e.details?.['failed'] !== undefined) {
    if (Number.isSafeInteger(failedOn))
      failed[group] = [...new Set([...(failed[group] ?? []), failedOn])].sort((a, b) => a - b);
  } else if (e.name === 'rg_move' && hasTarget) {
    overrides[group] = target;
    // Moving a group to a node is the operator's word that it may run there again.
    if (failed[group]) failed[group] = failed[group].filter((n) => n !== target);
  } else if (e.name === 'rg_offline') {
    overrides[group] = 'offline';
  } else if (e.name === 'rg_online') {
    // Bringing a group online clears what kept it off: the offline override, and its errors.
    if (hasTarget) overrides[group] = target;
    else overrides[group] = undefined;
    failed[group] = undefined;
  }
  return { overrides: defined(overrides), failed: defined(failed) };
}

/** The record without its undefined entries. */
function defined<T>(r: Record<string, T | undefined>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * The stand-in planner: each group belongs to the first node of its list that is a member,
 * not stopped and where it did not fail; a priority override wins when its node may host it;
 * a group a graceful stop took offline belongs nowhere, one a forced stop left running belongs
 * to that node (which alone may keep it).
 */
export function firstAvailablePlanner(
  groups: readonly { readonly name: string; readonly nodes: readonly NodeNo[] }[],
): Planner {
  return ({ event, members, stops, current }) => {
    const { overrides, failed } = operatorChange(event, current);
    const kept = new Map<string, NodeNo | null>();
    for (const [node, r] of stops)
      for (const g of r.groups) kept.set(g, r.mode === 'forced' ? node : null);
    const placement: Record<string, readonly NodeNo[]> = {};
    const reasons: Record<string, string> = {};
    for (const g of groups) {
      const ok = (n: NodeNo): boolean =>
        members.includes(n) && !stops.has(n) && !(failed[g.name] ?? []).includes(n);
      const k = kept.get(g.name);
      const o = overrides[g.name];
      if (k !== undefined) {
        placement[g.name] = k === null ? [] : [k];
        reasons[g.name] =
          k === null
            ? 'offline: its node was stopped gracefully'
            : `on node ${String(k)}, unmanaged: its node was stopped forced`;
      } else if (o === 'offline') {
        placement[g.name] = [];
        reasons[g.name] = 'offline: brought offline by the operator';
      } else if (o !== undefined && g.nodes.includes(o) && ok(o)) {
        placement[g.name] = [o];
        reasons[g.name] = `node ${String(o)}: moved there by the operator (priority override)`;
      } else {
        const to = g.nodes.find(ok);
        placement[g.name] = to === undefined ? [] : [to];
        reasons[g.name] =
          to === undefined
            ? 'offline: no node of its list is available'
            : `node ${String(to)}: first available node of its list`;
      }
    }
    return { placement, reasons, overrides, failed };
  };
}

/** The newer of two resource states (the later plan wins). */
export function newerResources(a: ResourceState, b: ResourceState): ResourceState {
  if (b.since === null) return a;
  if (a.since === null) return b;
  return compareEventIds(b.since, a.since) > 0 ? b : a;
}

const isNodeNo = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function isRecordOf(x: unknown, ok: (v: unknown) => boolean): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  return Object.values(x).every(ok);
}

const isNodeList = (v: unknown): boolean => Array.isArray(v) && v.every(isNodeNo);

/**
 * A resource state from the network, checked; null when malformed. `isEventId` checks the
 * `since` field (node.ts owns that shape).
 */
export function parseResources(
  x: unknown,
  isEventId: (v: unknown) => v is EventId,
): ResourceState | null {
  if (typeof x !== 'object' || x === null) return null;
  const r = x as Record<string, unknown>;
  if (r['since'] !== null && !isEventId(r['since'])) return null;
  if (!isRecordOf(r['placement'], isNodeList)) return null;
  if (!isRecordOf(r['reasons'], (v) => typeof v === 'string')) return null;
  if (!isRecordOf(r['overrides'], (v) => v === 'offline' || isNodeNo(v))) return null;
  if (!isRecordOf(r['failed'], isNodeList)) return null;
  if (r['waiting'] !== undefined && !isRecordOf(r['waiting'], (v) => v === 'fallback-timer'))
    return null;
  return x as ResourceState;
}

/** Facts from the network, checked: finite numbers only; null when malformed. */
export function parseFacts(x: unknown): NodeFacts | null {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return null;
  const f = x as Record<string, unknown>;
  const num = (v: unknown): boolean =>
    v === undefined || (typeof v === 'number' && Number.isFinite(v));
  if (!num(f['freeMemory']) || !num(f['idleCpu']) || !num(f['diskBusy'])) return null;
  if (
    f['script'] !== undefined &&
    !isRecordOf(f['script'], (v) => typeof v === 'number' && Number.isFinite(v))
  )
    return null;
  const out: {
    freeMemory?: number;
    idleCpu?: number;
    diskBusy?: number;
    script?: Record<string, number>;
  } = {};
  if (typeof f['freeMemory'] === 'number') out.freeMemory = f['freeMemory'];
  if (typeof f['idleCpu'] === 'number') out.idleCpu = f['idleCpu'];
  if (typeof f['diskBusy'] === 'number') out.diskBusy = f['diskBusy'];
  if (f['script'] !== undefined) out.script = { ...(f['script'] as Record<string, number>) };
  return out;
}
