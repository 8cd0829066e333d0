// Lookups the checks share: entities by name, interfaces by node and network, groups by
// resource. Where a name is defined twice the first definition wins; names.ts reports the
// second, so the other checks do not report its consequences again.

import type { Path } from '../diagnostic.js';
import type { IpAddress } from '../../net/ip.js';
import type {
  ClusterConfig,
  DependencyDef,
  InterfaceDef,
  NetworkDef,
  NodeDef,
  ResourceDef,
  ResourceGroupDef,
  ResourceKind,
} from '../model.js';

export interface Lookup {
  readonly nodes: ReadonlyMap<string, NodeDef>;
  readonly networks: ReadonlyMap<string, NetworkDef>;
  readonly resources: ReadonlyMap<string, ResourceDef>;
  readonly groups: ReadonlyMap<string, ResourceGroupDef>;
  /** Every interface of every node, in file order. */
  readonly interfaces: readonly InterfaceDef[];
  /** The interfaces a node has on a network, in file order. */
  interfacesOf(node: string, network: string): readonly InterfaceDef[];
  /** The groups that list a resource, in file order. */
  groupsHolding(resource: string): readonly ResourceGroupDef[];
}

function firstByName<T extends { readonly name: string }>(items: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of items) if (!m.has(x.name)) m.set(x.name, x);
  return m;
}

// Checks run one after the other on the same config object: build the lookup once.
const cache = new WeakMap<ClusterConfig, Lookup>();

export function lookup(config: ClusterConfig): Lookup {
  const cached = cache.get(config);
  if (cached) return cached;
  const interfaces = config.nodes.flatMap((n) => n.interfaces);
  const byNodeNetwork = new Map<string, InterfaceDef[]>();
  for (const i of interfaces) {
    const key = `${i.node}\u0000${i.network}`;
    const list = byNodeNetwork.get(key);
    if (list) list.push(i);
    else byNodeNetwork.set(key, [i]);
  }
  const holding = new Map<string, ResourceGroupDef[]>();
  for (const g of config.resourceGroups) {
    for (const r of new Set(g.resources)) {
      const list = holding.get(r);
      if (list) list.push(g);
      else holding.set(r, [g]);
    }
  }
  const result: Lookup = {
    nodes: firstByName(config.nodes),
    networks: firstByName(config.networks),
    resources: firstByName(config.resources),
    groups: firstByName(config.resourceGroups),
    interfaces,
    interfacesOf: (node, network) => byNodeNetwork.get(`${node}\u0000${network}`) ?? [],
    groupsHolding: (resource) => holding.get(resource) ?? [],
  };
  cache.set(config, result);
  return result;
}

/** A key equal for equal addresses however they were written (IPv6 compression, case). */
export function addressKey(a: IpAddress): string {
  return `${a.family}/${a.value.toString(16)}`;
}

const KIND_WORDS: Record<ResourceKind, string> = {
  serviceIp: 'service IP',
  volumeGroup: 'volume group',
  filesystem: 'file system',
  application: 'application',
  ocf: 'OCF resource',
  systemd: 'systemd unit',
};

/** "service IP web_ip" */
export function describeResource(r: ResourceDef): string {
  return `${KIND_WORDS[r.kind]} ${r.name}`;
}

export function kindWord(kind: ResourceKind): string {
  return KIND_WORDS[kind];
}

/** "a, b and c" */
export function listWords(xs: readonly string[]): string {
  if (xs.length <= 1) return xs.join('');
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1] ?? ''}`;
}

/** "1 interface", "2 interfaces" */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Every group name a dependency mentions, with its path in the file. */
export function dependencyGroups(dep: DependencyDef): { name: string; path: Path }[] {
  switch (dep.type) {
    case 'parent-child':
      return [
        { name: dep.parent, path: [...dep.at, 'parent'] },
        { name: dep.child, path: [...dep.at, 'child'] },
      ];
    case 'start-after':
    case 'stop-after':
      return [
        { name: dep.group, path: [...dep.at, 'group'] },
        { name: dep.after, path: [...dep.at, 'after'] },
      ];
    case 'same-node':
      return dep.groups.map((name, i) => ({ name, path: [...dep.at, 'groups', i] }));
    case 'different-nodes':
      return (['high', 'intermediate', 'low'] as const).flatMap((level) =>
        dep[level].map((name, i) => ({ name, path: [...dep.at, level, i] })),
      );
  }
}
