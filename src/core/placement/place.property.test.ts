// Properties over random clusters, placements, overrides, facts and events, including inputs
// verification would reject (invalid policy combinations, groups online on two nodes or off
// their list): placement must stay safe whatever it is given.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { place } from './place.js';
import { applyPlan } from './plan.js';
import type {
  NodeFacts,
  Override,
  PlacementDependency,
  PlacementGroupDef,
  PlacementInput,
  PlacementPlan,
  PlacementTrigger,
} from './types.js';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const GROUPS = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6'];

const node = fc.constantFrom(...NODES);
const someNodes = fc.subarray(NODES);

const groupDef = (name: string): fc.Arbitrary<PlacementGroupDef> =>
  fc.record({
    name: fc.constant(name),
    nodes: fc.shuffledSubarray(NODES, { minLength: 1 }),
    legacyPolicy: fc.constant(undefined),
    startup: fc.constantFrom('home-node', 'first-available', 'all-available', 'distribution'),
    fallover: fc.constantFrom('next-priority', 'dynamic-priority', 'offline'),
    fallback: fc.constantFrom('higher-priority', 'never'),
    fallbackTimer: fc.option(
      fc.constant({
        recurrence: 'daily' as const,
        at: '02:00',
        weekday: undefined,
        day: undefined,
        month: undefined,
        date: undefined,
      }),
      { nil: undefined },
    ),
    dynamicPriority: fc.option(
      fc.record({
        policy: fc.constantFrom('most-free-memory', 'most-idle-cpu', 'least-busy-disk', 'script'),
        script: fc.constant(undefined),
        timeoutMs: fc.constant(10_000),
      }),
      { nil: undefined },
    ),
  });

/** Parent-child edges go from a lower to a higher group number: no cycles. */
const dependency = (names: readonly string[]): fc.Arbitrary<PlacementDependency> => {
  const name = fc.constantFrom(...names);
  // A lower-numbered group first; with one group there is no pair (a self-dependency, which
  // verification rejects and placement ignores).
  const pair = fc
    .tuple(fc.nat({ max: names.length - 1 }), fc.nat({ max: names.length - 1 }))
    .map(([a, b]) => [names[Math.min(a, b)] ?? '', names[Math.max(a, b)] ?? ''] as const);
  return fc.oneof(
    pair.map(([parent, child]) => ({ type: 'parent-child' as const, parent, child })),
    pair.map(([after, group]) => ({ type: 'start-after' as const, group, after })),
    pair.map(([after, group]) => ({ type: 'stop-after' as const, group, after })),
    fc.shuffledSubarray([...names], { maxLength: Math.min(3, names.length) }).map((groups) => ({
      type: 'same-node' as const,
      groups,
    })),
    fc
      .tuple(
        fc.uniqueArray(name, { maxLength: 2 }),
        fc.uniqueArray(name, { maxLength: 2 }),
        fc.uniqueArray(name, { maxLength: 2 }),
      )
      .map(([high, intermediate, low]) => ({
        type: 'different-nodes' as const,
        high,
        intermediate: intermediate.filter((g) => !high.includes(g)),
        low: low.filter((g) => !high.includes(g) && !intermediate.includes(g)),
      })),
  );
};

const perGroup = <T>(names: readonly string[], value: fc.Arbitrary<T>) =>
  fc
    .tuple(...names.map((g) => fc.option(value, { nil: undefined }).map((v) => [g, v] as const)))
    .map((entries) =>
      Object.fromEntries(entries.filter((e): e is readonly [string, T] => e[1] !== undefined)),
    );

