// The cluster log (the reference's cluster.log): one line per state change of the cluster as
// this node sees it (a node joined or left, a group came online, an event failed), in the
// syslog-like shape administrators grep:
//
//   2026-11-22T10:15:03.123Z node1 haven[4711]: NOTICE group web online on node1 from=acquiring
//
// On standard output the agent writes JSON lines (log.ts). Under systemd, whose journal reads
// the syslog priority from a `<N>` prefix (SyslogLevelPrefix=yes, the default), each stdout line
// gets that prefix so that `journalctl -p warning` selects by level; elsewhere the line is the
// same JSON as ever.

import { fstatSync } from 'node:fs';
import { toJson } from '../control/messages.js';
import type { RotatingFile } from './rotating-file.js';

/** Levels, least to most severe. `notice`: a normal but significant change (a node left). */
export type ClusterLogLevel = 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit';

/** syslog(3) priorities, as journald reads them from the `<N>` prefix. */
export const SYSLOG_PRIORITY: Readonly<Record<ClusterLogLevel, number>> = {
  crit: 2,
  error: 3,
  warn: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

const LABEL: Readonly<Record<ClusterLogLevel, string>> = {
  crit: 'CRIT',
  error: 'ERROR',
  warn: 'WARNING',
  notice: 'NOTICE',
  info: 'INFO',
  debug: 'DEBUG',
};

export interface ClusterLogRecord {
  readonly level: ClusterLogLevel;
  readonly msg: string;
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
  /** Wall-clock time of the record, ms since the epoch. */
  readonly wallMs: number;
}

/** Control characters (newlines included) as visible escapes: one record is one line. */
export function oneLine(text: string): string {
  // U+0085, U+2028 and U+2029 too: some editors and viewers break lines on them.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code > 0xff
      ? `\\u${code.toString(16).padStart(4, '0')}`
      : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

/** An ISO 8601 time, or a placeholder for a time that is not one (never throws). */
export function isoTime(wallMs: number): string {
  const d = new Date(wallMs);
  return Number.isNaN(d.getTime()) ? '0000-00-00T00:00:00.000Z' : d.toISOString();
}

const BARE_VALUE = /^[A-Za-z0-9_.,:/@+%-]+$/;

/** `key=value` as logfmt writes it: bare when it can be, else a JSON string. */
export function formatField(key: string, value: unknown): string {
  const k = key.replace(/[^A-Za-z0-9_.-]/g, '_') || '_';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value === undefined) text = 'undefined';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    text = String(value);
  } else if (value instanceof Error) text = value.message;
  else if (
    Array.isArray(value) &&
    value.every((v) => typeof v === 'string' || typeof v === 'number')
  ) {
    // A list of names reads best as node1,node3.
    text = value.join(',');
  } else text = toJson(value);
  return `${k}=${BARE_VALUE.test(text) ? text : JSON.stringify(text)}`;
}

export interface LineOrigin {
  /** This node's name. */
  readonly node: string;
  readonly pid: number;
}

