// Dependencies between resource groups. The rules, and why:
//
// - dependency-self: a group cannot be its own parent, or start or stop after itself.
// - dependency-duplicate-group: a group named twice in one same-node or different-nodes list.
// - dependency-cycle: see cycles.ts.
// - same-node-no-common-node: same-node groups are online on one node, which must be in
//   every group's node list. Same-node is transitive (a with b, b with c: a with c), so the
//   node lists are intersected across chained dependencies; the dependency that leaves no
//   node is reported.
// - same-node-different-nodes-conflict: two groups tied to one node (transitively) and kept
//   on different nodes: no placement satisfies both.
// - different-nodes-two-levels: a group has one priority in the anti-collocation, across all
//   different-nodes dependencies.
// - different-nodes-concurrent (error): a group online on all nodes shares a node with every
//   other group, so it can be in no different-nodes dependency.
// - same-node-concurrent (warning): a group online on all nodes is on every node anyway:
//   same-node with it constrains nothing.
// - different-nodes-single-group (warning): fewer than two groups: it says nothing.
// - different-nodes-too-few-nodes (warning): the groups' node lists leave no way to put each
//   on a node of its own, even with every node up (a matching of groups to nodes); so the
//   low-priority groups stay offline even in a healthy cluster.
// - parent-child-concurrent-child (warning): a concurrent child of a parent that is online on
//   one node is stopped and restarted on every node whenever the parent moves; a concurrent
//   service rarely means that.

import type { Finding } from '../diagnostic.js';
import { formatPath } from '../diagnostic.js';
import type { ClusterConfig, DependencyDef } from '../model.js';
import { dependencyGroups, listWords, lookup } from './lookup.js';

type Level = 'high' | 'intermediate' | 'low';
const LEVELS: readonly Level[] = ['high', 'intermediate', 'low'];

export function checkDependencies(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);
  const known = (g: string): boolean => look.groups.has(g);
  const concurrent = (g: string): boolean => look.groups.get(g)?.startup === 'all-available';

  for (const dep of config.dependencies) {
    out.push(...selfAndDuplicates(dep));
    if (dep.type === 'parent-child' && known(dep.parent) && known(dep.child)) {
      if (concurrent(dep.child) && !concurrent(dep.parent)) {
        out.push({
          severity: 'warning',
          code: 'parent-child-concurrent-child',
          path: [...dep.at, 'child'],
          message: `${dep.child} is online on all nodes, but its parent ${dep.parent} is online on one node: each time ${dep.parent} moves, ${dep.child} stops and restarts on every node`,
          hint: `make ${dep.parent} concurrent too, or drop the dependency and let ${dep.child} cope with ${dep.parent} moving`,
        });
      }
    }
  }

  // Same-node components, with the nodes every group of the component may use.
  const sameNode = new SameNodeSets((g) =>
    (look.groups.get(g)?.nodes ?? []).filter((n) => look.nodes.has(n)),
  );
  for (const dep of config.dependencies) {
    if (dep.type !== 'same-node') continue;
    dep.groups.forEach((g, i) => {
      if (known(g) && concurrent(g)) {
        out.push({
          severity: 'warning',
          code: 'same-node-concurrent',
          path: [...dep.at, 'groups', i],
          message: `${g} is online on all nodes, so keeping other groups on the same node as ${g} constrains nothing`,
          hint: `remove ${g} from this same-node dependency`,
        });
      }
    });
    const placed = [...new Set(dep.groups)].filter((g) => known(g) && !concurrent(g));
    const [first, ...rest] = placed;
    if (first === undefined) continue;
    // A group without a known node is reported by references.
    if (placed.some((g) => sameNode.nodesOf(g).size === 0)) continue;
    for (const g of rest) sameNode.union(first, g);
    if (sameNode.nodesOf(first).size > 0) continue;
    const others = sameNode.members(first).filter((g) => !placed.includes(g));
    const lists = placed.map((g) => `${g} (${(look.groups.get(g)?.nodes ?? []).join(', ')})`);
    out.push({
      severity: 'error',
      code: 'same-node-no-common-node',
      path: [...dep.at, 'groups'],
      message: `same-node groups ${listWords(lists)} have no node in common${others.length ? `, with ${listWords(others)}, which earlier same-node dependencies put on their node` : ''}`,
      expected: 'groups on the same node share at least one node in their node lists',
      hint: 'add a common node to their node lists, or remove the dependency',
    });
  }

  // Different nodes.
  const levelOf = new Map<string, { level: Level; path: (string | number)[] }>();
  for (const dep of config.dependencies) {
    if (dep.type !== 'different-nodes') continue;
    const members: string[] = [];
    for (const level of LEVELS) {
      dep[level].forEach((g, i) => {
        const path = [...dep.at, level, i];
        const prev = levelOf.get(g);
        if (prev && prev.level !== level) {
          out.push({
            severity: 'error',
            code: 'different-nodes-two-levels',
            path,
            message: `${g} is ${level} here, but already ${prev.level} at ${formatPath(prev.path)}`,
            expected: 'one priority level per group in different-nodes dependencies',
            hint: `keep ${g} in one level`,
          });
        } else if (!prev) {
          levelOf.set(g, { level, path });
        }
        if (!known(g) || members.includes(g)) return;
        if (concurrent(g)) {
          out.push({
            severity: 'error',
            code: 'different-nodes-concurrent',
            path,
            message: `${g} is online on all available nodes, so no other group can be on a different node from it`,
            expected: 'groups online on one node at a time',
            hint: `remove ${g} from this different-nodes dependency`,
          });
          return;
        }
        const clash = members.find((m) => sameNode.together(m, g));
        if (clash !== undefined) {
          out.push({
            severity: 'error',
            code: 'same-node-different-nodes-conflict',
            path,
            message: `${g} and ${clash} must be on the same node (same-node), and here on different nodes`,
            expected: 'a pair of groups in same-node or different-nodes, not both',
            hint: 'remove one of the two dependencies',
          });
        }
        members.push(g);
      });
    }
    const distinct = new Set(LEVELS.flatMap((l) => dep[l]));
    if (distinct.size < 2) {
      out.push({
        severity: 'warning',
        code: 'different-nodes-single-group',
        path: dep.at,
        message: `this different-nodes dependency names ${distinct.size === 0 ? 'no group' : `only ${[...distinct].join('')}`}, so it keeps nothing apart`,
        hint: 'list at least two groups, or remove the dependency',
      });
      continue;
    }
    const matched = maxMatching(members, (g) =>
      (look.groups.get(g)?.nodes ?? []).filter((n) => look.nodes.has(n)),
    );
    if (matched < members.length) {
      const nodes = [...new Set(members.flatMap((g) => look.groups.get(g)?.nodes ?? []))];
      out.push({
        severity: 'warning',
        code: 'different-nodes-too-few-nodes',
        path: dep.at,
        message: `${listWords(members)} must be on different nodes, but their node lists (${listWords(nodes)} between them) leave room for ${matched} of them at most, even with every node up`,
        hint: 'add nodes to the groups node lists, or take groups out of the dependency',
      });
    }
  }
  return out;
}