const trigger = (names: readonly string[]): fc.Arbitrary<PlacementTrigger> => {
  const groups = fc.subarray([...names], { minLength: 1 });
  return fc.oneof(
    fc.constant({ type: 'startup' as const }),
    node.map((n) => ({ type: 'node_up' as const, node: n })),
    node.map((n) => ({ type: 'node_down' as const, node: n })),
    fc
      .tuple(groups, fc.option(node, { nil: undefined }))
      .map(([g, to]) =>
        to === undefined
          ? { type: 'rg_move' as const, groups: g }
          : { type: 'rg_move' as const, groups: g, to },
      ),
    fc
      .tuple(groups, fc.option(node, { nil: undefined }))
      .map(([g, to]) =>
        to === undefined
          ? { type: 'rg_online' as const, groups: g }
          : { type: 'rg_online' as const, groups: g, to },
      ),
    groups.map((g) => ({ type: 'rg_offline' as const, groups: g })),
    groups.map((g) => ({ type: 'resume' as const, groups: g })),
    groups.map((g) => ({ type: 'fallback_timer' as const, groups: g })),
    fc.constant({ type: 'settling_expired' as const }),
    fc.constant({ type: 'reevaluate' as const }),
  );
};

const override: fc.Arbitrary<Override> = fc.oneof(
  fc.constant({ type: 'offline' as const }),
  node.map((n) => ({ type: 'node' as const, node: n })),
);

const facts: fc.Arbitrary<NodeFacts> = fc.record(
  {
    freeMemory: fc.integer({ min: 0, max: 100 }),
    idleCpu: fc.integer({ min: 0, max: 100 }),
    diskBusy: fc.integer({ min: 0, max: 100 }),
    script: perGroup(GROUPS, fc.integer({ min: -5, max: 5 })),
  },
  { requiredKeys: [] },
);

const input: fc.Arbitrary<PlacementInput> = fc
  .integer({ min: 1, max: GROUPS.length })
  .chain((count) => {
    const names = GROUPS.slice(0, count);
    return fc.record({
      config: fc.record({
        groups: fc.tuple(...names.map(groupDef)),
        dependencies: fc.array(dependency(names), { maxLength: 4 }),
        settlingTimeMs: fc.constantFrom(0, 60_000),
      }),
      eligible: someNodes,
      current: fc.record(
        {
          online: perGroup(names, someNodes),
          errors: perGroup(names, fc.subarray(NODES, { maxLength: 2 })),
          unmanaged: perGroup(names, fc.subarray(NODES, { maxLength: 1 })),
        },
        { requiredKeys: ['online'] },
      ),
      overrides: perGroup(names, override),
      facts: fc
        .tuple(
          ...NODES.map((n) => fc.option(facts, { nil: undefined }).map((f) => [n, f] as const)),
        )
        .map((entries) =>
          Object.fromEntries(
            entries.filter((e): e is readonly [string, NodeFacts] => e[1] !== undefined),
          ),
        ),
      trigger: trigger(names),
    });
  });

const RUNS = { numRuns: 3000 };

function checkSafety(i: PlacementInput, plan: PlacementPlan): void {
  const eligible = new Set(i.eligible);
  const defs = new Map(i.config.groups.map((g) => [g.name, g]));
  const at = new Map(plan.groups.map((g) => [g.group, g.nodes]));
  for (const t of plan.groups) {
    const def = defs.get(t.group);
    assert.ok(def, `plan names a configured group (${t.group})`);
    const errors = Object.hasOwn(i.current.errors ?? {}, t.group)
      ? (i.current.errors?.[t.group] ?? [])
      : [];
    if (def.startup !== 'all-available')
      assert.ok(t.nodes.length <= 1, `${t.group} is exclusive, on ${t.nodes.join(', ')}`);
    assert.equal(new Set(t.nodes).size, t.nodes.length, `${t.group}: a node twice`);
    for (const n of t.nodes) {
      assert.ok(def.nodes.includes(n), `${t.group} on ${n}, outside its list`);
      assert.ok(eligible.has(n), `${t.group} on ${n}, which is not eligible`);
      assert.ok(!errors.includes(n), `${t.group} on ${n}, where it is in error`);
    }
    assert.equal(t.intent === 'online', t.nodes.length > 0, `${t.group}: intent ${t.intent}`);
  }
  const online = (g: string): boolean =>
    (at.get(g)?.length ?? 0) > 0 || (i.current.unmanaged?.[g]?.length ?? 0) > 0;
  const exclusive = (g: string): boolean =>
    defs.get(g) !== undefined && defs.get(g)?.startup !== 'all-available';
  const sameNodeUsed = i.config.dependencies.some((d) => d.type === 'same-node');
  for (const d of i.config.dependencies) {
    if (d.type === 'parent-child' && (at.get(d.child)?.length ?? 0) > 0)
      assert.ok(online(d.parent), `${d.child} online while its parent ${d.parent} is not`);
    if (d.type === 'same-node') {
      const nodes = new Set(d.groups.filter(exclusive).flatMap((g) => at.get(g) ?? []));
      assert.ok(
        nodes.size <= 1,
        `same-node groups ${d.groups.join(', ')} on ${[...nodes].join(', ')}`,
      );
    }
    // Same-node ties can bind different-nodes peers together, which verification rejects.
    if (d.type === 'different-nodes' && !sameNodeUsed) {
      const groups = [...new Set([...d.high, ...d.intermediate, ...d.low])].filter(exclusive);
      const nodes = groups.flatMap((g) => at.get(g) ?? []);
      assert.equal(new Set(nodes).size, nodes.length, `different-nodes groups share a node`);
    }
  }
}

