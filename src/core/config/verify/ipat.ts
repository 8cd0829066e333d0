// IP address takeover, as the reference describes it.
//
// - By aliasing (the default): the service address is added to a boot interface next to its
//   boot address. "All IP addresses/labels must be on different subnets": a service address
//   on a boot subnet would make the kernel route that subnet through whichever interface
//   holds the alias.
// - By replacement: the service address replaces the boot address of an interface, so it
//   must be on that interface's subnet; "the service IP label and boot IP label must be on
//   the same subnet". After an adapter failure it moves to another interface of the node
//   (the standby adapter), so a node with one interface can only survive by fallover.
// - A persistent label is always an alias, so it follows the aliasing rule.
// - Whatever the method, two boot interfaces of one node on one subnet make the route to
//   that subnet ambiguous: heartbeats and the service address could leave by either.

import type { Finding } from '../diagnostic.js';
import { formatPath } from '../diagnostic.js';
import type { ClusterConfig, InterfaceDef, ServiceIpResource } from '../model.js';
import type { Cidr } from '../../net/ip.js';
import { formatCidr, sameSubnet, subnetText, subnetsOverlap } from '../../net/ip.js';
import type { Lookup } from './lookup.js';
import { listWords, lookup } from './lookup.js';

const familyName = (f: 4 | 6): string => (f === 4 ? 'IPv4' : 'IPv6');

/** Boot interfaces on a network (those with an address), in file order. */
function bootsOn(look: Lookup, network: string): (InterfaceDef & { address: Cidr })[] {
  return look.interfaces.filter(
    (i): i is InterfaceDef & { address: Cidr } => i.network === network && i.address !== undefined,
  );
}

/** The nodes that may hold a service IP: those of the groups that hold it, each once. */
function holderNodes(
  look: Lookup,
  s: ServiceIpResource,
): { node: string; path: (string | number)[] }[] {
  const seen = new Set<string>();
  const out: { node: string; path: (string | number)[] }[] = [];
  for (const g of look.groupsHolding(s.name)) {
    g.nodes.forEach((node, i) => {
      if (seen.has(node) || !look.nodes.has(node)) return;
      seen.add(node);
      out.push({ node, path: [...g.at, 'nodes', i] });
    });
  }
  return out;
}

/**
 * The (node, network) pairs where a node has a single interface on a replacement network
 * that carries one of its service addresses: ipat-replacement-no-standby, which spof.ts
 * does not report again as a plain adapter SPOF.
 */
export function replacementWithoutStandby(config: ClusterConfig): Map<string, InterfaceDef> {
  const look = lookup(config);
  const out = new Map<string, InterfaceDef>();
  for (const s of config.resources) {
    if (s.kind !== 'serviceIp') continue;
    const net = look.networks.get(s.network);
    if (net?.ipat !== 'replacement') continue;
    for (const { node } of holderNodes(look, s)) {
      const ifaces = look.interfacesOf(node, net.name);
      const only = ifaces[0];
      if (ifaces.length === 1 && only) out.set(`${node}\u0000${net.name}`, only);
    }
  }
  return out;
}

