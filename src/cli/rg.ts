// `haven rg [GROUP]`: resource groups as the reference's clRGinfo shows them: per group, its
// state on each node of its list (in priority order), its policies, the operator's priority
// override, why it is where it is, and its resources.

import type { GroupStateName, GroupView, RgInfoReply } from '../agent/control/api.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';
import { groupSummary } from './status.js';
import { fetchView, fields, list, printView, table } from './view.js';

const stateCell = (s: GroupStateName | undefined): string =>
  s === undefined ? 'unknown' : s === 'error' || s === 'temporary error' ? s.toUpperCase() : s;

function policies(g: GroupView): string {
  const p = g.policies;
  const legacy = p.legacy === null ? '' : ` (${p.legacy})`;
  return `startup ${p.startup}, fallover ${p.fallover}, fallback ${p.fallback}${legacy}`;
}

/**
 * The priority override, in words that say what clears it: `haven rg online GROUP` without a
 * node lifts an override (the agent's rg_online), with a node it sets a new one.
 */
export function overrideLine(g: GroupView): string | undefined {
  if (g.override === null) return undefined;
  if (g.override === 'offline') {
    return `offline, by the operator (haven rg online ${g.group} brings it back and clears it)`;
  }
  return `${g.override} (haven rg online ${g.group} clears it)`;
}

export function renderGroup(g: GroupView): string[] {
  const out = [`Resource group ${g.group}: ${groupSummary(g)}`];
  const rows = g.nodes.map((n, i) => [String(i + 1), n, stateCell(g.states[n])]);
  out.push(...table([['PRIORITY', 'NODE', 'STATE'], ...rows], { indent: '  ' }));
  const pairs: [string, string][] = [['policies', policies(g)]];
  const o = overrideLine(g);
  if (o !== undefined) pairs.push(['priority override', o]);
  pairs.push(
    ['reason', g.reason],
    ['resources', list(g.resources.map((r) => `${r.name} (${r.kind})`))],
  );
  out.push(...fields(pairs, '  '));
  return out;
}

export function renderRgInfo(r: RgInfoReply): string[] {
  if (r.groups.length === 0) return [`Cluster ${r.cluster} has no resource groups.`];
  const out: string[] = [];
  for (const g of r.groups) {
    if (out.length) out.push('');
    out.push(...renderGroup(g));
  }
  return out;
}

export async function rgInfoCommand(
  group: string | undefined,
  opts: { json?: boolean; socket: string },
  io: Output,
): Promise<number> {
  const reply = await fetchView<RgInfoReply>(opts.socket, 'rg.info', io);
  if (reply === undefined) return EXIT.errors;
  if (group === undefined) return printView(reply, opts.json, renderRgInfo, io);
  const g = reply.groups.find((x) => x.group === group);
  if (g === undefined) {
    const known = reply.groups.map((x) => x.group);
    io.err(
      known.length
        ? `haven: no resource group named ${group} in cluster ${reply.cluster}; its groups are: ${known.join(', ')}`
        : `haven: no resource group named ${group}: cluster ${reply.cluster} has no resource groups`,
    );
    return EXIT.errors;
  }
  // The same shape as the whole reply, with this group alone.
  return printView({ ...reply, groups: [g] }, opts.json, renderRgInfo, io);
}
