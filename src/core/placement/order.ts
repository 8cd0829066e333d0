// A total order of items that respects `before -> after` edges, ties broken by a key: the
// same set of items and edges gives the same order whatever order they arrive in.

/** Code-point order, not locale order: the same on every node. */
export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Kahn's algorithm, taking the smallest ready item by `compare` each time. Edges naming unknown
 * items are ignored. Items on a cycle (which verification rejects, but placement must not
 * loop on) come last, by `compare`.
 */
export function topologicalOrder(
  items: readonly string[],
  edges: readonly (readonly [before: string, after: string])[],
  compare: (a: string, b: string) => number = byName,
): string[] {
  const known = new Set(items);
  const indegree = new Map<string, number>();
  const next = new Map<string, string[]>();
  for (const x of known) indegree.set(x, 0);
  const seen = new Set<string>();
  for (const [a, b] of edges) {
    const key = `${a}\u0000${b}`;
    if (!known.has(a) || !known.has(b) || a === b || seen.has(key)) continue;
    seen.add(key);
    indegree.set(b, (indegree.get(b) ?? 0) + 1);
    next.set(a, [...(next.get(a) ?? []), b]);
  }
  const ready = [...known].filter((x) => indegree.get(x) === 0);
  const out: string[] = [];
  while (ready.length > 0) {
    ready.sort(compare);
    const x = ready.shift();
    if (x === undefined) break;
    out.push(x);
    for (const y of next.get(x) ?? []) {
      const d = (indegree.get(y) ?? 0) - 1;
      indegree.set(y, d);
      if (d === 0) ready.push(y);
    }
  }
  const placed = new Set(out);
  return [...out, ...[...known].filter((x) => !placed.has(x)).sort(compare)];
}
