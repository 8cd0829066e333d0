// The event trace (the reference's hacmp.out): what this node did for each event, command by
// command, with the commands' output, for the administrator who asks "what happened at 10:15,
// and why did the takeover fail?". Written for reading top to bottom first, grep second:
//
// - every line starts with its ISO time and the event id in brackets: `grep '\[4.12\]'` gives one
//   event's whole story;
// - the first word after the bracket says what the line is: EVENT START / EVENT COMPLETED /
//   EVENT FAILED / EVENT ABANDONED, COMMAND START / COMMAND OK / COMMAND FAILED / COMMAND ENDED,
//   BARRIER, RESOURCE, ERROR, RESUMED, WARNING; indented lines continue the line above;
// - a command's output comes as `<label> stdout| text` and `<label> stderr| text`, written as a
//   block when the command ends, so parallel commands never interleave their output;
// - EVENT START and the end lines also carry the reference's date, as hacmp.out has them:
//   `Sun Nov 22 10:15:03 UTC 2026 EVENT START: node_down node2`.
//
// Formatting is pure (formatTrace takes the time of the line); EventTrace stamps and writes.

import type { AgentCommand, AgentOp } from '../../runtime/agents/agent.js';
import type { CommandRole } from '../../core/events/executor.js';
import { isoTime, oneLine } from './cluster-log.js';
import type { RotatingFile } from './rotating-file.js';

export interface TraceEventStart {
  readonly type: 'event-start';
  readonly eventId: string;
  /** This node's serial number for the event, if the caller numbers them. */
  readonly serial?: number | undefined;
  readonly name: string;
  /** The node the event is about. */
  readonly eventNode: string;
  /** The event's arguments after the node (node_down: graceful...). */
  readonly args?: readonly string[] | undefined;
  /** This node. */
  readonly self: string;
  /** The view (membership epoch) the event runs in. */
  readonly view?: string | number | undefined;
  readonly members: readonly string[];
  /** Resource groups this node gives up / takes in the event. */
  readonly releases?: readonly string[] | undefined;
  readonly acquires?: readonly string[] | undefined;
  /** Why the groups go where they go, one sentence each (the placement's explanation). */
  readonly reasons?: readonly string[] | undefined;
}

/** A command of the recovery program is starting (its end is a TraceCommand). */
export interface TraceCommandStart {
  readonly type: 'command-start';
  readonly eventId: string;
  readonly role: CommandRole;
  /** The program step, 0-based (as the executor's); shown 1-based. */
  readonly step?: number | undefined;
  /** The how-manieth run of the command (after recoveries); shown when above 1. */
  readonly attempt?: number | undefined;
  /** The command line as a person would type it. */
  readonly command: string;
}

/** A command of the recovery program ended. */
export interface TraceCommand {
  readonly type: 'command';
  readonly eventId: string;
  readonly role: CommandRole;
  readonly step?: number | undefined;
  readonly attempt?: number | undefined;
  readonly command: string;
  /** The exit status the program expects; 'any' for the reference's X. */
  readonly expected: number | 'any';
  /** null when killed by a signal or on timeout. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall clock, ms since the epoch. */
  readonly startedAtMs: number;
  readonly durationMs: number;
}

export interface TraceBarrier {
  readonly type: 'barrier';
  readonly eventId: string;
  /** 0-based, as the executor's; shown 1-based. */
  readonly index: number;
  /** The barrier at the end of the program (the reference's cbarrier). */
  readonly final: boolean;
  readonly state: 'reached' | 'completed';
  /** How long this node waited at it (completed only). */
  readonly waitedMs?: number | undefined;
}

/** One operation of a resource agent (start, stop, monitor, validate) and the commands it ran. */
export interface TraceResourceOp {
  readonly type: 'resource';
  /** The event the operation belongs to; none for a monitor outside events. */
  readonly eventId?: string | undefined;
  readonly resource: string;
  readonly op: AgentOp;
  readonly outcome: 'ok' | 'failed';
  /** What it found or why it failed (monitor: running / stopped; failure: the reason). */
  readonly detail?: string | undefined;
  readonly durationMs: number;
  readonly commands: readonly AgentCommand[];
}

