// Small helpers over a plan, for callers and tests.

import type { CurrentPlacement, PlacementPlan } from './types.js';

/** Where each group will be once the plan ran: the next event's `current.online`. */
export function onlineAfter(plan: PlacementPlan): Record<string, readonly string[]> {
  return Object.fromEntries(plan.groups.map((g) => [g.group, g.nodes]));
}

/** The current placement after the plan ran, errors and unmanaged groups unchanged. */
export function applyPlan(current: CurrentPlacement, plan: PlacementPlan): CurrentPlacement {
  const online = onlineAfter(plan);
  // An unmanaged group stays where the forced stop left it.
  for (const g of plan.groups)
    if (g.intent === 'unmanaged' && Object.hasOwn(current.online, g.group))
      online[g.group] = current.online[g.group] ?? [];
  return { ...current, online };
}

/** The reason lines, one per group, by name. */
export function reasons(plan: PlacementPlan): string[] {
  return plan.groups.map((g) => g.reason);
}