function selfAndDuplicates(dep: DependencyDef): Finding[] {
  const out: Finding[] = [];
  if (dep.type === 'parent-child' && dep.parent === dep.child) {
    out.push({
      severity: 'error',
      code: 'dependency-self',
      path: [...dep.at, 'child'],
      message: `${dep.child} is its own parent`,
      expected: 'two different groups',
    });
  }
  if ((dep.type === 'start-after' || dep.type === 'stop-after') && dep.group === dep.after) {
    out.push({
      severity: 'error',
      code: 'dependency-self',
      path: [...dep.at, 'after'],
      message: `${dep.group} ${dep.type === 'start-after' ? 'starts' : 'stops'} after itself`,
      expected: 'two different groups',
    });
  }
  if (dep.type === 'same-node' || dep.type === 'different-nodes') {
    const seen = new Map<string, string>();
    for (const { name, path } of dependencyGroups(dep)) {
      const level = String(path[path.length - 2]);
      if (seen.get(name) === level) {
        out.push({
          severity: 'error',
          code: 'dependency-duplicate-group',
          path,
          message: `${name} is listed twice in this ${dep.type} dependency`,
          expected: 'each group once',
          hint: `remove the second ${name}`,
        });
      }
      if (!seen.has(name)) seen.set(name, level);
    }
  }
  return out;
}

/** Groups tied together by same-node dependencies (union-find), with their common nodes. */
class SameNodeSets {
  private readonly parent = new Map<string, string>();
  private readonly common = new Map<string, Set<string>>();

  constructor(private readonly nodes: (group: string) => readonly string[]) {}

  root(g: string): string {
    let r = g;
    for (let p = this.parent.get(r); p !== undefined && p !== r; p = this.parent.get(r)) r = p;
    return r;
  }

  /** The nodes every group tied to g lists. */
  nodesOf(g: string): ReadonlySet<string> {
    return this.common.get(this.root(g)) ?? new Set(this.nodes(g));
  }

  union(a: string, b: string): void {
    const [ra, rb] = [this.root(a), this.root(b)];
    if (ra === rb) return;
    const theirs = this.nodesOf(b);
    this.common.set(ra, new Set([...this.nodesOf(a)].filter((n) => theirs.has(n))));
    this.parent.set(rb, ra);
    this.parent.set(ra, ra);
  }

  together(a: string, b: string): boolean {
    return this.parent.has(a) && this.parent.has(b) && this.root(a) === this.root(b);
  }

  members(g: string): string[] {
    const r = this.root(g);
    return [...this.parent.keys()].filter((x) => this.root(x) === r);
  }
}

/** The size of a maximum matching of items to distinct slots (Kuhn's augmenting paths). */
function maxMatching(items: readonly string[], slots: (item: string) => readonly string[]): number {
  const owner = new Map<string, string>();
  const tryPlace = (item: string, visited: Set<string>): boolean => {
    for (const s of slots(item)) {
      if (visited.has(s)) continue;
      visited.add(s);
      const current = owner.get(s);
      if (current === undefined || tryPlace(current, visited)) {
        owner.set(s, item);
        return true;
      }
    }
    return false;
  };
  let n = 0;
  for (const item of items) if (tryPlace(item, new Set())) n++;
  return n;
}
