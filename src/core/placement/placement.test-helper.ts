// Test support: cluster definitions through the real loader (so that legacy policies arrive
// expanded exactly as in production), and a tiny cluster that replays events through place().

import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { parseClusterDefinition } from '../config/load.js';
import type { ClusterConfig } from '../config/model.js';
import { place } from './place.js';
import { applyPlan } from './plan.js';
import {
  placementConfig,
  type CurrentPlacement,
  type NodeFacts,
  type Override,
  type PlacementConfig,
  type PlacementPlan,
  type PlacementTrigger,
} from './types.js';

export interface Definition {
  readonly nodes: readonly string[];
  readonly groups: readonly Record<string, unknown>[];
  readonly dependencies?: readonly Record<string, unknown>[];
  readonly settlingTime?: string;
}

/** A valid cluster file around the given groups, loaded and verified by the real loader. */
export function configOf(def: Definition): PlacementConfig {
  return placementConfig(clusterOf(def));
}

/** The whole cluster definition of configOf (each group holds an application app_<group>). */
export function clusterOf(def: Definition): ClusterConfig {
  const file = {
    cluster: { name: 'test', id: 7 },
    tunables: { settlingTime: def.settlingTime ?? '0s' },
    // Two-node clusters need a tie-breaker to pass verification; placement never reads it.
    quorum: { tieBreaker: { type: 'server', address: '198.51.100.7' } },
    networks: [{ name: 'net', type: 'ether' }],
    nodes: def.nodes.map((name, i) => ({
      name,
      id: i + 1,
      interfaces: [{ network: 'net', device: 'eth0', address: `192.0.2.${i + 1}/24` }],
    })),
    resources: {
      applications: def.groups.map((g) => ({
        name: `app_${String(g['name'])}`,
        start: '/bin/true',
        stop: '/bin/true',
      })),
    },
    resourceGroups: def.groups.map((g) => ({ resources: [`app_${String(g['name'])}`], ...g })),
    dependencies: def.dependencies ?? [],
  };
  const r = parseClusterDefinition(stringify(file), 'test.yaml');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => `${d.code}: ${d.message}`),
    [],
    'the test cluster definition is valid',
  );
  assert.ok(r.config);
  return r.config;
}

/** A cluster that replays events: node_up / node_down change the eligible nodes first. */
export class TestCluster {
  eligible: string[];
  current: CurrentPlacement = { online: {} };
  overrides: Record<string, Override> = {};
  facts: Record<string, NodeFacts> = {};
  last: PlacementPlan | undefined;

  constructor(
    readonly config: PlacementConfig,
    eligible: readonly string[],
  ) {
    this.eligible = [...eligible];
  }

  event(trigger: PlacementTrigger): PlacementPlan {
    if (trigger.type === 'node_up' && !this.eligible.includes(trigger.node))
      this.eligible.push(trigger.node);
    if (trigger.type === 'node_down')
      this.eligible = this.eligible.filter((n) => n !== trigger.node);
    const plan = place({
      config: this.config,
      eligible: this.eligible,
      current: this.current,
      overrides: this.overrides,
      facts: this.facts,
      trigger,
    });
    this.current = applyPlan(this.current, plan);
    this.overrides = { ...plan.overrides };
    this.last = plan;
    return plan;
  }

  where(group: string): readonly string[] {
    return Object.hasOwn(this.current.online, group) ? (this.current.online[group] ?? []) : [];
  }
}

export function targetOf(plan: PlacementPlan, group: string): readonly string[] {
  const g = plan.groups.find((x) => x.group === group);
  assert.ok(g, `group ${group} is in the plan`);
  return g.nodes;
}

export function reasonOf(plan: PlacementPlan, group: string): string {
  const g = plan.groups.find((x) => x.group === group);
  assert.ok(g, `group ${group} is in the plan`);
  return g.reason;
}

/** "event X" written the way the reference's scenarios read. */
export function parseEvent(text: string): PlacementTrigger {
  const [kind = '', arg = ''] = text.split(' ');
  switch (kind) {
    case 'startup':
      return { type: 'startup' };
    case 'node_up':
    case 'node_down':
      return { type: kind, node: arg };
    case 'settling_expired':
      return { type: 'settling_expired' };
    case 'reevaluate':
      return { type: 'reevaluate' };
    default:
      throw new Error(`test event "${text}": expected startup, node_up X, node_down X`);
  }
}

export interface Step {
  readonly event: string;
  /** Group -> its nodes after the event. */
  readonly where: Readonly<Record<string, readonly string[]>>;
  /** Group -> its reason line. */
  readonly why?: Readonly<Record<string, string>>;
}

/** Replay `steps` from a cluster where `up` are eligible and nothing is online. */
export function replay(
  config: PlacementConfig,
  up: readonly string[],
  steps: readonly Step[],
): void {
  const c = new TestCluster(config, up);
  for (const [i, s] of steps.entries()) {
    const plan = c.event(parseEvent(s.event));
    for (const [g, nodes] of Object.entries(s.where))
      assert.deepEqual(targetOf(plan, g), nodes, `step ${i + 1} (${s.event}): where ${g} is`);
    for (const [g, why] of Object.entries(s.why ?? {}))
      assert.equal(reasonOf(plan, g), why, `step ${i + 1} (${s.event}): why`);
  }
}