export function checkIpat(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);

  for (const s of config.resources) {
    if (s.kind === 'serviceIp') out.push(...checkServiceIp(look, s));
  }

  for (const [, iface] of replacementWithoutStandby(config)) {
    out.push({
      severity: 'warning',
      code: 'ipat-replacement-no-standby',
      path: iface.at,
      message: `${iface.node} has one interface on ${iface.network}, which uses IPAT by replacement: when ${iface.device} fails, the service address has no standby interface to move to, and its group must leave ${iface.node}`,
      hint: `add a second interface of ${iface.node} on ${iface.network} (a standby adapter, on another subnet)`,
    });
  }

  // Boot subnets of one node on one network.
  for (const n of config.nodes) {
    for (const net of look.networks.values()) {
      if (net.type !== 'ether') continue;
      const boots = look.interfacesOf(n.name, net.name);
      boots.forEach((b, j) => {
        if (!b.address) return;
        const bAddr = b.address;
        const clash = boots.slice(0, j).find((a) => a.address && subnetsOverlap(a.address, bAddr));
        if (!clash?.address) return;
        out.push({
          severity: 'error',
          code: 'boot-subnet-shared',
          path: [...b.at, 'address'],
          message: `boot address ${formatCidr(bAddr)} of ${b.name} is on the subnet of ${formatCidr(clash.address)}, the boot address of ${clash.name} (${formatPath(clash.at)}): ${n.name} would have two routes to ${subnetText(clash.address)}`,
          expected: `each interface of ${n.name} on ${net.name} on a subnet of its own`,
          hint: 'give the second interface an address on another subnet (e.g. eth0 on 10.0.1.0/24, eth1 on 10.0.2.0/24 on every node)',
        });
      });
    }
  }

  for (const n of config.nodes) {
    for (const p of n.persistentLabels) {
      const net = look.networks.get(p.network);
      if (!net) continue; // reported by references
      const at = [...p.at, 'address'];
      if (net.type !== 'ether') {
        out.push({
          severity: 'error',
          code: 'persistent-label-not-ether',
          path: [...p.at, 'network'],
          message: `persistent label ${p.name} of ${n.name} is on ${net.name}, a disk heartbeat network, which carries no addresses`,
          expected: 'an ether network',
        });
        continue;
      }
      if (look.interfacesOf(n.name, net.name).length === 0) {
        out.push({
          severity: 'error',
          code: 'persistent-label-no-interface',
          path: [...p.at, 'network'],
          message: `persistent label ${p.name} is on ${net.name}, where ${n.name} has no interface to carry it`,
          expected: `a network ${n.name} has an interface on`,
        });
        continue;
      }
      const boots = bootsOn(look, net.name);
      const family = p.address.address.family;
      if (boots.length > 0 && !boots.some((b) => b.address.address.family === family)) {
        out.push({
          severity: 'error',
          code: 'persistent-label-family',
          path: at,
          message: `persistent label ${p.name} is ${familyName(family)} (${formatCidr(p.address)}), but the boot addresses on ${net.name} are ${familyName(family === 4 ? 6 : 4)} only`,
          expected: `an ${familyName(family === 4 ? 6 : 4)} address`,
        });
        continue;
      }
      const clash = boots.find((b) => subnetsOverlap(b.address, p.address));
      if (clash) {
        out.push({
          severity: 'error',
          code: 'persistent-label-subnet',
          path: at,
          message: `persistent label ${p.name} (${formatCidr(p.address)}) is on the boot subnet ${subnetText(clash.address)} of ${clash.name}`,
          expected:
            'an address on a subnet apart from every boot subnet of the network: a persistent label is an alias',
          hint: 'put persistent labels on the service subnet, or on a subnet of their own',
        });
      }
    }
  }
  return out;
}

