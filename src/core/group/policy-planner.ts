// The planner the agent runs: the placement policies of core/placement (startup, fallover,
// fallback, dependencies, overrides...) behind group services' Planner interface. Group
// services speak node numbers and keep the replicated resource state (resources.ts);
// placement speaks node names and works on a snapshot of it. Pure, like both.

import type { ClusterConfig } from '../config/model.js';
import type { NodeNo } from '../cluster/node.js';
import type { ClusterEvent } from './agreement.js';
import {
  place,
  placementConfig,
  type NodeFacts,
  type Override,
  type PlacementTrigger,
} from '../placement/index.js';
import type { Plan, Planner, PlanInput } from './resources.js';

/** The event details that ask for the settling time's end (node.ts submits them). */
export const SETTLING_EXPIRED = 'settling_expired';
/** The event details that say a group's delayed fallback timer fired (the agent submits them). */
export const FALLBACK_TIMER = 'fallback_timer';

export function policyPlanner(config: ClusterConfig): Planner {
  const pc = placementConfig(config);
  const byId = new Map(config.nodes.map((n) => [n.id, n.name]));
  const byName = new Map(config.nodes.map((n) => [n.name, n.id]));
  const name = (id: NodeNo): string => byId.get(id) ?? `#${String(id)}`;
  const ids = (names: readonly string[]): NodeNo[] =>
    names.flatMap((n) => {
      const id = byName.get(n);
      return id === undefined ? [] : [id];
    });
  const known = new Set(config.resourceGroups.map((g) => g.name));

  return (input: PlanInput): Plan => {
    const { event, members, stops, current } = input;
    const group = event.details?.['group'];
    const named = group !== undefined && known.has(group) ? [group] : [];
    const failedOn = Number(event.details?.['failed']);
    const target = Number(event.details?.['target']);
    const to =
      event.details?.['target'] !== undefined && byId.has(target) ? name(target) : undefined;

    // Failures: a new one (an acquisition that failed), or cleared by the operator's rg_online,
    // or by a move to the node it failed on.
    const failed: Record<string, NodeNo[]> = {};
    for (const [g, nodes] of Object.entries(current.failed)) failed[g] = [...nodes];
    if (event.name === 'rg_move' && group && named.length > 0 && Number.isSafeInteger(failedOn))
      failed[group] = [...new Set([...(failed[group] ?? []), failedOn])].sort((a, b) => a - b);
    if (event.name === 'rg_online' && group) failed[group] = [];
    if (event.name === 'rg_move' && group && to !== undefined)
      failed[group] = (failed[group] ?? []).filter((n) => n !== target);

    const online: Record<string, string[]> = {};
    for (const [g, nodes] of Object.entries(current.placement)) online[g] = nodes.map(name);
    const unmanaged: Record<string, string[]> = {};
    for (const [node, r] of stops)
      if (r.mode === 'forced') for (const g of r.groups) unmanaged[g] = [name(node)];
    const errors: Record<string, string[]> = {};
    for (const [g, nodes] of Object.entries(failed))
      if (nodes.length > 0) errors[g] = nodes.map(name);
    const overrides: Record<string, Override> = {};
    for (const [g, o] of Object.entries(current.overrides))
      overrides[g] = o === 'offline' ? { type: 'offline' } : { type: 'node', node: name(o) };

    const facts: Record<string, NodeFacts> = {};
    for (const [node, f] of input.facts ?? []) facts[name(node)] = f;
    const plan = place({
      config: pc,
      eligible: members.filter((m) => !stops.has(m)).map(name),
      current: { online, errors, unmanaged },
      overrides,
      facts,
      trigger: triggerOf(event, named, to, name, current.since === null),
    });

    const placement: Record<string, NodeNo[]> = {};
    const reasons: Record<string, string> = {};
    let settling = false;
    const waiting: Record<string, 'fallback-timer'> = {};
    for (const t of plan.groups) {
      placement[t.group] = ids(t.nodes);
      reasons[t.group] = t.reason;
      if (t.waiting === 'settling-time') settling = true;
      if (t.waiting === 'fallback-timer') waiting[t.group] = 'fallback-timer';
    }
    // A group a graceful stop took offline stays offline until its node comes back; one a
    // forced stop left running stays where it runs (unmanaged: that node alone may keep it).
    for (const [node, r] of stops)
      for (const g of r.groups) {
        if (r.mode === 'graceful') {
          placement[g] = [];
          reasons[g] = `${g} offline: its node was stopped gracefully`;
        } else if (r.mode === 'forced') placement[g] = [node];
      }
    const outOverrides: Record<string, NodeNo | 'offline'> = {};
    for (const [g, o] of Object.entries(plan.overrides)) {
      if (o.type === 'offline') outOverrides[g] = 'offline';
      else {
        const id = byName.get(o.node);
        if (id !== undefined) outOverrides[g] = id;
      }
    }
    const outFailed: Record<string, NodeNo[]> = {};
    for (const [g, nodes] of Object.entries(failed)) if (nodes.length > 0) outFailed[g] = nodes;
    return {
      placement,
      reasons,
      overrides: outOverrides,
      failed: outFailed,
      ...(Object.keys(waiting).length > 0 ? { waiting } : {}),
      ...(settling ? { settleAfterMs: pc.settlingTimeMs } : {}),
    };
  };
}

function triggerOf(
  e: ClusterEvent,
  groups: string[],
  to: string | undefined,
  name: (id: NodeNo) => string,
  first: boolean,
): PlacementTrigger {
  const target = to === undefined ? {} : { to };
  switch (e.name) {
    case 'node_up':
      return first ? { type: 'startup' } : { type: 'node_up', node: name(e.node) };
    case 'node_down':
      return { type: 'node_down', node: name(e.node) };
    case 'rg_online':
      return { type: 'rg_online', groups, ...target };
    case 'rg_offline':
      return { type: 'rg_offline', groups };
    case 'rg_move':
      if (e.details?.['trigger'] === SETTLING_EXPIRED) return { type: 'settling_expired' };
      if (e.details?.['trigger'] === FALLBACK_TIMER && groups.length > 0)
        return { type: 'fallback_timer', groups };
      if (groups.length > 0) return { type: 'rg_move', groups, ...target };
      return { type: 'reevaluate' };
    default:
      return { type: 'reevaluate' };
  }
}
