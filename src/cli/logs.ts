// `haven logs`: the last lines of the agent's log files on this node, and with -f every line
// as it is written, across rotations (docs/logs.md describes the files):
//
//   cluster   <dir>/cluster.log               state changes, one line each
//   events    <dir>/events.log                the event trace: every command and its output
//   history   <dir>/history/cluster.YYYYMMDD  one line per event start and end (latest day)

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf } from '../core/errors.js';
import {
  CLUSTER_LOG_FILE,
  DEFAULT_LOG_DIR,
  EVENT_TRACE_FILE,
  follow,
  HISTORY_DIR,
} from '../agent/logs/index.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';

export const LOG_KINDS = ['cluster', 'events', 'history'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

/** Lines shown when -n is not given, as tail does. */
export const DEFAULT_LOG_LINES = 10;

export { DEFAULT_LOG_DIR };

export interface LogsOptions {
  readonly follow?: boolean | undefined;
  readonly lines: number;
  readonly logDir: string;
  /** Ends following (Ctrl-C in the command; the test's abort). */
  readonly signal?: AbortSignal | undefined;
  /** How often a followed file is checked, in ms (follow's default when undefined). */
  readonly pollMs?: number | undefined;
}

/** The history files' names: cluster.YYYYMMDD (history.ts names them). */
const HISTORY_FILE = /^cluster\.\d{8}$/;

class LogNotFound extends Error {}

const WHERE = (dir: string): string =>
  `the agent writes its logs in ${DEFAULT_LOG_DIR} (files appear as it first writes them); if this node's are elsewhere, give --log-dir DIR` +
  (dir === DEFAULT_LOG_DIR ? '' : ` (now ${dir})`);

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return false;
    throw e;
  }
}

/** The file to show, or LogNotFound saying why there is none and where to look. */
export async function logPath(kind: LogKind, dir: string): Promise<string> {
  if (!(await isDirectory(dir))) {
    throw new LogNotFound(`no log directory ${dir}: ${WHERE(dir)}`);
  }
  if (kind === 'history') {
    const hdir = join(dir, HISTORY_DIR);
    let names: string[] = [];
    try {
      names = await readdir(hdir);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT' && errnoOf(e) !== 'ENOTDIR') throw e;
    }
    // YYYYMMDD sorts as text in date order: the last is the latest day.
    const latest = names
      .filter((n) => HISTORY_FILE.test(n))
      .sort()
      .at(-1);
    if (latest === undefined) {
      throw new LogNotFound(
        `no event history in ${hdir} (files cluster.YYYYMMDD): no event has run yet on this node, or ${WHERE(dir)}`,
      );
    }
    return join(hdir, latest);
  }
  const path = join(dir, kind === 'cluster' ? CLUSTER_LOG_FILE : EVENT_TRACE_FILE);
  try {
    await stat(path);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e;
    throw new LogNotFound(
      `no ${kind === 'cluster' ? 'cluster log' : 'event trace'} at ${path}: ${WHERE(dir)}`,
    );
  }
  return path;
}

export async function logsCommand(kind: LogKind, opts: LogsOptions, io: Output): Promise<number> {
  let path: string;
  try {
    path = await logPath(kind, opts.logDir);
    for await (const line of follow(path, {
      lines: opts.lines,
      once: opts.follow !== true,
      signal: opts.signal,
      pollMs: opts.pollMs,
    })) {
      io.out(line);
    }
  } catch (e) {
    if (e instanceof LogNotFound) io.err(`haven: ${e.message}`);
    else if (errnoOf(e) === 'EACCES') {
      io.err(
        `haven: permission denied reading the ${kind} log: the agent's logs are root's; run the command as root (sudo)`,
      );
    } else
      io.err(`haven: cannot read the ${kind} log: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.errors;
  }
  return EXIT.ok;
}
