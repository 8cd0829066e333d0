// The input, normalised once: each group with its candidate nodes, its dependencies and its
// place in the processing order. Everything here is sorted by name or by node list, never by
// the order of keys or entries in the input, so that a permuted input gives the same result.

import { byName, topologicalOrder } from './order.js';
import type { Override, PlacementGroupDef, PlacementInput } from './types.js';

/** Different-nodes priority: lower is stronger. Groups in no such dependency rank last. */
const LEVELS = { high: 0, intermediate: 1, low: 2 } as const;
export const NO_LEVEL = 3;

export interface Group {
  readonly def: PlacementGroupDef;
  readonly name: string;
  /** The node list, duplicates removed, highest priority first. */
  readonly nodes: readonly string[];
  readonly home: string | undefined;
  /** Online on all available nodes (startup all-available). */
  readonly concurrent: boolean;
  /** Where it is online now, in list order (nodes outside the list last, by name). */
  readonly current: readonly string[];
  readonly errors: ReadonlySet<string>;
  readonly unmanaged: ReadonlySet<string>;
  /** The nodes it may be placed on now, in list order: eligible, not in error, not unmanaged. */
  readonly cand: readonly string[];
  /** Different-nodes level (0 high, 1 intermediate, 2 low, 3 none). */
  readonly level: number;
  /** Groups it must not share a node with. */
  readonly peers: ReadonlySet<string>;
  readonly parents: readonly string[];
  readonly children: readonly string[];
}

/** Groups kept on one node (same-node), placed together; a lone group is a unit of one. */
export interface Unit {
  readonly lead: Group;
  /** In acquire order: parents before their children, then by name. */
  readonly members: readonly Group[];
  readonly level: number;
}

export interface Context {
  readonly input: PlacementInput;
  readonly groups: ReadonlyMap<string, Group>;
  /** Group names, sorted. */
  readonly names: readonly string[];
  readonly unitOf: ReadonlyMap<string, Unit>;
  /** Units in processing order: parents first, then stronger different-nodes level, by name. */
  readonly units: readonly Unit[];
  readonly eligible: ReadonlySet<string>;
  /** Acquire order of all groups: parents and start-after `after` groups first. */
  readonly acquireOrder: readonly string[];
  /** Release order of all groups: children and stop-after `after` groups first. */
  readonly releaseOrder: readonly string[];
}

