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
 * Node numbers to dense indexes, for myView. Node numbers are small integers (1..1024 in a
 * cluster definition), so the index lives in a shared table by node number, cleared again by
 * `release` before myView returns (nothing is kept between calls); any other number goes
 * through a Map.
 */
const SLOT_LIMIT = 1 << 16;
let slots = new Int32Array(64); // index + 1, 0 when unassigned

class NodeIndex {
  readonly #other = new Map<NodeNo, number>();

  constructor(self: NodeNo) {
    this.add(self, null);
  }

  /** Gives `node` the next index (ids.length) unless it has one; `ids` gets the node. */
  add(node: NodeNo, ids: NodeNo[] | null): void {
    const next = ids === null ? 0 : ids.length;
    if (Number.isInteger(node) && node >= 0 && node < SLOT_LIMIT) {
      if (node >= slots.length) {
        const grown = new Int32Array(Math.min(SLOT_LIMIT, Math.max(node + 1, slots.length * 2)));
        grown.set(slots);
        slots = grown;
      }
      if (slots[node] !== 0) return;
      slots[node] = next + 1;
    } else {
      if (this.#other.has(node)) return;
      this.#other.set(node, next);
    }
    ids?.push(node);
  }

  of(node: NodeNo): number {
    if (Number.isInteger(node) && node >= 0 && node < slots.length)
      return (slots[node] as number) - 1;
    return this.#other.get(node) ?? -1;
  }

  /** Clears the shared table of the nodes in `ids`. */
  release(ids: readonly NodeNo[]): void {
    for (const node of ids)
      if (Number.isInteger(node) && node >= 0 && node < slots.length) slots[node] = 0;
  }
}

/**
 * The view `self` belongs in, by the rule, among the nodes `self` can know about: those in its
 * connected component of the hearing graph (either direction), which is where rows can reach.
 *
 * The same result as `partition(rows, component).find((v) => v.includes(self))`, computed on a
 * dense matrix of the nodes the rows name, and stopping at the view that takes `self` (the
 * views after it cannot change it). It runs whenever a hearing list changes, on every node.
 */
export function myView(rows: Rows, self: NodeNo): readonly NodeNo[] {
  // Number the nodes: self first, then in order of appearance in the rows.
  const ids: NodeNo[] = [self];
  const index = new NodeIndex(self);
  for (const r of rows.values()) {
    index.add(r.node, ids);
    for (const h of r.hears) index.add(h, ids);
  }
  const k = ids.length;
  // hears[a * k + b] === 1 when a hears b.
  const hears = new Uint8Array(k * k);
  for (const r of rows.values()) {
    const base = index.of(r.node) * k;
    for (const h of r.hears) hears[base + index.of(h)] = 1;
  }
  index.release(ids);
  // The component of self: links in either direction.
  const inComponent = new Uint8Array(k);
  inComponent[0] = 1;
  const component: number[] = [0];
  for (let done = 0; done < component.length; done++) {
    const a = component[done] as number;
    for (let b = 0; b < k; b++) {
      if (inComponent[b] === 0 && (hears[a * k + b] === 1 || hears[b * k + a] === 1)) {
        inComponent[b] = 1;
        component.push(b);
      }
    }
  }
  component.sort((a, b) => (ids[a] as number) - (ids[b] as number));
  // The rule, view after view, until the one that takes self (index 0); each round places at
  // least the lowest node left, and self is in the component, so this ends.
  const placed = inComponent.fill(0);
  const view: number[] = [];
  for (let round = 0; round < component.length; round++) {
    view.length = 0;
    for (const c of component) {
      if (placed[c] === 1) continue;
      let ok = true;
      for (const m of view) {
        if (hears[m * k + c] !== 1 || hears[c * k + m] !== 1) {
          ok = false;
          break;
        }
      }
      if (ok) {
        view.push(c);
        placed[c] = 1;
      }
    }
    if (placed[0] === 1) return view.map((i) => ids[i] as NodeNo);
  }
  return [self]; // not reached
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
  const hears = new Map<NodeNo, readonly NodeNo[]>();
  for (const r of rows.values()) hears.set(r.node, r.hears);
  return { view, memo: { hears, view } };
}
