// The checks must answer any definition that has the right shape, however wrong its content,
// with findings that point at something in the file: never a throw, never a path to nothing.
// The mutations are the administrator's plausible mistakes, combined at random: names that
// collide or dangle, interfaces removed, odd group node lists, dependencies among random
// groups, addresses moved onto each other's subnets, extreme timings and votes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { BASELINE, verify } from './testing.js';

type Def = Record<string, unknown>;
const list = (v: unknown): Def[] => v as Def[];

const NAMES = ['node1', 'node2', 'node3', 'net_ether_01', 'net_diskhb_01', 'rg_db', 'rg_web', 'x'];
const ADDRESSES = ['10.0.1.1/24', '10.0.1.7/24', '10.0.9.10', '10.0.9.10/16', 'fd00::1/64'];
const INTERVALS = ['10ms', '50ms', '90ms', '200ms', '10s', '30s'];

const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length] as T;

/** One mistake, chosen by `op`, applied with the choices a and b. */
function mutate(def: Def, op: number, a: number, b: number): void {
  const nodes = list(def['nodes']);
  const node = pick(nodes, a);
  const groups = list(def['resourceGroups']);
  const group = pick(groups, a);
  switch (op % 12) {
    case 0:
      node['name'] = pick(NAMES, b);
      break;
    case 1:
      pick(list(node['interfaces']), b)['network'] = pick(NAMES, a + b);
      break;
    case 2:
      if (list(node['interfaces']).length > 1) list(node['interfaces']).splice(b % 3, 1);
      break;
    case 3:
      group['nodes'] = [pick(NAMES, b), pick(NAMES, a), pick(NAMES, a + b)].slice(0, 1 + (b % 3));
      break;
    case 4: {
      const g = (n: number): string => pick(['rg_db', 'rg_web', 'rg_x'], n);
      const deps = [
        { type: 'parent-child', parent: g(a), child: g(b) },
        { type: 'start-after', group: g(a), after: g(b) },
        { type: 'stop-after', group: g(b), after: g(a) },
        { type: 'same-node', groups: [g(a), g(b)] },
        { type: 'different-nodes', high: [g(a)], low: [g(b), g(a + 1)] },
      ];
      list(def['dependencies']).push(pick(deps, a + b));
      break;
    }
    case 5:
      pick(list(def['networks']), a)['ipat'] = b % 2 ? 'replacement' : 'alias';
      break;
    case 6:
      pick(list((def['resources'] as Def)['serviceIps']), a)['address'] = pick(ADDRESSES, b);
      break;
    case 7:
      pick(list(node['interfaces']), b)['address'] = pick(ADDRESSES, a);
      break;
    case 8:
      (def['tunables'] as Def)['heartbeat'] = { interval: pick(INTERVALS, a), sensitivity: 2 + b };
      break;
    case 9:
      node['votes'] = b % 3;
      break;
    case 10:
      group['policy'] = pick(['cascading', 'rotating', 'concurrent', 'custom'], b);
      delete group['startup'];
      delete group['fallover'];
      delete group['fallback'];
      break;
    case 11:
      group['resources'] = [...(group['resources'] as string[]), pick(['db_ip', 'web_ip', 'x'], b)];
      break;
  }
}

function resolves(data: unknown, path: readonly (string | number)[]): boolean {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<string | number, unknown>)[seg];
    if (v === undefined) return false;
  }
  return true;
}

describe('verify on random mistakes', () => {
  it('never throws, and every finding points at an entity of the file', () => {
    const base = parse(BASELINE) as Def;
    const mistake = fc.tuple(fc.nat(11), fc.nat(20), fc.nat(20));
    fc.assert(
      fc.property(fc.array(mistake, { minLength: 1, maxLength: 6 }), (mistakes) => {
        const def = structuredClone(base);
        for (const [op, a, b] of mistakes) mutate(def, op, a, b);
        const text = stringify(def);
        const r = verify(text);
        for (const d of r.diagnostics) {
          assert.notEqual(d.code, 'internal', d.message);
          assert.match(d.code, /^[a-z0-9]+(-[a-z0-9]+)*$/);
          assert.ok(d.message.length > 0);
          // Entity-level findings name an entity that exists: nodes[1], resourceGroups[0], ...
          const entity = d.path.slice(0, typeof d.path[1] === 'number' ? 2 : 1);
          if (d.code !== 'unknown-key')
            assert.ok(resolves(def, entity), `${d.code} at ${d.path.join('.')}`);
        }
        assert.deepEqual(verify(text).diagnostics, r.diagnostics, 'deterministic');
      }),
      { numRuns: 150 },
    );
  });
});
