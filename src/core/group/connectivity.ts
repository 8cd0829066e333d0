// What each node knows of who hears whom, and the deterministic rule that turns it into views.
//
// Every node reports its row: the set of nodes whose heartbeats it hears, with a version that
// grows at every change. Rows are gossiped and relayed, so all nodes of a connected component
// end with the same rows once faults stop, and compute the same partition below.
//
// The rule (documented in README.md): only nodes that hear each other both ways can share a
// view, so views are cliques of the mutual-hearing graph. Take the lowest-numbered node not yet
// placed: it leads a new view; go through the remaining nodes in ascending order and admit each
// one that is mutually connected with every node admitted so far. Repeat until every node is
// placed. The result depends only on the rows, so every node that holds the same rows agrees.

import type { NodeNo } from '../cluster/node.js';

export interface Row {
  /** Whose row: the node that hears. */
  readonly node: NodeNo;
  /** Grows at every change of `hears` (per incarnation of the node). */
  readonly version: number;
  /** The node's incarnation: a restarted node's rows supersede all its earlier ones. */
  readonly incarnation: number;
  /** The nodes whose heartbeats `node` hears, sorted, itself excluded. */
  readonly hears: readonly NodeNo[];
  /**
   * The epoch of the view `node` last committed, as (n, leader), or null: lets a leader see
   * that a member has moved on to another view, or missed a commit.
   */
  readonly view?: { readonly n: number; readonly leader: NodeNo; readonly inc: number } | null;
}

/** Rows by node. Immutable: every change returns a new map. */
export type Rows = ReadonlyMap<NodeNo, Row>;

/** Which of two versions of a node's row supersedes: a later incarnation, then a later version. */
type RowVersion = Pick<Row, 'incarnation' | 'version'>;

/** True when `a` supersedes `b` (or there is no `b`). */
export function newer(a: RowVersion, b: RowVersion | undefined): boolean {
  if (!b) return true;
  return (
    a.incarnation > b.incarnation || (a.incarnation === b.incarnation && a.version > b.version)
  );
}

/** Merges rows received from a peer; returns the same map when nothing was news. */
export function mergeRows(mine: Rows, theirs: Iterable<Row>): Rows {
  let out: Map<NodeNo, Row> | undefined;
  for (const r of theirs) {
    if (newer(r, (out ?? mine).get(r.node))) {
      out ??= new Map(mine);
      out.set(r.node, r);
    }
  }
  return out ?? mine;
}

/** True when a hears b and b hears a, according to the rows. */
export function mutual(rows: Rows, a: NodeNo, b: NodeNo): boolean {
  return (rows.get(a)?.hears.includes(b) ?? false) && (rows.get(b)?.hears.includes(a) ?? false);
}

/** Who hears whom, as sets (built once per rule evaluation: the rows' lists are arrays). */
function hearing(rows: Rows): Map<NodeNo, ReadonlySet<NodeNo>> {
  const hears = new Map<NodeNo, ReadonlySet<NodeNo>>();
  for (const r of rows.values()) hears.set(r.node, new Set(r.hears));
  return hears;
}

function partitionOf(
  hears: Map<NodeNo, ReadonlySet<NodeNo>>,
  nodes: readonly NodeNo[],
): NodeNo[][] {
  const both = (a: NodeNo, b: NodeNo): boolean =>
    (hears.get(a)?.has(b) ?? false) && (hears.get(b)?.has(a) ?? false);
  const left = [...new Set(nodes)].sort((a, b) => a - b);
  const views: NodeNo[][] = [];
  while (left.length > 0) {
    const view: NodeNo[] = [];
    for (let i = 0; i < left.length;) {
      const c = left[i] as NodeNo;
      if (view.every((m) => both(m, c))) {
        view.push(c);
        left.splice(i, 1);
      } else {
        i++;
      }
    }
    views.push(view);
  }
  return views;
}

/**
 * Partitions `nodes` (the running nodes to place) into views by the rule above. Each view is
 * sorted; its first node is its leader. Views come out in order of their leaders.
 */
export function partition(rows: Rows, nodes: readonly NodeNo[]): NodeNo[][] {
  return partitionOf(hearing(rows), nodes);
}

/**
 * The view `self` belongs in, by the rule, among the nodes `self` can know about: those in its
 * connected component of the hearing graph (either direction), which is where rows can reach.
 */
export function myView(rows: Rows, self: NodeNo): readonly NodeNo[] {
  const hears = hearing(rows);
  const heardBy = new Map<NodeNo, NodeNo[]>();
  for (const [a, hs] of hears) {
    for (const b of hs) {
      const l = heardBy.get(b);
      if (l) l.push(a);
      else heardBy.set(b, [a]);
    }
  }
  // The component: links in either direction.
  const component = new Set<NodeNo>([self]);
  const todo = [self];
  const visit = (m: NodeNo): void => {
    if (!component.has(m)) {
      component.add(m);
      todo.push(m);
    }
  };
  for (let n = todo.pop(); n !== undefined; n = todo.pop()) {
    hears.get(n)?.forEach(visit);
    heardBy.get(n)?.forEach(visit);
  }
  return partitionOf(hears, [...component]).find((v) => v.includes(self)) ?? [self];
}

/**
 * A computed view and the hearing lists it came from. Rows change far more often than who
 * hears whom (a row's version also grows when its view changes, and its `hears` list is then
 * the same array), so a caller keeps the last result and recomputes only when a list changed.
 */
export interface ViewMemo {
  readonly hears: ReadonlyMap<NodeNo, readonly NodeNo[]>;
  readonly view: readonly NodeNo[];
}

const sameList = (a: readonly NodeNo[], b: readonly NodeNo[] | undefined): boolean =>
  a === b || (b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]));

/** myView, answered from `memo` when no node's hearing list changed since. */
export function myViewMemo(
  rows: Rows,
  self: NodeNo,
  memo: ViewMemo | null,
): { readonly view: readonly NodeNo[]; readonly memo: ViewMemo } {
  if (memo && memo.hears.size === rows.size) {
    let same = true;
    for (const r of rows.values()) {
      if (!sameList(r.hears, memo.hears.get(r.node))) {
        same = false;
        break;
      }
    }
    if (same) return { view: memo.view, memo };
  }
  const view = myView(rows, self);
  const hears = new Map([...rows.values()].map((r) => [r.node, r.hears] as const));
  return { view, memo: { hears, view } };
}
