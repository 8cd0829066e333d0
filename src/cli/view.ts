// What the read views (status, rg, events) share: asking the agent, printing its reply as JSON
// or as text, and tables that fit an 80-column terminal.

import { AgentUnreachableError, callAgent } from './control-client.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

/** The width the views are laid out for: a terminal's default, and what mail and tickets keep. */
export const WIDTH = 80;

/** A missing value in a table cell or a list. */
export const NONE = '-';

/**
 * Aligned columns, two spaces apart. The last column wraps at `width` on ", " and spaces, its
 * continuation lines starting under it, unless it starts so far right that wrapping would
 * leave it a sliver (then the line is left long: a long line beats an unreadable one).
 */
export function table(
  rows: readonly (readonly string[])[],
  options: { readonly indent?: string; readonly width?: number } = {},
): string[] {
  return tableRows(rows, options).flat();
}

/** The table's lines, row by row (a row with a wrapped last cell has several). */
export function tableRows(
  rows: readonly (readonly string[])[],
  options: { readonly indent?: string; readonly width?: number } = {},
): string[][] {
  const indent = options.indent ?? '';
  const width = options.width ?? WIDTH;
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) =>
    Math.max(...rows.map((r) => (c < r.length - 1 ? (r[c] ?? '').length : 0))),
  );
  const out: string[][] = [];
  for (const r of rows) {
    const head = r
      .slice(0, -1)
      .map((cell, c) => cell.padEnd(widths[c] ?? 0) + '  ')
      .join('');
    const lead = indent + head;
    const last = r[r.length - 1] ?? '';
    const room = width - lead.length;
    const pieces = room >= 20 ? wrap(last, room) : [last];
    out.push([
      (lead + (pieces[0] ?? '')).trimEnd(),
      ...pieces.slice(1).map((p) => ' '.repeat(lead.length) + p),
    ]);
  }
  return out;
}

/** Splits text into lines of at most `room` characters, after ", " or at spaces. */
export function wrap(text: string, room: number): string[] {
  if (text.length <= room) return [text];
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line !== '' && line.length + 1 + w.length > room) {
      lines.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** "a, b, c", or "-" for none. */
export const list = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : NONE);

/** One line per key: "label:  value", the values aligned, each wrapped under itself. */
export function fields(
  pairs: readonly (readonly [string, string])[],
  indent = '',
  width = WIDTH,
): string[] {
  return table(
    pairs.map(([k, v]) => [`${k}:`, v]),
    { indent, width },
  );
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The local date of a wall time: "2025-03-14". */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}

/** The local time of day of a wall time: "09:58:03". */
export function timeOfDay(ms: number): string {
  const d = new Date(ms);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A wall time as the operator reads it: the time of day, with the date unless it is today. */
export function clock(ms: number, nowMs: number): string {
  const day = localDay(ms);
  return day === localDay(nowMs) ? timeOfDay(ms) : `${day} ${timeOfDay(ms)}`;
}

/**
 * Asks the agent for a view. Prints why it failed and resolves to undefined when it cannot be
 * had; the caller then exits 1.
 */
export async function fetchView<T>(
  socket: string,
  method: string,
  io: Output,
): Promise<T | undefined> {
  try {
    return (await callAgent(socket, method)) as T;
  } catch (e) {
    io.err(`haven: ${e instanceof AgentUnreachableError ? e.message : String(e)}`);
    return undefined;
  }
}

/** Prints a view: the reply as is with --json, else its rendering. */
export function printView<T>(
  reply: T,
  json: boolean | undefined,
  render: (r: T) => readonly string[],
  io: Output,
): number {
  io.out(json === true ? JSON.stringify(reply, null, 2) : render(reply).join('\n'));
  return EXIT.ok;
}
