import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mergeRows, mutual, myView, partition, type Row, type Rows } from './connectivity.js';

/** Rows from "a>b" meaning a's heartbeats reach b (b hears a). */
function rowsOf(nodes: number[], links: string[]): Rows {
  const hears = new Map(nodes.map((n) => [n, new Set<number>()]));
  for (const l of links) {
    const [a, b] = l.split('>').map(Number) as [number, number];
    hears.get(b)?.add(a);
  }
  return new Map(
    nodes.map((n) => [
      n,
      {
        node: n,
        version: 1,
        incarnation: 1,
        hears: [...(hears.get(n) ?? [])].sort((x, y) => x - y),
      },
    ]),
  );
}
const full = (nodes: number[]): string[] =>
  nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => `${a}>${b}`));
const both = (a: number, b: number): string[] => [`${a}>${b}`, `${b}>${a}`];

describe('the view rule', () => {
  it('puts a fully connected cluster in one view led by the lowest node', () => {
    assert.deepEqual(partition(rowsOf([3, 1, 2], full([1, 2, 3])), [3, 1, 2]), [[1, 2, 3]]);
  });

  it('splits a clean majority/minority split into two views', () => {
    const rows = rowsOf([1, 2, 3, 4, 5], [...full([1, 2, 3]), ...full([4, 5])]);
    assert.deepEqual(partition(rows, [1, 2, 3, 4, 5]), [
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('gives a bridge node that hears both halves to the half with the lowest node', () => {
    // 5 hears and is heard by everyone; {1,2} and {3,4} do not hear each other.
    const rows = rowsOf(
      [1, 2, 3, 4, 5],
      [...full([1, 2]), ...full([3, 4]), ...[1, 2, 3, 4].flatMap((n) => both(n, 5))],
    );
    assert.deepEqual(partition(rows, [1, 2, 3, 4, 5]), [
      [1, 2, 5],
      [3, 4],
    ]);
  });

  it('never shares a view across a one-way link', () => {
    // 1 hears 2 but 2 does not hear 1.
    const rows = rowsOf([1, 2, 3], ['2>1', ...both(1, 3), ...both(2, 3)]);
    assert.equal(mutual(rows, 1, 2), false);
    assert.deepEqual(partition(rows, [1, 2, 3]), [[1, 3], [2]]);
  });

  it('computes the same view from every member, and only mutual cliques', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.nat(7), fc.nat(7)), { maxLength: 60 }),
        (n, pairs) => {
          const nodes = Array.from({ length: n }, (_, i) => i + 1);
          const rows = rowsOf(
            nodes,
            pairs
              .filter(([a, b]) => a < n && b < n && a !== b)
              .map(([a, b]) => `${a + 1}>${b + 1}`),
          );
          const views = partition(rows, nodes);
          assert.deepEqual(
            views.flat().sort((a, b) => a - b),
            nodes,
            'every node placed once',
          );
          for (const v of views) {
            for (const a of v) for (const b of v) if (a !== b) assert.ok(mutual(rows, a, b));
            for (const m of v) {
              // Nodes outside m's component do not matter to it: its own computation agrees.
              assert.deepEqual(myView(rows, m), v);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('myView is the rule applied to the component of self, even with rows missing', () => {
    // The reference: the component by a plain search, then partition, then self's view.
    const reference = (rows: Rows, self: number): number[] => {
      const component = new Set([self]);
      for (let grew = true; grew;) {
        grew = false;
        for (const r of rows.values()) {
          for (const h of r.hears) {
            const a = component.has(r.node);
            const b = component.has(h);
            if (a !== b) {
              component.add(a ? h : r.node);
              grew = true;
            }
          }
        }
      }
      return partition(rows, [...component]).find((v) => v.includes(self)) ?? [self];
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 80 }),
        fc.nat(9),
        (n, pairs, me) => {
          // Rows for nodes 1..n only; links may name nodes up to 12, which have no row.
          const rows = rowsOf(
            Array.from({ length: n }, (_, i) => i + 1),
            pairs.filter(([a, b]) => a !== b).map(([a, b]) => `${a + 1}>${b + 1}`),
          );
          const self = (me % 12) + 1;
          assert.deepEqual(myView(rows, self), reference(rows, self));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('row gossip', () => {
  const row = (node: number, version: number, incarnation: number, hears: number[]): Row => ({
    node,
    version,
    incarnation,
    hears,
  });

  it('keeps the newest row of each node, a restart superseding every older version', () => {
    let rows: Rows = new Map();
    rows = mergeRows(rows, [row(1, 5, 1, [2])]);
    rows = mergeRows(rows, [row(1, 4, 1, [3])]);
    assert.deepEqual(rows.get(1)?.hears, [2]);
    rows = mergeRows(rows, [row(1, 1, 2, [3])]);
    assert.deepEqual(rows.get(1)?.hears, [3]);
  });

  it('returns the same map when nothing is news, so callers can skip work', () => {
    const rows = mergeRows(new Map(), [row(1, 1, 1, [])]);
    assert.equal(mergeRows(rows, [row(1, 1, 1, [])]), rows);
  });
});