function checkServiceIp(look: Lookup, s: ServiceIpResource): Finding[] {
  const out: Finding[] = [];
  const net = look.networks.get(s.network);
  if (!net) return out; // reported by references
  if (net.type !== 'ether') {
    return [
      {
        severity: 'error',
        code: 'service-ip-not-ether',
        path: [...s.at, 'network'],
        message: `service IP ${s.name} is on ${net.name}, a disk heartbeat network, which carries no addresses`,
        expected: 'an ether network',
      },
    ];
  }

  const holders = holderNodes(look, s);
  for (const { node, path } of holders) {
    if (look.interfacesOf(node, net.name).length === 0) {
      const group = look.groupsHolding(s.name).find((g) => g.nodes.includes(node));
      out.push({
        severity: 'error',
        code: 'service-ip-node-not-on-network',
        path,
        message: `node ${node} of group ${group?.name ?? '?'} has no interface on ${net.name}, which carries the service IP ${s.name} (${s.address})`,
        expected: `every node of the group with an interface on ${net.name}`,
        hint: `add an interface of ${node} on ${net.name}, or remove ${node} from the group`,
      });
    }
  }

  if (!s.ip) return out;
  const address = s.ip.cidr.address;
  const at = [...s.at, 'address'];
  const allBoots = bootsOn(look, net.name);
  const boots = allBoots.filter((b) => b.address.address.family === address.family);
  if (allBoots.length > 0 && boots.length === 0) {
    const other = familyName(address.family === 4 ? 6 : 4);
    out.push({
      severity: 'error',
      code: 'service-ip-family',
      path: at,
      message: `service IP ${s.name} is ${familyName(address.family)} (${s.address}), but ${net.name} has ${other} boot addresses only`,
      expected: `an ${other} address, or a network with ${familyName(address.family)} boot addresses`,
    });
    return out;
  }

  if (net.ipat === 'alias') {
    if (!s.ip.prefixGiven) {
      const prefixes = [...new Set(boots.map((b) => b.address.prefix))];
      const example = `${address.text}/${prefixes[0] ?? (address.family === 4 ? 24 : 64)}`;
      out.push({
        severity: 'error',
        code: 'ipat-alias-no-prefix',
        path: at,
        message: `service IP ${s.name} (${s.address}) has no prefix length, and ${net.name} uses IPAT by aliasing, where the service subnet is not a boot subnet`,
        expected: `the address with the prefix length of its service subnet, e.g. ${example}`,
        hint: 'only under IPAT by replacement does a service address take the prefix of its boot subnet',
      });
      return out;
    }
    const cidr = s.ip.cidr;
    const clashes = boots.filter((b) => subnetsOverlap(b.address, cidr));
    const first = clashes[0];
    if (first) {
      const more = clashes.length > 1 ? ` (and ${clashes.length - 1} more)` : '';
      out.push({
        severity: 'error',
        code: 'ipat-alias-subnet',
        path: at,
        message: `service IP ${s.name} (${formatCidr(cidr)}) is on the boot subnet ${subnetText(first.address)} of ${first.name}${more}, but ${net.name} uses IPAT by aliasing`,
        expected: 'a service address on a subnet apart from every boot subnet of the network',
        hint: 'use an address on a separate service subnet, or set ipat: replacement on the network',
      });
    }
    return out;
  }

  // Replacement: the service address takes the place of a boot address on its subnet.
  const effective: Cidr | undefined = s.ip.prefixGiven
    ? s.ip.cidr
    : boots
        .map((b) => ({ address, prefix: b.address.prefix }))
        .find((c) => boots.some((b) => sameSubnet(b.address, c)));
  if (!effective) {
    out.push({
      severity: 'error',
      code: 'ipat-replacement-subnet',
      path: at,
      message: `service IP ${s.name} (${s.address}) is on no boot subnet of ${net.name}, which uses IPAT by replacement`,
      expected: `an address on the subnet of a boot address: ${listWords([...new Set(boots.map((b) => subnetText(b.address)))])}`,
    });
    return out;
  }
  const nodes = holders.length
    ? holders.map((h) => h.node)
    : [...new Set(allBoots.map((b) => b.node))];
  for (const node of nodes) {
    const mine = boots.filter((b) => b.node === node);
    if (mine.length === 0 || mine.some((b) => sameSubnet(b.address, effective))) continue;
    out.push({
      severity: 'error',
      code: 'ipat-replacement-subnet',
      path: at,
      message: `service IP ${s.name} (${formatCidr(effective)}) is on the subnet ${subnetText(effective)}, but no interface of ${node} on ${net.name} is (${listWords(mine.map((b) => `${b.name}: ${subnetText(b.address)}`))}), and ${net.name} uses IPAT by replacement`,
      expected: `an interface of ${node} with a boot address on ${subnetText(effective)}`,
      hint: 'under replacement the service address replaces a boot address on its own subnet: give each node an interface on that subnet, or use ipat: alias',
    });
  }
  return out;
}
