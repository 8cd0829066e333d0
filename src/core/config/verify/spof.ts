// Single points of failure (warnings): a cluster that verifies can still be one broken cable
// away from an outage or a split. The reference: "one must also design in no single point of
// failure", and "a minimum of two adapters per physical network should exist to distinguish
// between network and network adapter failures".

import type { Finding } from '../diagnostic.js';
import type { ClusterConfig } from '../model.js';
import { replacementWithoutStandby } from './ipat.js';
import { listWords, lookup, plural } from './lookup.js';

// A Linux bond or team is several adapters behind one interface: the kernel survives the
// failure of one port, so one such interface on a network is not an adapter SPOF.
const AGGREGATE_DEVICE = /^(bond|team)[0-9]*([.:].*)?$/;

export function checkSpof(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);
  if (config.nodes.length < 2) return out; // a one-node cluster is one SPOF; nothing to add
  const networks = [...look.networks.values()];
  const ether = networks.filter((n) => n.type === 'ether');
  const diskhb = networks.filter((n) => n.type === 'diskhb');

  const onlyEther = ether[0];
  if (ether.length === 1 && onlyEther) {
    out.push({
      severity: 'warning',
      code: 'spof-single-ip-network',
      path: onlyEther.at,
      message: `${onlyEther.name} is the only IP network: when it fails, the nodes can no longer talk to each other, and a switch failure looks like the death of every other node`,
      hint: 'add a second IP network (its own switch) between the nodes',
    });
  }

  const covered = replacementWithoutStandby(config);
  for (const node of config.nodes) {
    for (const net of ether) {
      const ifaces = look.interfacesOf(node.name, net.name);
      const only = ifaces[0];
      if (ifaces.length !== 1 || !only) continue;
      if (AGGREGATE_DEVICE.test(only.device)) continue;
      if (covered.has(`${node.name}\u0000${net.name}`)) continue; // ipat-replacement-no-standby
      out.push({
        severity: 'warning',
        code: 'spof-single-adapter',
        path: only.at,
        message: `${node.name} has a single interface (${only.device}) on ${net.name}: Haven cannot tell its failure from a failure of the network, and cannot move addresses to another adapter`,
        hint: `add a second interface of ${node.name} on ${net.name}, on another subnet, or use a bond`,
      });
    }
  }

  if (diskhb.length === 0) {
    out.push({
      severity: 'warning',
      code: 'spof-no-diskhb',
      path: ['networks'],
      message:
        config.nodes.length === 2
          ? 'there is no disk heartbeat network: if the IP networks between the two nodes break, each believes the other dead, and both take the resources'
          : 'there is no disk heartbeat network: a node whose TCP/IP stack fails looks dead to the others while it still holds its resources',
      hint: 'add a network of type diskhb on a small shared disk, with an interface on every node',
    });
  } else {
    for (const node of config.nodes) {
      const mine = node.interfaces.some((i) => look.networks.get(i.network)?.type === 'diskhb');
      if (mine) continue;
      out.push({
        severity: 'warning',
        code: 'spof-node-no-diskhb',
        path: [...node.at, 'interfaces'],
        message: `${node.name} is on no disk heartbeat network (${listWords(diskhb.map((n) => n.name))}): only its IP networks say whether it is alive`,
        hint: `add an interface of ${node.name} on a diskhb network`,
      });
    }
  }

  out.push(...checkVotes(config), ...checkTieBreaker(config));
  return out;
}

/**
 * A partition acquires resources only with more than half of the votes. With an even total,
 * a split into two exact halves leaves neither side with quorum: without a tie-breaker
 * (a later feature) every group goes offline. Whether an exact half exists is a subset sum.
 */