/** The same input, with every order that should not matter reversed or rotated. */
function permuted(i: PlacementInput): PlacementInput {
  const rev = <T>(xs: readonly T[]): T[] => [...xs].reverse();
  const revRecord = <T>(r: Readonly<Record<string, T>> | undefined, f: (v: T) => T = (v) => v) =>
    r === undefined
      ? undefined
      : Object.fromEntries(rev(Object.entries(r)).map(([k, v]) => [k, f(v)]));
  const t = i.trigger;
  const current = {
    online: revRecord(i.current.online, rev) ?? {},
    ...(i.current.errors ? { errors: revRecord(i.current.errors, rev) ?? {} } : {}),
    ...(i.current.unmanaged ? { unmanaged: revRecord(i.current.unmanaged, rev) ?? {} } : {}),
  };
  return {
    config: {
      ...i.config,
      groups: rev(i.config.groups),
      dependencies: rev(i.config.dependencies).map((d) =>
        d.type === 'same-node'
          ? { ...d, groups: rev(d.groups) }
          : d.type === 'different-nodes'
            ? { ...d, high: rev(d.high), intermediate: rev(d.intermediate), low: rev(d.low) }
            : d,
      ),
    },
    eligible: rev(i.eligible),
    current,
    ...(i.overrides ? { overrides: revRecord(i.overrides) ?? {} } : {}),
    ...(i.facts ? { facts: revRecord(i.facts) ?? {} } : {}),
    trigger: 'groups' in t ? { ...t, groups: rev(t.groups) } : t,
  };
}

describe('placement properties', () => {
  it('is safe: exclusive on one node at most, only on eligible nodes of its list, dependencies kept', () => {
    fc.assert(
      fc.property(input, (i) => {
        checkSafety(i, place(i));
      }),
      RUNS,
    );
  });

  it('is deterministic: the order of groups, dependencies, nodes and keys does not matter', () => {
    fc.assert(
      fc.property(input, (i) => {
        const a = place(i);
        assert.deepEqual(place(i), a);
        assert.deepEqual(place(permuted(i)), a);
      }),
      RUNS,
    );
  });

  it('is stable: placing its own result again, with no event, moves nothing', () => {
    fc.assert(
      fc.property(input, (i) => {
        const first = place(i);
        const again = place({
          ...i,
          current: applyPlan(i.current, first),
          overrides: first.overrides,
          trigger: { type: 'reevaluate' },
        });
        checkSafety({ ...i, current: applyPlan(i.current, first) }, again);
        assert.deepEqual(
          again.groups.map((g) => [g.group, g.nodes]),
          first.groups.map((g) => [g.group, g.nodes]),
        );
        assert.deepEqual([again.release, again.acquire], [[], []]);
        assert.deepEqual(again.overrides, first.overrides);
      }),
      RUNS,
    );
  });
});
