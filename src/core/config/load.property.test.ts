// The loader must answer every input with diagnostics, never with a throw (or an "internal" one).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseClusterDefinition } from './load.js';
import { baseDefinition, baseYaml } from './fixtures.test-helper.js';

function assertWellFormed(text: string): void {
  const r = parseClusterDefinition(text, 'p.yaml');
  for (const d of r.diagnostics) {
    assert.notEqual(d.code, 'internal', d.message);
    assert.ok(d.line >= 1 && d.column >= 1, `position ${d.line}:${d.column}`);
    assert.ok(d.message.length > 0);
  }
  assert.equal(r.ok, !r.diagnostics.some((d) => d.severity === 'error'));
  if (!r.ok) assert.ok(r.diagnostics.length > 0);
}

type Json = unknown;
const anyValue: fc.Arbitrary<Json> = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

/** Every path to a value inside a JSON tree. */
function paths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(v)) return [...here, ...v.flatMap((x, i) => paths(x as Json, [...prefix, i]))];
  if (v && typeof v === 'object') {
    return [...here, ...Object.entries(v).flatMap(([k, x]) => paths(x as Json, [...prefix, k]))];
  }
  return here;
}

type Mutation = { kind: 'set' | 'delete' | 'rename' | 'add'; at: number; value: Json; key: string };

function mutate(root: Record<string, unknown>, m: Mutation): void {
  const all = paths(root).filter((p) => p.length > 0);
  const path = all[m.at % all.length]!;
  let parent = root as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  switch (m.kind) {
    case 'set':
      parent[last] = m.value;
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else Reflect.deleteProperty(parent, last);
      break;
    case 'rename':
      if (!Array.isArray(parent)) {
        parent[`${String(last)}${m.key}`] = parent[last];
        Reflect.deleteProperty(parent, last);
      }
      break;
    case 'add':
      if (parent[last] && typeof parent[last] === 'object' && !Array.isArray(parent[last])) {
        (parent[last] as Record<string, unknown>)[m.key || 'x'] = m.value;
      }
      break;
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'delete', 'rename', 'add'),
  at: fc.nat(),
  value: anyValue,
  key: fc.string({ maxLength: 4 }),
});

describe('loader properties', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), assertWellFormed), { numRuns: 500 });
  });

  it('never throws on arbitrary YAML values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        assertWellFormed(stringify(v));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated valid definitions, and reports each as an error or accepts it', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const def = baseDefinition();
        for (const m of ms) mutate(def, m);
        assertWellFormed(stringify(def));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws when the YAML text is damaged', () => {
    const text = baseYaml();
    fc.assert(
      fc.property(
        fc.nat({ max: text.length }),
        fc.string({ maxLength: 3 }),
        fc.nat({ max: 5 }),
        (at, ins, del) => {
          assertWellFormed(text.slice(0, at) + ins + text.slice(at + del));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('finds an unknown key wherever it is added', () => {
    fc.assert(
      fc.property(fc.nat(), (at) => {
        const def = baseDefinition();
        const objects = paths(def).filter((p) => {
          let v: unknown = def;
          for (const s of p) v = (v as Record<string | number, unknown>)[s];
          return (
            v !== null && typeof v === 'object' && !Array.isArray(v) && p[p.length - 1] !== 'params'
          );
        });
        const p = objects[at % objects.length]!;
        let v: unknown = def;
        for (const s of p) v = (v as Record<string | number, unknown>)[s];
        (v as Record<string, unknown>)['zzUnknownKey'] = 1;
        const r = parseClusterDefinition(stringify(def), 'p.yaml');
        const d = r.diagnostics.find((x) => x.code === 'unknown-key');
        assert.ok(d, `no unknown-key at ${p.join('.')}`);
        assert.deepEqual(d.path, [...p, 'zzUnknownKey']);
      }),
      { numRuns: 200 },
    );
  });
});
