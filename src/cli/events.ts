// `haven events`: the cluster events as this node took part in them: the one running now (what
// this node's part is doing, what it releases and acquires, its error), the queue, and the
// last N, each with its start, duration, outcome and the groups this node moved.

import type { EventsReply, EventView, PastEvent } from '../agent/control/api.js';
import { formatDuration } from '../core/config/duration.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';
import {
  clock,
  fetchView,
  fields,
  list,
  localDay,
  NONE,
  printView,
  tableRows,
  timeOfDay,
  wrap,
  WIDTH,
} from './view.js';

/** Lines of the recent list shown when -n is not given. */
export const DEFAULT_EVENTS = 10;

/**
 * The event in a few words: its name, the node it is about, then its details; an operator's
 * group event reads "rg_move node1 db to node2" (group, target and failed are the details the
 * cluster manager gives them), any other detail as key=value.
 */
export function describeEvent(e: EventView): string {
  const { group, target, failed, ...rest } = e.details;
  const words = [e.name, e.node];
  if (group !== undefined) words.push(group);
  if (target !== undefined) words.push(`to ${target}`);
  if (failed !== undefined) words.push(`(failed on ${failed})`);
  for (const [k, v] of Object.entries(rest)) words.push(`${k}=${v}`);
  return words.join(' ');
}

function groupsMoved(e: PastEvent): string {
  const parts: string[] = [];
  if (e.released.length) parts.push(`released ${e.released.join(', ')}`);
  if (e.acquired.length) parts.push(`acquired ${e.acquired.join(', ')}`);
  return parts.length ? parts.join('; ') : NONE;
}

export function renderEvents(r: EventsReply, count: number, nowMs: number): string[] {
  const out: string[] = [];
  const c = r.current;
  if (c === null) out.push(`No event is running on ${r.node}.`);
  else {
    const ago = formatDuration(Math.max(0, Math.round(nowMs - c.startedAtMs)));
    out.push(`Current event on ${r.node}: ${describeEvent(c)}`);
    const pairs: [string, string][] = [
      ['started', `${clock(c.startedAtMs, nowMs)} (${ago} ago)`],
      ['status', c.status === 'error' ? 'ERROR' : c.status],
      ['releases', list(c.releases)],
      ['acquires', list(c.acquires)],
    ];
    if (c.error !== null) pairs.push(['error', c.error]);
    out.push(...fields(pairs, '  '));
    if (c.error !== null) {
      out.push(
        ...wrap(
          'Fix the cause (haven logs events shows the failed step), then run `haven resume`.',
          WIDTH - 2,
        ).map((l) => `  ${l}`),
      );
    }
  }

  out.push('');
  if (r.queue.length === 0) out.push('Queue: empty');
  else {
    out.push(`Queue: ${r.queue.length} waiting, in the order they will run`);
    out.push(...r.queue.map((q, i) => `  ${i + 1}. ${q.name} ${q.node}`));
  }

  out.push('');
  const shown = count > 0 ? r.recent.slice(-count) : [];
  if (r.recent.length === 0) out.push('No events yet.');
  else if (shown.length === 0)
    out.push(`${r.recent.length} recent events (haven events -n N shows them).`);
  else {
    const of = shown.length < r.recent.length ? ` of ${r.recent.length}` : '';
    out.push(`Last ${shown.length}${of} events, oldest first:`);
    const rows: string[][] = [['STARTED', 'EVENT', 'TOOK', 'OUTCOME', 'GROUPS']];
    const messages = new Map<number, string>();
    // Times of day, with a line for the date whenever it changes, unless all are today's.
    const allToday = shown.every((e) => localDay(e.startedAtMs) === localDay(nowMs));
    const dayBefore = new Map<number, string>();
    let lastDay = '';
    for (const e of shown) {
      const day = localDay(e.startedAtMs);
      if (!allToday && day !== lastDay) dayBefore.set(rows.length, day);
      lastDay = day;
      rows.push([
        timeOfDay(e.startedAtMs),
        describeEvent(e),
        formatDuration(Math.max(0, Math.round(e.durationMs))),
        e.outcome === 'error' ? 'ERROR' : e.outcome,
        groupsMoved(e),
      ]);
      if (e.message !== null) messages.set(rows.length - 1, e.message);
    }
    // An event's message goes below it, indented under the event's name.
    const lines = tableRows(rows);
    const indent = ' '.repeat(Math.max(...rows.map((x) => (x[0] ?? '').length)) + 2);
    lines.forEach((rowLines, i) => {
      const day = dayBefore.get(i);
      if (day !== undefined) out.push(day === localDay(nowMs) ? `${day} (today)` : day);
      out.push(...rowLines);
      const m = messages.get(i);
      if (m !== undefined) out.push(...wrap(m, WIDTH - indent.length).map((l) => indent + l));
    });
  }
  return out;
}

export async function eventsCommand(
  opts: { json?: boolean; socket: string; lines: number },
  io: Output,
  nowMs: () => number = Date.now,
): Promise<number> {
  const reply = await fetchView<EventsReply>(opts.socket, 'events.list', io);
  if (reply === undefined) return EXIT.errors;
  return printView(reply, opts.json, (r) => renderEvents(r, opts.lines, nowMs()), io);
}