export function own<T>(rec: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return rec !== undefined && Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** Nodes in the order of `list`; nodes not in it after, by name. */
export function inListOrder(nodes: Iterable<string>, list: readonly string[]): string[] {
  const set = new Set(nodes);
  const inList = list.filter((n) => set.has(n));
  const rest = [...set].filter((n) => !list.includes(n)).sort(byName);
  return [...inList, ...rest];
}

export function buildContext(input: PlacementInput): Context {
  const { config, current } = input;
  const eligible = new Set(input.eligible);
  // Sorted by name; a duplicated name (which verification rejects) keeps one definition.
  const defs = new Map<string, PlacementGroupDef>();
  for (const d of [...config.groups].sort((a, b) => byName(a.name, b.name)))
    if (!defs.has(d.name)) defs.set(d.name, d);
  const names = [...defs.keys()];
  const known = (g: string): boolean => defs.has(g);

  const level = new Map<string, number>();
  const peers = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  const parents = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  const children = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  const acquireEdges: [string, string][] = [];
  const releaseEdges: [string, string][] = [];
  const sameNode: string[][] = [];
  const concurrent = (g: string): boolean => defs.get(g)?.startup === 'all-available';

  for (const dep of config.dependencies) {
    switch (dep.type) {
      case 'parent-child':
        if (!known(dep.parent) || !known(dep.child) || dep.parent === dep.child) break;
        parents.get(dep.child)?.add(dep.parent);
        children.get(dep.parent)?.add(dep.child);
        acquireEdges.push([dep.parent, dep.child]);
        releaseEdges.push([dep.child, dep.parent]);
        break;
      case 'start-after':
        acquireEdges.push([dep.after, dep.group]);
        break;
      case 'stop-after':
        releaseEdges.push([dep.after, dep.group]);
        break;
      case 'same-node':
        // A concurrent group is on every node anyway: it constrains nothing (verify warns).
        sameNode.push(dep.groups.filter((g) => known(g) && !concurrent(g)));
        break;
      case 'different-nodes': {
        const all = [...dep.high, ...dep.intermediate, ...dep.low].filter(
          (g) => known(g) && !concurrent(g),
        );
        for (const [name, rank] of Object.entries(LEVELS)) {
          for (const g of dep[name as keyof typeof LEVELS]) {
            // Verification gives a group one level; should it not, the strongest wins.
            level.set(g, Math.min(level.get(g) ?? NO_LEVEL, rank));
          }
        }
        for (const g of all) for (const h of all) if (g !== h) peers.get(g)?.add(h);
        break;
      }
    }
  }

  const groups = new Map<string, Group>();
  for (const [name, def] of defs) {
    const nodes = [...new Set(def.nodes)];
    const errors = new Set(own(current.errors, name) ?? []);
    const unmanaged = new Set(own(current.unmanaged, name) ?? []);
    groups.set(name, {
      def,
      name,
      nodes,
      home: nodes[0],
      concurrent: def.startup === 'all-available',
      current: inListOrder(own(current.online, name) ?? [], nodes),
      errors,
      unmanaged,
      cand: nodes.filter((n) => eligible.has(n) && !errors.has(n) && !unmanaged.has(n)),
      level: level.get(name) ?? NO_LEVEL,
      peers: peers.get(name) ?? new Set(),
      parents: [...(parents.get(name) ?? [])].sort(byName),
      children: [...(children.get(name) ?? [])].sort(byName),
    });
  }

  // Same-node units: union-find, each unit led by its first member by name.
  const root = new Map<string, string>(names.map((n) => [n, n]));
  const find = (g: string): string => {
    let r = g;
    for (let p = root.get(r); p !== undefined && p !== r; p = root.get(r)) r = p;
    return r;
  };
  for (const set of sameNode) {
    for (const g of set.slice(1)) {
      const [a, b] = [find(set[0] ?? g), find(g)];
      if (a !== b) root.set(a < b ? b : a, a < b ? a : b);
    }
  }
  const acquireOrder = topologicalOrder(names, acquireEdges);
  const releaseOrder = topologicalOrder(names, releaseEdges);
  const position = new Map(acquireOrder.map((g, i) => [g, i]));
  const byUnit = new Map<string, Group[]>();
  for (const name of names) {
    const g = groups.get(name);
    if (g) byUnit.set(find(name), [...(byUnit.get(find(name)) ?? []), g]);
  }
  const unitOf = new Map<string, Unit>();
  const unitList: Unit[] = [];
  for (const [leadName, members] of byUnit) {
    const lead = groups.get(leadName);
    if (!lead) continue;
    const sorted = [...members].sort(
      (a, b) => (position.get(a.name) ?? 0) - (position.get(b.name) ?? 0),
    );
    const unit: Unit = { lead, members: sorted, level: Math.min(...members.map((m) => m.level)) };
    unitList.push(unit);
    for (const m of members) unitOf.set(m.name, unit);
  }

  // Parents are placed before their children (a child needs to know whether its parent is
  // online); then stronger different-nodes levels first, so that they choose first.
  const unitEdges: [string, string][] = [];
  for (const g of groups.values()) {
    for (const p of g.parents) {
      const [pu, cu] = [unitOf.get(p), unitOf.get(g.name)];
      if (pu && cu && pu !== cu) unitEdges.push([pu.lead.name, cu.lead.name]);
    }
  }
  const unitByLead = new Map(unitList.map((u) => [u.lead.name, u]));
  const levelOfLead = (n: string): number => unitByLead.get(n)?.level ?? NO_LEVEL;
  const units = topologicalOrder(
    unitList.map((u) => u.lead.name),
    unitEdges,
    (a, b) => levelOfLead(a) - levelOfLead(b) || byName(a, b),
  ).flatMap((n) => unitByLead.get(n) ?? []);

  return {
    input,
    groups,
    names,
    unitOf,
    units,
    eligible,
    acquireOrder,
    releaseOrder,
  };
}

/** The overrides of the input, for known groups only, as a mutable map. */
export function startingOverrides(ctx: Context): Map<string, Override> {
  const out = new Map<string, Override>();
  for (const name of ctx.names) {
    const o = own(ctx.input.overrides, name);
    if (o) out.set(name, o);
  }
  return out;
}
