// `haven topology status`: the state of topology services on this node, as the reference's
// `lssrc -ls topsvcs` shows it: per network, the nodes defined and in the group, the timing,
// per peer interface the last heartbeat and the missed beats, and dropped packets by reason.

import { formatDuration } from '../core/config/duration.js';
import type { DropCounters } from '../core/heartbeat/counters.js';
import type { TopologySnapshot } from '../core/topology/snapshot.js';
import type { LoopDelay } from '../agent/heartbeat/messages.js';
import { AgentUnreachableError, callAgent } from './control-client.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

/** What the agent's topology.status answers (JSON: bigints arrive as strings). */
export interface TopologyStatusReply {
  readonly cluster: string;
  readonly node: string;
  readonly networks: readonly {
    readonly name: string;
    readonly type: 'ether' | 'diskhb';
    readonly intervalMs: number;
    readonly sensitivity: number;
    readonly nodes: readonly string[];
  }[];
  readonly heartbeat: {
    readonly incarnation: string;
    readonly sent: number;
    readonly received: number;
    readonly drops: DropCounters;
    readonly topology: TopologySnapshot;
    readonly interfaces: readonly {
      readonly name: string;
      readonly address: string;
      readonly open: boolean;
    }[];
    readonly disks: readonly {
      readonly network: string;
      readonly stats: {
        readonly writes: number;
        readonly reads: number;
        readonly lastWriteMs?: number | null;
      };
    }[];
  };
  readonly loopDelay: { readonly heartbeat: LoopDelay; readonly main: LoopDelay };
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

export function renderTopologyStatus(s: TopologyStatusReply): string[] {
  const snap = s.heartbeat.topology;
  const ago = (t: number | null): string =>
    t === null ? 'never' : `${formatDuration(Math.max(0, Math.round(snap.atMs - t)))} ago`;
  const out = [
    `Cluster ${s.cluster}, node ${s.node} (incarnation ${s.heartbeat.incarnation})`,
    `Heartbeats sent ${s.heartbeat.sent}, received ${s.heartbeat.received}`,
  ];
  for (const net of s.networks) {
    const inGroup = [
      s.node,
      ...snap.nodes
        .filter((n) => n.networks.some((x) => x.network === net.name && x.state === 'up'))
        .map((n) => n.node),
    ];
    out.push(
      '',
      `Network ${net.name} (${net.type}): interval ${formatDuration(net.intervalMs)}, sensitivity ${net.sensitivity}, detection ${formatDuration(net.intervalMs * net.sensitivity)}`,
      `  nodes defined: ${net.nodes.length} (${net.nodes.join(', ')}); in group: ${inGroup.length} (${inGroup.join(', ')})`,
    );
    const rows: string[][] = [['  PEER INTERFACE', 'NODE', 'STATE', 'LAST HEARTBEAT', 'MISSED']];
    for (const n of snap.nodes) {
      for (const x of n.networks.filter((y) => y.network === net.name)) {
        for (const i of x.interfaces) {
          rows.push([`  ${i.iface}`, n.node, i.state, ago(i.lastHeardMs), String(i.missedBeats)]);
        }
      }
    }
    if (rows.length > 1) out.push(...table(rows));
  }
  out.push('', 'Nodes');
  for (const n of snap.nodes) out.push(`  ${n.node}: ${n.state} since ${ago(n.changedAtMs)}`);
  out.push('', 'Local interfaces');
  for (const i of s.heartbeat.interfaces)
    out.push(`  ${i.name} ${i.address}: ${i.open ? 'open' : 'CLOSED'}`);
  for (const d of s.heartbeat.disks) {
    out.push(`  disk heartbeat on ${d.network}: ${d.stats.writes} writes, ${d.stats.reads} reads`);
  }
  const drops = Object.entries(s.heartbeat.drops).filter(([, n]) => n > 0);
  out.push(
    '',
    `Dropped packets: ${drops.length ? drops.map(([r, n]) => `${r} ${n}`).join(', ') : 'none'}`,
    `Event-loop delay, ms (p50 / p99 / max): heartbeat thread ${fmt(s.loopDelay.heartbeat)}; main thread ${fmt(s.loopDelay.main)}`,
  );
  return out;
}

const fmt = (d: LoopDelay): string => `${d.p50} / ${d.p99} / ${d.max}`;

export async function topologyStatusCommand(
  opts: { json?: boolean; socket: string },
  io: Output,
): Promise<number> {
  let reply: TopologyStatusReply;
  try {
    reply = (await callAgent(opts.socket, 'topology.status')) as TopologyStatusReply;
  } catch (e) {
    io.err(`haven: ${e instanceof AgentUnreachableError ? e.message : String(e)}`);
    return EXIT.errors;
  }
  io.out(
    opts.json === true ? JSON.stringify(reply, null, 2) : renderTopologyStatus(reply).join('\n'),
  );
  return EXIT.ok;
}