function checkVotes(config: ClusterConfig): Finding[] {
  const total = config.nodes.reduce((s, n) => s + n.votes, 0);
  if (total === 0) {
    return [
      {
        severity: 'error',
        code: 'quorum-no-votes',
        path: ['nodes'],
        message: 'the nodes have no votes between them, so no partition can ever have quorum',
        expected: 'at least one node with votes',
        hint: 'remove votes: 0 from the nodes (the default is 1)',
      },
    ];
  }
  if (total % 2 !== 0) return [];
  const half = total / 2;
  // 0/1 knapsack: reach[s] is the node that first made the sum s reachable (-1: not yet), so
  // following reach back from `half` names one side of the split, each node once.
  const reach = new Array<number>(half + 1).fill(-1);
  reach[0] = config.nodes.length;
  config.nodes.forEach((n, i) => {
    if (n.votes === 0) return;
    for (let s = half; s >= n.votes; s--) {
      if ((reach[s] ?? -1) < 0 && (reach[s - n.votes] ?? -1) >= 0) {
        reach[s] = i;
      }
    }
  });
  if ((reach[half] ?? -1) < 0) return [];
  const side: string[] = [];
  for (let s = half; s > 0;) {
    const i = reach[s] ?? 0;
    const n = config.nodes[i];
    if (!n) break;
    side.unshift(n.name);
    s -= n.votes;
  }
  // A tie-breaker settles exact halves: nothing to warn about.
  if (config.quorum.tieBreaker.type !== 'none') return [];
  const other = config.nodes.filter((n) => !side.includes(n.name)).map((n) => n.name);
  const hint =
    'set quorum.tieBreaker: a quorum server on a third site ({type: server, address: ADDR}), with `haven tiebreaker` running there';
  if (config.nodes.length === 2) {
    // With two nodes, a tie is not only a split: when one node fails, the survivor holds
    // exactly half of the votes, so it could never take over. Failover would not work at all.
    return [
      {
        severity: 'error',
        code: 'two-node-no-tie-breaker',
        path: ['nodes'],
        message: `${listWords(config.nodes.map((n) => n.name))} have ${plural(half, 'vote')} each and there is no tie-breaker: when one fails, the survivor holds exactly half of the ${total} votes, has no quorum, and cannot take over its groups`,
        expected: 'a tie-breaker in quorum.tieBreaker',
        hint,
      },
    ];
  }
  return [
    {
      severity: 'warning',
      code: 'quorum-tie',
      path: ['nodes'],
      message: `the votes total ${total}: with ${side.join(', ')} on one side of a split and ${other.join(', ')} on the other, each side holds exactly half, and neither may keep the resources`,
      hint,
    },
  ];
}

/** A tie-breaker must be reachable by every node that might need it. */
function checkTieBreaker(config: ClusterConfig): Finding[] {
  const tb = config.quorum.tieBreaker;
  if (tb.type !== 'disk') return [];
  const at = [...config.quorum.at, 'tieBreaker', 'network'];
  const network = config.networks.find((n) => n.name === tb.network);
  if (!network || network.type !== 'diskhb') {
    const disks = config.networks.filter((n) => n.type === 'diskhb').map((n) => n.name);
    return [
      {
        severity: 'error',
        code: 'tie-breaker-network',
        path: at,
        message: network
          ? `the disk tie-breaker is on ${tb.network}, which is an ${network.type} network, not a disk`
          : `the disk tie-breaker names network ${tb.network}, which is not defined`,
        expected: disks.length ? `a diskhb network: ${disks.join(', ')}` : 'a diskhb network',
        hint: disks.length
          ? `name one of: ${disks.join(', ')}`
          : 'define a diskhb network shared by every node',
      },
    ];
  }
  return config.nodes
    .filter((n) => !n.interfaces.some((i) => i.network === tb.network))
    .map((n) => ({
      severity: 'error' as const,
      code: 'tie-breaker-node-not-on-disk',
      path: n.at,
      message: `node ${n.name} has no interface on ${tb.network}, the tie-breaker's disk, so it could never win a tie`,
      expected: `an interface on ${tb.network}`,
      hint: `give ${n.name} an interface on ${tb.network}, or choose another tie-breaker`,
    }));
}
