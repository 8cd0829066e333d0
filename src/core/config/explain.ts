// What a cluster definition means, in words: the administrator reads this before trusting it.

import { formatDuration } from './duration.js';
import type { ClusterConfig, NetworkDef, NodeDef, ResourceDef, ResourceGroupDef } from './model.js';
import { ACQUIRE_ORDER } from './model.js';
import { formatCidr } from '../net/ip.js';

export interface DetectionTimes {
  /** Per network: how long an interface may be silent before it is declared down. */
  readonly networks: readonly { readonly network: string; readonly ms: number }[];
  /** Per node: how long until the node is declared down once all its paths are silent. */
  readonly nodes: readonly { readonly node: string; readonly ms: number }[];
}

export function detectionMs(n: NetworkDef): number {
  return n.heartbeat.intervalMs * n.heartbeat.sensitivity;
}

/**
 * A node is down only when every network path to it is down, so its detection time is the
 * slowest of its networks' detection times.
 */
export function detectionTimes(config: ClusterConfig): DetectionTimes {
  const byName = new Map(config.networks.map((n) => [n.name, n]));
  return {
    networks: config.networks.map((n) => ({ network: n.name, ms: detectionMs(n) })),
    nodes: config.nodes.map((node) => ({
      node: node.name,
      ms: Math.max(
        0,
        ...node.interfaces.map((i) => {
          const n = byName.get(i.network);
          return n ? detectionMs(n) : 0;
        }),
      ),
    })),
  };
}

function startupText(g: ResourceGroupDef): string {
  const home = g.nodes[0] ?? '?';
  switch (g.startup) {
    case 'home-node':
      return `comes online on ${home}, its home node, and only there: while ${home} is down at cluster start, the group stays offline`;
    case 'first-available':
      return `comes online on the first node of ${g.nodes.join(', ')} that is up`;
    case 'all-available':
      return `comes online on every node of ${g.nodes.join(', ')} that is up (concurrent)`;
    case 'distribution':
      return `comes online on a node of ${g.nodes.join(', ')} that holds no other group yet`;
  }
}

function falloverText(g: ResourceGroupDef): string {
  switch (g.fallover) {
    case 'next-priority':
      return g.nodes.length > 1
        ? `moves to the next node in ${g.nodes.join(' > ')} that is up`
        : 'cannot move: it has a single node, so it stays offline until that node returns';
    case 'dynamic-priority':
      return `moves to the surviving node with ${
        {
          'most-free-memory': 'the most free memory',
          'most-idle-cpu': 'the most idle CPU',
          'least-busy-disk': 'the least busy disk',
          script: 'the highest score from its priority script',
          undefined: 'the best dynamic priority',
        }[String(g.dynamicPriority?.policy)]
      }`;
    case 'offline':
      return 'goes offline on that node; the other nodes keep it online (no move)';
  }
}

function fallbackText(g: ResourceGroupDef): string {
  if (g.fallback === 'never') return 'stays where it is (no fallback)';
  const t = g.fallbackTimer;
  if (!t) return 'moves back to it at once';
  const when = {
    daily: `every day at ${t.at}`,
    weekly: `every ${t.weekday ?? '?'} at ${t.at}`,
    monthly: `on day ${t.day ?? '?'} of each month at ${t.at}`,
    yearly: `on ${t.day ?? '?'}/${t.month ?? '?'} each year at ${t.at}`,
    once: `on ${t.date ?? '?'} at ${t.at}`,
  }[t.recurrence];
  return `moves back to it in the next fallback window (${when})`;
}

function resourceText(r: ResourceDef): string {
  switch (r.kind) {
    case 'serviceIp':
      return `service IP ${r.name} (${r.address} on ${r.network})`;
    case 'volumeGroup':
      return `volume group ${r.name} (${r.vg})`;
    case 'filesystem':
      return `file system ${r.name} (${r.device} on ${r.mountpoint})`;
    case 'application':
      return `application ${r.name}${r.monitors.length ? ` (${r.monitors.length} monitor${r.monitors.length > 1 ? 's' : ''})` : ''}`;
    case 'ocf':
      return `OCF resource ${r.name} (${r.provider}:${r.type})`;
    case 'systemd':
      return `systemd unit ${r.name} (${r.unit})`;
  }
}

/** Resources of a group in the order they are acquired (release is the reverse). */
export function acquireOrder(
  g: ResourceGroupDef,
  resources: readonly ResourceDef[],
): ResourceDef[] {
  const byName = new Map(resources.map((r) => [r.name, r]));
  const mine = g.resources.flatMap((n) => byName.get(n) ?? []);
  return ACQUIRE_ORDER.flatMap((kind) => mine.filter((r) => r.kind === kind));
}

