// Cycles among the dependencies of resource groups (dependency-cycle).
//
// Groups are acquired in an order and released in the reverse order. Parent-child puts the
// parent first when acquiring and the child first when releasing; start-after and stop-after
// add ordering for one direction only. So there are three graphs: parent-child alone (a
// cycle means no group could ever come online first), the start order (parent-child +
// start-after) and the stop order (parent-child reversed + stop-after); a cycle in an order
// graph would deadlock that event. Dependencies are taken in file order, and the one whose
// edge closes a cycle is reported, with the cycle listed from it; its edge is then left out,
// so each independent cycle is reported once. A cycle of parent-child edges only is reported
// once, as a parent-child cycle. Self-dependencies are dependency-self (dependencies.ts).

import type { Finding } from '../diagnostic.js';
import type { ClusterConfig } from '../model.js';
import { lookup } from './lookup.js';

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'parent-child' | 'start-after' | 'stop-after';
}

/** A directed graph that refuses edges closing a cycle, returning the cycle instead. */
class OrderGraph {
  private readonly out = new Map<string, Edge[]>();

  /** The path of edges from `from` to `to`, if there is one (breadth first: a shortest one). */
  private path(from: string, to: string): Edge[] | undefined {
    const via = new Map<string, Edge | null>([[from, null]]);
    const queue = [from];
    for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
      if (node === to) {
        const edges: Edge[] = [];
        for (let e = via.get(node); e; e = via.get(e.from)) edges.unshift(e);
        return edges;
      }
      for (const e of this.out.get(node) ?? []) {
        if (!via.has(e.to)) {
          via.set(e.to, e);
          queue.push(e.to);
        }
      }
    }
    return undefined;
  }

  /** Adds the edge, or returns the cycle it would close (starting with the edge). */
  add(edge: Edge): Edge[] | undefined {
    const back = this.path(edge.to, edge.from);
    if (back) return [edge, ...back];
    const list = this.out.get(edge.from);
    if (list) list.push(edge);
    else this.out.set(edge.from, [edge]);
    return undefined;
  }
}

function cycleText(cycle: readonly Edge[]): string {
  return [...cycle.map((e) => e.from), cycle[0]?.from ?? ''].join(' -> ');
}

export function checkDependencyCycles(config: ClusterConfig): Finding[] {
  const look = lookup(config);
  const known = (g: string): boolean => look.groups.has(g);
  const out: Finding[] = [];
  const parentChild = new OrderGraph();
  const start = new OrderGraph();
  const stop = new OrderGraph();
  const usable = (a: string, b: string): boolean => a !== b && known(a) && known(b);

  for (const dep of config.dependencies) {
    if (dep.type === 'parent-child' && usable(dep.parent, dep.child)) {
      const cycle = parentChild.add({ from: dep.parent, to: dep.child, kind: 'parent-child' });
      if (cycle) {
        out.push({
          severity: 'error',
          code: 'dependency-cycle',
          path: dep.at,
          message: `parent-child dependencies form a cycle: ${cycleText(cycle)} (each is the parent of the next), so none of these groups can come online first`,
          expected: 'parent-child dependencies without a cycle',
          hint: 'remove one of the dependencies in the cycle',
        });
      }
    }
  }

  const orders = [
    { graph: start, extra: 'start-after', name: 'start order', word: 'online' },
    { graph: stop, extra: 'stop-after', name: 'stop order', word: 'offline' },
  ] as const;
  for (const { graph, extra, name, word } of orders) {
    for (const dep of config.dependencies) {
      let edge: Edge | undefined;
      if (dep.type === 'parent-child' && usable(dep.parent, dep.child)) {
        edge =
          extra === 'start-after'
            ? { from: dep.parent, to: dep.child, kind: 'parent-child' }
            : { from: dep.child, to: dep.parent, kind: 'parent-child' };
      } else if (dep.type === extra && usable(dep.group, dep.after)) {
        edge = { from: dep.after, to: dep.group, kind: extra };
      }
      if (!edge) continue;
      const cycle = graph.add(edge);
      // A parent-child-only cycle was reported above.
      if (!cycle || cycle.every((e) => e.kind === 'parent-child')) continue;
      out.push({
        severity: 'error',
        code: 'dependency-cycle',
        path: dep.at,
        message: `the ${name} forms a cycle: ${cycleText(cycle)} (each must be ${word} before the next, by parent-child or ${extra}), so the event would wait for ever`,
        expected: `${extra} and parent-child dependencies without a cycle`,
        hint: 'remove one of the dependencies in the cycle',
      });
    }
  }
  return out;
}
