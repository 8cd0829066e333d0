// `haven status`: the cluster as this node's agent sees it, as the reference's clstat shows it:
// the cluster manager's state, the view and quorum, each node with its networks, where each
// resource group is online, and the events in error that wait for `haven resume`.

import type { ClusterStatusReply, GroupStateName, GroupView } from '../agent/control/api.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';
import { fetchView, fields, list, printView, table, wrap, WIDTH } from './view.js';

/** The order states are listed in a summary: where it runs first, then what is in motion. */
const SUMMARY_ORDER: readonly GroupStateName[] = [
  'online',
  'acquiring',
  'releasing',
  'error',
  'temporary error',
  'unmanaged',
];

/** A state as a summary says it: errors in capitals, so that they stand out without colour. */
const shout = (s: GroupStateName): string =>
  s === 'error' || s === 'temporary error' ? s.toUpperCase() : s;

/**
 * Where a group is, in a few words: "online on node2", "online on node1, node2" (concurrent),
 * "ERROR on node1", "releasing on node1; acquiring on node2", or "offline". A node where its
 * state is unknown (this node has not heard, say, from a node that is down) is named only when
 * nothing else is known: "offline (unknown on node3)".
 */
export function groupSummary(g: GroupView): string {
  const parts: string[] = [];
  for (const state of SUMMARY_ORDER) {
    const on = g.nodes.filter((n) => g.states[n] === state);
    if (on.length) parts.push(`${shout(state)} on ${on.join(', ')}`);
  }
  if (parts.length) return parts.join('; ');
  const unknown = g.nodes.filter((n) => (g.states[n] ?? 'unknown') === 'unknown');
  return unknown.length ? `offline (unknown on ${unknown.join(', ')})` : 'offline';
}

/**
 * What else an operator should know about a group in the cluster table: its priority
 * override, and where the plan puts it when that is not where it is (an event is queued).
 */
export function groupNote(g: GroupView): string {
  const notes: string[] = [];
  if (g.override !== null) notes.push(`override: ${g.override}`);
  const busy = new Set<GroupStateName>(['online', 'acquiring', 'error', 'temporary error']);
  const there = g.nodes.filter((n) => busy.has(g.states[n] ?? 'unknown'));
  const planned = [...g.placedOn];
  const same = planned.length === there.length && planned.every((n) => there.includes(n));
  if (!same) notes.push(`planned: ${planned.length ? planned.join(', ') : 'offline'}`);
  return notes.join('; ');
}

function quorumLine(s: ClusterStatusReply): string {
  const q = s.cm.quorum;
  const view = s.cm.view;
  if (q === null || view === null) return 'unknown (no view yet)';
  const count = `${view.members.length} of ${s.nodes.length} nodes`;
  if (q === 'tie')
    return s.cm.hasQuorum
      ? `tie (${count}): half, with the tie-breaker's grant`
      : `tie (${count}): half, NO QUORUM without the tie-breaker`;
  return `${q} (${count})`;
}

function cmLine(s: ClusterStatusReply): string {
  const st = s.cm.state;
  const state = st === 'error' ? 'ERROR' : st;
  if (st === 'stopped') return `stopped: cluster services are not running here (haven start)`;
  return s.cm.stopping ? `${state}, stopping` : state;
}

function nodeState(n: ClusterStatusReply['nodes'][number]): string {
  return n.state === 'stopped' && n.stopMode !== null ? `stopped (${n.stopMode})` : n.state;
}

function networksCell(n: ClusterStatusReply['nodes'][number]): string {
  if (n.networks.length === 0) return '-';
  return n.networks
    .map((net) => {
      // A network up with an interface down has lost its redundancy: say which.
      const downIfs = net.interfaces.filter((i) => i.state === 'down').map((i) => i.name);
      const partial = net.state === 'up' && downIfs.length ? ` (${downIfs.join(', ')} down)` : '';
      return `${net.network} ${net.state}${partial}`;
    })
    .join(', ');
}

export function renderClusterStatus(s: ClusterStatusReply): string[] {
  const view = s.cm.view;
  const out = fields([
    ['Cluster', `${s.cluster}, as seen from ${s.node}`],
    ['Cluster manager', cmLine(s)],
    ['View', view === null ? 'none yet' : `${view.epoch}: ${list(view.members)}`],
    ['Quorum', quorumLine(s)],
  ]);

  out.push(
    '',
    ...table([
      ['NODE', 'STATE', 'NETWORKS'],
      ...s.nodes.map((n) => [n.name, nodeState(n), networksCell(n)]),
    ]),
  );

  out.push('');
  if (s.groups.length === 0) out.push('No resource groups are configured.');
  else {
    const notes = s.groups.map(groupNote);
    const withNotes = notes.some((n) => n !== '');
    const header = withNotes ? ['GROUP', 'STATE', 'NOTE'] : ['GROUP', 'STATE'];
    const rows = s.groups.map((g, i) =>
      withNotes ? [g.group, groupSummary(g), notes[i] ?? ''] : [g.group, groupSummary(g)],
    );
    out.push(...table([header, ...rows]));
  }

  if (s.errors.length) {
    out.push('', 'Events in error:');
    for (const e of s.errors) {
      const groups = e.groups.length ? ` (${e.groups.join(', ')})` : '';
      out.push(...table([[`  ${e.node}:`, `${e.event}${groups}: ${e.message}`]]));
    }
    const nodes = [...new Set(s.errors.map((e) => e.node))];
    out.push(
      ...wrap(
        `Fix the cause (haven logs events shows the failed step), then run \`haven resume\` on ${nodes.join(', ')}.`,
        WIDTH,
      ),
    );
  }
  return out;
}

export async function clusterStatusCommand(
  opts: { json?: boolean; socket: string },
  io: Output,
): Promise<number> {
  const reply = await fetchView<ClusterStatusReply>(opts.socket, 'cluster.status', io);
  if (reply === undefined) return EXIT.errors;
  return printView(reply, opts.json, renderClusterStatus, io);
}