export interface TraceError {
  readonly type: 'error';
  readonly eventId: string;
  readonly message: string;
  /** What the administrator can do about it. */
  readonly hint?: string | undefined;
}

export interface TraceResume {
  readonly type: 'resume';
  readonly eventId: string;
  /** Who resumed (user, host), if known. */
  readonly by?: string | undefined;
  /** The failed command skipped. */
  readonly skipped?: string | undefined;
}

export interface TraceTooLong {
  readonly type: 'too-long';
  readonly eventId: string;
  readonly elapsedMs: number;
  readonly limitMs: number;
  readonly count: number;
  /** What the event is doing (the executor's status: rp_running, barrier, error...). */
  readonly status?: string | undefined;
}

export interface TraceEventEnd {
  readonly type: 'event-end';
  readonly eventId: string;
  readonly name: string;
  readonly eventNode: string;
  readonly args?: readonly string[] | undefined;
  /** completed: ran to its end; error: ended in error; abandoned: given up (view change...). */
  readonly outcome: 'completed' | 'error' | 'abandoned';
  readonly durationMs: number;
  /** Commands run on this node, if counted. */
  readonly commands?: number | undefined;
  readonly reason?: string | undefined;
}

export type TraceRecord =
  | TraceEventStart
  | TraceCommandStart
  | TraceCommand
  | TraceBarrier
  | TraceResourceOp
  | TraceError
  | TraceResume
  | TraceTooLong
  | TraceEventEnd;

export interface TraceFormatOptions {
  /** Output lines kept per stream of one command; the middle is left out. Default 100. */
  readonly maxOutputLines?: number | undefined;
  /** Characters kept per output line. Default 2000. */
  readonly maxLineChars?: number | undefined;
}

