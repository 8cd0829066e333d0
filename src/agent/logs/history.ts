// The daily history (the reference's cluster.mmddyyyy): one line per event start and per event
// end, in a file per UTC day named cluster.YYYYMMDD (year first, so `ls` sorts by date), the
// last N days kept. The answer to "which events ran last Tuesday?" without reading the trace.
//
//   2026-11-22T10:15:03.123Z node1 EVENT START: node_down node2 graceful id=4.12
//   2026-11-22T10:15:05.000Z node1 EVENT COMPLETED: node_down node2 graceful 0 id=4.12 took_ms=1877
//
// The file of a line is chosen by the line's own time, so a line written at 00:00:00.100 goes to
// the new day's file even if the previous line went to yesterday's a moment before.

import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf } from '../../core/errors.js';
import { formatField, isoTime, oneLine } from './cluster-log.js';
import type { TraceEventEnd, TraceEventStart } from './event-trace.js';
import { LogFileError, RotatingFile, type RotatingFileOptions } from './rotating-file.js';

/** Default number of daily files kept (today's included). */
export const DEFAULT_HISTORY_DAYS = 7;
/** One day's file is bounded too (a flapping cluster must not fill the disk). */
const DAY_MAX_BYTES = 16 * 1024 * 1024;
const DAY_FILE = /^cluster\.(\d{8})(?:\.\d+)?$/;

/** cluster.YYYYMMDD for the UTC day of `wallMs`. */
export function historyFileName(wallMs: number): string {
  return `cluster.${isoTime(wallMs).slice(0, 10).replaceAll('-', '')}`;
}

/** The history line of an event start or end (no newline). Pure. */
export function formatHistoryLine(
  record: TraceEventStart | TraceEventEnd,
  node: string,
  wallMs: number,
): string {
  const what = oneLine([record.name, record.eventNode, ...(record.args ?? [])].join(' '));
  let body: string;
  if (record.type === 'event-start') {
    body = `EVENT START: ${what} ${formatField('id', record.eventId)}`;
  } else {
    const [word, status] =
      record.outcome === 'completed'
        ? ['COMPLETED', ' 0']
        : record.outcome === 'error'
          ? ['FAILED', ' 1']
          : ['ABANDONED', ''];
    body =
      `EVENT ${word}: ${what}${status} ${formatField('id', record.eventId)} ` +
      formatField('took_ms', Math.round(record.durationMs));
    if (record.reason !== undefined) body += ` ${formatField('reason', record.reason)}`;
  }
  return `${isoTime(wallMs)} ${oneLine(node)} ${oneLine(body)}`;
}

export interface HistoryOptions {
  /** Daily files kept, today's included. Default 7. */
  readonly days?: number | undefined;
  /** Wall clock, ms since the epoch. Default Date.now. */
  readonly clock?: (() => number) | undefined;
  readonly onError?: ((error: LogFileError) => void) | undefined;
  /** Passed to each day's RotatingFile (maxQueuedBytes...). */
  readonly file?: RotatingFileOptions | undefined;
}

export class History {
  readonly dir: string;
  readonly #node: string;
  readonly #days: number;
  readonly #clock: () => number;
  readonly #onError: (error: LogFileError) => void;
  readonly #fileOptions: RotatingFileOptions;
  #current: { readonly name: string; readonly file: RotatingFile } | undefined;
  /** Files being closed and old days being removed, awaited by flush() and close(). */
  #pending = new Set<Promise<void>>();
  #closed = false;

  constructor(dir: string, node: string, options: HistoryOptions = {}) {
    this.dir = dir;
    this.#node = node;
    const days = options.days ?? DEFAULT_HISTORY_DAYS;
    this.#days = Number.isFinite(days) ? Math.max(1, Math.floor(days)) : DEFAULT_HISTORY_DAYS;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError ?? (() => undefined);
    this.#fileOptions = options.file ?? {};
  }

  /** Records an event's start or end. Never blocks, never throws. */
  write(record: TraceEventStart | TraceEventEnd): void {
    if (this.#closed) return;
    const now = this.#clock();
    this.#fileFor(now).write(formatHistoryLine(record, this.#node, now));
  }

  #fileFor(wallMs: number): RotatingFile {
    const name = historyFileName(wallMs);
    if (this.#current?.name === name) return this.#current.file;
    const previous = this.#current;
    const file = new RotatingFile(join(this.dir, name), {
      maxBytes: DAY_MAX_BYTES,
      keep: 1,
      ...this.#fileOptions,
      onError: this.#onError,
    });
    this.#current = { name, file };
    if (previous !== undefined) this.#track(previous.file.close());
    this.#track(this.prune(wallMs));
    return file;
  }

  #track(p: Promise<void>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /**
   * Removes the daily files older than the kept days, counted back from the day of `wallMs`.
   * Files dated later than that day are kept (the clock may have been stepped back).
   */
  async prune(wallMs: number = this.#clock()): Promise<void> {
    const oldestKept = historyFileName(wallMs - (this.#days - 1) * 86_400_000).slice(
      'cluster.'.length,
    );
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') this.#onError(new LogFileError(this.dir, 'prune', error));
      return;
    }
    for (const name of names) {
      const day = DAY_FILE.exec(name)?.[1];
      if (day === undefined || day >= oldestKept) continue;
      try {
        await unlink(join(this.dir, name));
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') {
          this.#onError(new LogFileError(join(this.dir, name), 'prune', error));
        }
      }
    }
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#pending, this.#current?.file.flush()]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#pending, this.#current?.file.close()]);
  }
}
