// Topology: each kind of network gets the interfaces it can use, and every network and node
// is connected enough to heartbeat.

import type { Finding } from '../diagnostic.js';
import { formatPath } from '../diagnostic.js';
import type { ClusterConfig, InterfaceDef } from '../model.js';
import { formatCidr } from '../../net/ip.js';
import { listWords, lookup } from './lookup.js';

export function checkTopology(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);

  for (const n of config.nodes) {
    const byDevice = new Map<string, InterfaceDef>();
    const diskhbSeen = new Map<string, InterfaceDef>();
    for (const i of n.interfaces) {
      const first = byDevice.get(i.device);
      if (first) {
        out.push({
          severity: 'error',
          code: 'duplicate-device',
          path: [...i.at, 'device'],
          message: `${n.name} uses device ${i.device} twice: it is already the interface on ${first.network} at ${formatPath(first.at)}`,
          expected: 'one interface per device on a node',
          hint: 'an adapter is on one network, and a disk heartbeat area serves one diskhb network',
        });
      } else {
        byDevice.set(i.device, i);
      }

      const net = look.networks.get(i.network);
      if (!net) continue; // reported by references
      if (net.type === 'ether') {
        if (!i.address) {
          out.push({
            severity: 'error',
            code: 'ether-interface-no-address',
            path: [...i.at, 'address'],
            message: `interface ${i.device} of ${n.name} is on the IP network ${net.name} but has no boot address`,
            expected: 'address: the boot address with its prefix length, e.g. 10.0.1.1/24',
            hint: 'Haven binds its heartbeats to the boot address',
          });
        }
        if (i.slot !== undefined) {
          out.push({
            severity: 'error',
            code: 'ether-interface-slot',
            path: [...i.at, 'slot'],
            message: `interface ${i.device} of ${n.name} is on the IP network ${net.name} but has a disk heartbeat slot`,
            expected: 'slot only on interfaces of diskhb networks',
            hint: 'remove slot, or check that network names the right network',
          });
        }
      } else {
        if (i.address) {
          out.push({
            severity: 'error',
            code: 'diskhb-interface-address',
            path: [...i.at, 'address'],
            message: `interface ${i.device} of ${n.name} is on the disk heartbeat network ${net.name} but has the address ${formatCidr(i.address)}`,
            expected: 'no address on a diskhb interface: its device is a shared disk or file',
            hint: 'remove address, or check that network names the right network',
          });
        }
        const other = diskhbSeen.get(i.network);
        if (other) {
          out.push({
            severity: 'error',
            code: 'diskhb-multiple-interfaces',
            path: [...i.at, 'network'],
            message: `${n.name} has two interfaces on the disk heartbeat network ${net.name}; the first is at ${formatPath(other.at)}`,
            expected:
              'one interface per node on each diskhb network: a node has one slot on the disk',
            hint: 'remove one, or define a second diskhb network for a second disk',
          });
        } else {
          diskhbSeen.set(i.network, i);
        }
      }
    }

    const ipNetworks = n.interfaces.filter((i) => look.networks.get(i.network)?.type === 'ether');
    if (ipNetworks.length === 0 && n.interfaces.some((i) => look.networks.has(i.network))) {
      out.push({
        severity: 'error',
        code: 'node-no-ip-network',
        path: [...n.at, 'interfaces'],
        message: `${n.name} has no interface on an IP (ether) network`,
        expected: 'at least one interface on an ether network',
        hint: 'cluster protocol messages travel over IP; a disk heartbeat only says the node is alive',
      });
    }
  }

  // Slots of one diskhb network: two nodes writing one slot overwrite each other's heartbeats.
  for (const net of config.networks) {
    if (net.type !== 'diskhb' || look.networks.get(net.name) !== net) continue;
    const bySlot = new Map<number, InterfaceDef>();
    for (const i of look.interfaces) {
      if (i.network !== net.name || i.slot === undefined) continue;
      const first = bySlot.get(i.slot);
      if (first && first.node !== i.node) {
        out.push({
          severity: 'error',
          code: 'duplicate-diskhb-slot',
          path: [...i.at, 'slot'],
          message: `${i.node} and ${first.node} both use slot ${i.slot} on the disk heartbeat network ${net.name} (${first.node} at ${formatPath(first.at)})`,
          expected: 'a slot per node, unique on the network (by default the node id)',
          hint: 'set slot: so that each node has its own',
        });
      } else if (!first) {
        bySlot.set(i.slot, i);
      }
    }
  }

  // A network heartbeats between nodes: with interfaces on fewer than two it carries nothing.
  for (const net of config.networks) {
    if (look.networks.get(net.name) !== net) continue;
    const nodes = [
      ...new Set(look.interfaces.filter((i) => i.network === net.name).map((i) => i.node)),
    ];
    if (nodes.length < 2 && config.nodes.length >= 2) {
      out.push({
        severity: 'error',
        code: 'network-single-node',
        path: [...net.at, 'name'],
        message:
          nodes.length === 0
            ? `network ${net.name} has no interfaces`
            : `network ${net.name} has interfaces on ${nodes[0] ?? ''} only, so it cannot carry heartbeats`,
        expected: 'interfaces on at least two nodes',
        hint: 'add an interface on this network to another node, or remove the network',
      });
    }
  }

  out.push(...checkFamilies(config), ...checkConnected(config));
  return out;
}