function nodeLine(node: NodeDef): string {
  const ifs = node.interfaces
    .map((i) => `${i.device}${i.address ? ` ${formatCidr(i.address)}` : ''} on ${i.network}`)
    .join('; ');
  return `${node.name} (id ${node.id}${node.votes !== 1 ? `, ${node.votes} votes` : ''}): ${ifs}`;
}

function quorumText(config: ClusterConfig): string {
  const total = config.nodes.reduce((sum, n) => sum + n.votes, 0);
  const majority = Math.floor(total / 2) + 1;
  const tb = config.quorum.tieBreaker;
  const tie =
    total % 2 !== 0
      ? ''
      : tb.type === 'none'
        ? ` Exactly half (${total / 2}) is not enough: there is no tie-breaker.`
        : tb.type === 'disk'
          ? ` Exactly half (${total / 2}) is enough for the half whose leader holds the lease on ${tb.network}'s disk.`
          : ` Exactly half (${total / 2}) is enough for the half the quorum server at ${tb.address} grants.`;
  const action =
    config.quorum.noQuorumAction === 'release'
      ? 'releases its exclusive groups'
      : 'freezes its exclusive groups (leaves them running, unmanaged)';
  return `${total} votes in all: a partition needs ${majority} to acquire resources.${tie} A partition without quorum ${action}.`;
}

/** The explanation, as lines of text. */
export function explainConfig(config: ClusterConfig): string[] {
  const out: string[] = [];
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  out.push(
    `Cluster ${config.cluster.name} (id ${config.cluster.id}): ${plural(config.nodes.length, 'node')}, ${plural(config.networks.length, 'network')}, ${plural(config.resourceGroups.length, 'resource group')}.`,
    '',
    'Nodes',
    ...config.nodes.map((n) => `  ${nodeLine(n)}`),
    '',
    'Failure detection',
  );
  for (const n of config.networks) {
    const kind = n.type === 'ether' ? `IP network, IPAT by ${n.ipat ?? 'alias'}` : 'disk heartbeat';
    out.push(
      `  ${n.name} (${kind}): a heartbeat every ${formatDuration(n.heartbeat.intervalMs)}; an interface is down after ${n.heartbeat.sensitivity} missed, ${formatDuration(detectionMs(n))} of silence.`,
    );
  }
  const times = detectionTimes(config);
  const slowest = Math.max(0, ...times.nodes.map((t) => t.ms));
  out.push(
    `  A node is declared down when all its paths are silent: within ${formatDuration(slowest)} of its failure, at these settings.`,
    '',
    'Quorum',
    `  ${quorumText(config)}`,
    '',
    'Resource groups',
  );
  if (config.resourceGroups.length === 0) out.push('  (none)');
  for (const g of config.resourceGroups) {
    const legacy = g.legacyPolicy && g.legacyPolicy !== 'custom' ? `${g.legacyPolicy}: ` : '';
    out.push(
      `  ${g.name} on ${g.nodes.join(' > ')} (${legacy}startup ${g.startup}, fallover ${g.fallover}, fallback ${g.fallback})`,
      `    At cluster start it ${startupText(g)}.`,
      `    When its node fails it ${falloverText(g)}.`,
    );
    if (g.startup !== 'all-available') {
      out.push(`    When a node higher in its list rejoins, it ${fallbackText(g)}.`);
    }
    const order = acquireOrder(g, config.resources);
    if (order.length) {
      out.push(
        `    Acquires, in order: ${order.map(resourceText).join(', ')}; releases in reverse.`,
      );
    }
  }
  const deps = config.dependencies;
  if (deps.length) {
    out.push('', 'Dependencies');
    for (const dep of deps) {
      switch (dep.type) {
        case 'parent-child':
          out.push(
            `  ${dep.child} needs ${dep.parent} online first; it is released before ${dep.parent}.`,
          );
          break;
        case 'start-after':
          out.push(`  ${dep.group} starts after ${dep.after}.`);
          break;
        case 'stop-after':
          out.push(`  ${dep.group} stops after ${dep.after}.`);
          break;
        case 'same-node':
          out.push(`  ${dep.groups.join(', ')} are always online on the same node.`);
          break;
        case 'different-nodes': {
          const all = [...dep.high, ...dep.intermediate, ...dep.low];
          out.push(
            `  ${all.join(', ')} are never online on the same node${dep.low.length ? `; ${dep.low.join(', ')} ${dep.low.length === 1 ? 'yields' : 'yield'} first` : ''}.`,
          );
          break;
        }
      }
    }
  }
  if (config.userEvents.length) {
    out.push('', 'User-defined events');
    for (const u of config.userEvents) {
      out.push(
        `  ${u.name}: when ${u.resourceVariable} satisfies ${u.predicate}${u.rearm ? ` (again only after ${u.rearm})` : ''}.`,
      );
    }
  }
  return out;
}