interface Limits {
  readonly maxOutputLines: number;
  readonly maxLineChars: number;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The reference's date(1) style, in UTC: `Sun Nov 22 10:15:03 UTC 2026`. */
export function referenceDate(wallMs: number): string {
  const d = new Date(wallMs);
  if (Number.isNaN(d.getTime())) return '??? ??? ?? ??:??:?? UTC ????';
  return (
    `${DAYS[d.getUTCDay()] ?? '???'} ${MONTHS[d.getUTCMonth()] ?? '???'} ${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  );
}

/** The time of day of an ISO time, to the millisecond: `10:15:03.123Z`. */
function timeOfDay(wallMs: number): string {
  return isoTime(wallMs).slice(11);
}

/** 250 ms, 1.204 s, 2 min 5.0 s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(3)} s`;
  // In tenths of a second first, so that 119.96 s reads 2 min, not 1 min 60.0 s.
  const tenths = Math.round(ms / 100);
  const min = Math.floor(tenths / 600);
  const rest = (tenths - min * 600) / 10;
  return rest === 0 ? `${min} min` : `${min} min ${rest.toFixed(1)} s`;
}

function commandLabel(r: {
  readonly role: CommandRole;
  readonly step?: number | undefined;
  readonly attempt?: number | undefined;
}): string {
  const step = r.step === undefined ? undefined : `step ${r.step + 1}`;
  let label: string;
  switch (r.role) {
    case 'step':
      label = step ?? 'step';
      break;
    case 'recovery':
      label = step === undefined ? 'recovery' : `recovery of ${step}`;
      break;
    case 'pre':
      label = 'pre-event';
      break;
    case 'post':
      label = 'post-event';
      break;
    case 'notify':
      label = 'notify';
      break;
  }
  // A customisation of one script of the program (node_up_complete) wraps that step only.
  if (r.role !== 'step' && r.role !== 'recovery' && step !== undefined) label += ` of ${step}`;
  return r.attempt !== undefined && r.attempt > 1 ? `${label} (attempt ${r.attempt})` : label;
}

function statusText(c: {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly durationMs: number;
}): string {
  if (c.timedOut) return `timed out after ${formatDuration(c.durationMs)} and was killed`;
  if (c.exitCode !== null) return `exit ${c.exitCode}`;
  // Neither a status nor a signal: the command has not ended (a background start that runs on).
  return c.signal === null ? 'still running (in the background)' : `killed by ${c.signal}`;
}

function outputLines(
  label: string,
  stream: 'stdout' | 'stderr',
  text: string,
  o: Limits,
): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const shown = (l: string): string => {
    const cut = l.length > o.maxLineChars ? `${l.slice(0, o.maxLineChars)} [cut]` : l;
    return `  ${label} ${stream}| ${oneLine(cut)}`;
  };
  if (lines.length <= o.maxOutputLines) return lines.map(shown);
  // The end of the output says most about a failure; keep a little of the start for context.
  const head = Math.floor(o.maxOutputLines / 5);
  const tail = o.maxOutputLines - head;
  return [
    ...lines.slice(0, head).map(shown),
    `  ${label} ${stream}| ... ${lines.length - head - tail} lines left out ...`,
    ...lines.slice(lines.length - tail).map(shown),
  ];
}

/** The lines of one ended command: its output, then its verdict. */
function commandEndLines(
  label: string,
  command: string,
  c: Pick<
    TraceCommand,
    'exitCode' | 'signal' | 'timedOut' | 'stdout' | 'stderr' | 'startedAtMs' | 'durationMs'
  >,
  expected: number | 'any' | undefined,
  o: Limits,
): string[] {
  let verdict: string;
  let status = statusText(c);
  if (expected === undefined) {
    verdict = c.exitCode === 0 && !c.timedOut ? 'OK' : 'ENDED';
  } else if (expected === 'any') {
    verdict = 'OK';
    if (c.exitCode !== 0 || c.timedOut) status += ', status ignored (X)';
  } else {
    const ok = c.exitCode === expected && !c.timedOut;
    verdict = ok ? 'OK' : 'FAILED';
    if (!ok) status += `, expected ${expected}`;
  }
  const ran = `${timeOfDay(c.startedAtMs)} to ${timeOfDay(c.startedAtMs + c.durationMs)}, ${formatDuration(c.durationMs)}`;
  return [
    ...outputLines(label, 'stdout', c.stdout, o),
    ...outputLines(label, 'stderr', c.stderr, o),
    `COMMAND ${verdict} ${label}: ${status} (ran ${ran}): ${oneLine(command)}`,
  ];
}

const list = (xs: readonly string[] | undefined): string =>
  xs === undefined || xs.length === 0 ? '-' : xs.map(oneLine).join(', ');

const title = (name: string, node: string, args: readonly string[] | undefined): string =>
  oneLine([name, node, ...(args ?? [])].join(' '));

/** The bodies of a record's lines, without time and event id. */
function bodies(r: TraceRecord, wallMs: number, o: Limits): string[] {
  switch (r.type) {
    case 'event-start': {
      const id = [
        `event ${oneLine(r.eventId)}`,
        ...(r.serial === undefined ? [] : [`serial ${r.serial}`]),
        `on ${oneLine(r.self)}`,
      ].join(', ');
      return [
        `${referenceDate(wallMs)} EVENT START: ${title(r.name, r.eventNode, r.args)}`,
        `  ${id}`,
        `  view ${r.view === undefined ? '-' : oneLine(String(r.view))}: ${r.members.length === 0 ? '-' : r.members.map(oneLine).join(' ')}`,
        `  releases: ${list(r.releases)}`,
        `  acquires: ${list(r.acquires)}`,
        ...(r.reasons ?? []).map((why) => `  reason: ${oneLine(why)}`),
      ];
    }
    case 'command-start':
      return [`COMMAND START ${commandLabel(r)}: ${oneLine(r.command)}`];
    case 'command':
      return commandEndLines(commandLabel(r), r.command, r, r.expected, o);
    case 'barrier': {
      const name = `BARRIER ${r.index + 1}${r.final ? ' (end of program)' : ''}`;
      if (r.state === 'reached') return [`${name} REACHED: waiting for the other nodes`];
      return [
        `${name} COMPLETED on every node${r.waitedMs === undefined ? '' : ` after ${formatDuration(r.waitedMs)}`}`,
      ];
    }
    case 'resource': {
      const op = `${oneLine(r.resource)} ${r.op}`;
      const several = r.commands.length > 1;
      const lines = r.commands.flatMap((c, i) =>
        commandEndLines(several ? `${op} #${i + 1}` : op, c.command, c, undefined, o).map(
          (l) => `  ${l}`,
        ),
      );
      const detail = r.detail === undefined ? '' : `: ${oneLine(r.detail)}`;
      return [
        `RESOURCE ${r.outcome === 'ok' ? 'OK' : 'FAILED'} ${op} in ${formatDuration(r.durationMs)}${detail}`,
        ...lines,
      ];
    }
    case 'error':
      return [
        `ERROR: ${oneLine(r.message)}`,
        ...(r.hint === undefined ? [] : [`  what to do: ${oneLine(r.hint)}`]),
      ];
    case 'resume':
      return [
        `RESUMED${r.by === undefined ? '' : ` by ${oneLine(r.by)}`}` +
          (r.skipped === undefined ? '' : `: skipping the failed ${oneLine(r.skipped)}`),
      ];
    case 'too-long':
      return [
        `WARNING config_too_long: the event has been running for ${formatDuration(r.elapsedMs)} ` +
          `(limit ${formatDuration(r.limitMs)}, warning ${r.count})` +
          (r.status === undefined ? '' : `, status ${oneLine(r.status)}`),
      ];
    case 'event-end': {
      const [word, status] =
        r.outcome === 'completed'
          ? ['COMPLETED', ' 0']
          : r.outcome === 'error'
            ? ['FAILED', ' 1']
            : ['ABANDONED', ''];
      const counted = r.commands === undefined ? '' : `, ${r.commands} commands`;
      return [
        `${referenceDate(wallMs)} EVENT ${word}: ${title(r.name, r.eventNode, r.args)}${status}`,
        `  took ${formatDuration(r.durationMs)}${counted}`,
        ...(r.reason === undefined ? [] : [`  reason: ${oneLine(r.reason)}`]),
      ];
    }
  }
}

/** The trace lines of a record written at `wallMs` (no newlines). Pure. */
export function formatTrace(
  record: TraceRecord,
  wallMs: number,
  options: TraceFormatOptions = {},
): string[] {
  const o: Limits = {
    maxOutputLines: Math.max(2, options.maxOutputLines ?? 100),
    maxLineChars: Math.max(1, options.maxLineChars ?? 2000),
  };
  const prefix = `${isoTime(wallMs)} [${record.eventId === undefined ? '-' : oneLine(record.eventId)}] `;
  return bodies(record, wallMs, o).map((b) => prefix + b);
}

export interface EventTraceOptions extends TraceFormatOptions {
  /** Wall clock, ms since the epoch. Default Date.now. */
  readonly clock?: (() => number) | undefined;
}

/** Writes trace records to a file (the agent's events.log). */
export class EventTrace {
  readonly #file: RotatingFile;
  readonly #clock: () => number;
  readonly #format: TraceFormatOptions;

  constructor(file: RotatingFile, options: EventTraceOptions = {}) {
    this.#file = file;
    this.#clock = options.clock ?? Date.now;
    this.#format = {
      maxOutputLines: options.maxOutputLines,
      maxLineChars: options.maxLineChars,
    };
  }

  get file(): RotatingFile {
    return this.#file;
  }

  write(record: TraceRecord): void {
    for (const line of formatTrace(record, this.#clock(), this.#format)) this.#file.write(line);
  }
}