/** The cluster.log line of a record (no newline). Pure: the time is the record's. */
export function formatClusterLine(record: ClusterLogRecord, origin: LineOrigin): string {
  const fields = Object.entries(record.fields ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${formatField(k, v)}`)
    .join('');
  return (
    `${isoTime(record.wallMs)} ${oneLine(origin.node)} haven[${origin.pid}]: ` +
    `${LABEL[record.level]} ${oneLine(record.msg)}${oneLine(fields)}`
  );
}

/** The `<N>` prefix journald reads the priority from. */
export function syslogPrefix(level: ClusterLogLevel): string {
  return `<${SYSLOG_PRIORITY[level]}>`;
}

/**
 * Whether standard output is the journal: systemd sets JOURNAL_STREAM to the `device:inode` of
 * the stream it connected. Comparing them (as sd_journal_stream_fd(3) advises) keeps the prefix
 * off when the agent's output was redirected elsewhere by something that inherited the variable.
 * `stat` is the fstat of standard output, or undefined when it cannot be read.
 */
export function isJournalStream(
  journalStream: string | undefined,
  stat: { readonly dev: bigint; readonly ino: bigint } | undefined,
): boolean {
  if (journalStream === undefined || journalStream === '') return false;
  const m = /^(\d+):(\d+)$/.exec(journalStream.trim());
  if (m === null) return false;
  // Set, but stdout cannot be checked: trust the variable, as journald-aware programs do.
  if (stat === undefined) return true;
  return BigInt(m[1] ?? '0') === stat.dev && BigInt(m[2] ?? '0') === stat.ino;
}

/** isJournalStream for this process's standard output. */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  let stat: { dev: bigint; ino: bigint } | undefined;
  try {
    stat = fstatSync(1, { bigint: true });
  } catch {
    stat = undefined;
  }
  return isJournalStream(env.JOURNAL_STREAM, stat);
}

/**
 * The stdout line of a record (with its newline): the same JSON as log.ts's Logger
 * (`{"time","level","msg",...fields}`), with the `<N>` priority prefix when `journal` is true.
 */
export function formatStdoutLine(
  record: ClusterLogRecord,
  journal: boolean,
  bound: Readonly<Record<string, unknown>> = {},
): string {
  const json = toJson({
    time: isoTime(record.wallMs),
    level: record.level,
    msg: record.msg,
    ...bound,
    ...record.fields,
  });
  return `${journal ? syslogPrefix(record.level) : ''}${json}\n`;
}

const LOGGER_LEVEL = /^\{"time":"[^"]*","level":"(debug|info|notice|warn|error|crit)"/;

/**
 * Wraps the write function of log.ts's Logger so that, when `journal` is true, each JSON line
 * gets the journal's priority prefix (read from its `level`, which the Logger always writes
 * second). Lets the agent keep its Logger as it is: `new Logger(withSyslogPrefix(write, j))`.
 */
export function withSyslogPrefix(
  write: (line: string) => void,
  journal: boolean,
): (line: string) => void {
  if (!journal) return write;
  return (line) => {
    const level = LOGGER_LEVEL.exec(line)?.[1] as ClusterLogLevel | undefined;
    write(`${syslogPrefix(level ?? 'info')}${line}`);
  };
}

export interface ClusterLogOptions extends LineOrigin {
  /** Wall clock, ms since the epoch. Default Date.now. */
  readonly clock?: (() => number) | undefined;
  /** Also gets each record's stdout line (formatStdoutLine), e.g. process.stdout.write. */
  readonly mirror?: ((line: string) => void) | undefined;
  /** Whether mirrored lines get the journal prefix. Default: stdoutIsJournal(). */
  readonly journal?: boolean | undefined;
  /** Records below this level are not written. Default info. */
  readonly minLevel?: ClusterLogLevel | undefined;
}

const RANK: Readonly<Record<ClusterLogLevel, number>> = {
  debug: 0,
  info: 1,
  notice: 2,
  warn: 3,
  error: 4,
  crit: 5,
};

export class ClusterLog {
  readonly #file: RotatingFile;
  readonly #origin: LineOrigin;
  readonly #clock: () => number;
  readonly #mirror: ((line: string) => void) | undefined;
  readonly #journal: boolean;
  readonly #min: number;

  constructor(file: RotatingFile, options: ClusterLogOptions) {
    this.#file = file;
    this.#origin = { node: options.node, pid: options.pid };
    this.#clock = options.clock ?? Date.now;
    this.#mirror = options.mirror;
    this.#journal = options.journal ?? (options.mirror === undefined ? false : stdoutIsJournal());
    this.#min = RANK[options.minLevel ?? 'info'];
  }

  get file(): RotatingFile {
    return this.#file;
  }

  log(level: ClusterLogLevel, msg: string, fields?: Readonly<Record<string, unknown>>): void {
    if (RANK[level] < this.#min) return;
    const record: ClusterLogRecord = { level, msg, fields, wallMs: this.#clock() };
    this.#file.write(formatClusterLine(record, this.#origin));
    if (this.#mirror !== undefined) {
      try {
        this.#mirror(formatStdoutLine(record, this.#journal, { node: this.#origin.node }));
      } catch {
        // stdout closed (EPIPE): the file still has the line.
      }
    }
  }

  /**
   * One state change: `<subject> <to>` with `from=<from>`, at `notice` unless said otherwise,
   * e.g. change('group web', 'offline', 'online', { node: 'node1' }).
   */
  change(
    subject: string,
    from: string | undefined,
    to: string,
    fields: Readonly<Record<string, unknown>> = {},
    level: ClusterLogLevel = 'notice',
  ): void {
    this.log(level, `${subject} ${to}`, { ...(from === undefined ? {} : { from }), ...fields });
  }

  debug(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('info', msg, fields);
  }
  notice(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('notice', msg, fields);
  }
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('error', msg, fields);
  }
  crit(msg: string, fields?: Readonly<Record<string, unknown>>): void {
    this.log('crit', msg, fields);
  }
}