/**
 * Heartbeats between two nodes on a network need an address family both have there: a node
 * with IPv4 boot addresses only and one with IPv6 only cannot hear each other.
 */
function checkFamilies(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);
  for (const net of look.networks.values()) {
    if (net.type !== 'ether') continue;
    const families = new Map<string, { set: Set<4 | 6>; first: InterfaceDef }>();
    for (const i of look.interfaces) {
      if (i.network !== net.name || !i.address) continue;
      const entry = families.get(i.node);
      if (entry) entry.set.add(i.address.address.family);
      else families.set(i.node, { set: new Set([i.address.address.family]), first: i });
    }
    const nodes = [...families.entries()];
    nodes.forEach(([node, { set, first }], j) => {
      const stranger = nodes
        .slice(0, j)
        .find(([, other]) => ![...set].some((f) => other.set.has(f)));
      if (!stranger) return;
      const word = (s: Set<4 | 6>): string => [...s].map((f) => `IPv${f}`).join(' and ');
      out.push({
        severity: 'error',
        code: 'network-family-mismatch',
        path: [...first.at, 'address'],
        message: `on ${net.name}, ${node} has ${word(set)} boot addresses only and ${stranger[0]} ${word(stranger[1].set)} only: they cannot heartbeat to each other`,
        expected: `a boot address of ${node} on ${net.name} in a family ${stranger[0]} has`,
      });
    });
  }
  return out;
}

/**
 * Every node must reach every other over IP networks, possibly through other nodes (group
 * services relay messages): nodes in two islands would each form a cluster of their own.
 */
function checkConnected(config: ClusterConfig): Finding[] {
  const look = lookup(config);
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r) ?? r;
    parent.set(x, r);
    return r;
  };
  const nodes = [...look.nodes.keys()];
  for (const n of nodes) parent.set(n, n);
  for (const net of look.networks.values()) {
    if (net.type !== 'ether') continue;
    const on = [
      ...new Set(
        look.interfaces.filter((i) => i.network === net.name && i.address).map((i) => i.node),
      ),
    ];
    const [first, ...rest] = on;
    if (first === undefined) continue;
    for (const n of rest) parent.set(find(n), find(first));
  }
  const islands = new Map<string, string[]>();
  for (const n of nodes) {
    // Nodes without an IP network are reported as node-no-ip-network.
    if (
      !look.interfaces.some((i) => i.node === n && look.networks.get(i.network)?.type === 'ether')
    )
      continue;
    const root = find(n);
    islands.set(root, [...(islands.get(root) ?? []), n]);
  }
  if (islands.size <= 1) return [];
  const groups = [...islands.values()];
  const main = groups[0] ?? [];
  return groups.slice(1).map((island) => {
    const node = look.nodes.get(island[0] ?? '');
    return {
      severity: 'error' as const,
      code: 'nodes-not-connected',
      path: node ? [...node.at, 'interfaces'] : ['nodes'],
      message: `${listWords(island)} share no IP network with ${listWords(main)}: the cluster would split in two`,
      expected: 'every node connected to every other through IP networks',
      hint: 'put an interface of these nodes on a network the others are on',
    };
  });
}
