// The agent's log files, opened together (docs/logs.md describes them for administrators):
//
//   <dir>/cluster.log              state changes, one line each (cluster-log.ts)
//   <dir>/events.log               the event trace: every command and its output (event-trace.ts)
//   <dir>/history/cluster.YYYYMMDD one line per event start and end, one file per day (history.ts)
//
// Opening never fails and never blocks: files and directories are created by the writers as
// they first write, and a directory that cannot be written is reported through onError (once
// per kind of failure) while the agent goes on.

import { join } from 'node:path';
import { ClusterLog, type ClusterLogLevel } from './cluster-log.js';
import { EventTrace, type TraceRecord } from './event-trace.js';
import { DEFAULT_HISTORY_DAYS, History } from './history.js';
import {
  DEFAULT_KEEP,
  DEFAULT_MAX_BYTES,
  type LogFileError,
  RotatingFile,
} from './rotating-file.js';

export {
  ClusterLog,
  formatClusterLine,
  formatStdoutLine,
  isJournalStream,
  stdoutIsJournal,
  syslogPrefix,
  withSyslogPrefix,
  SYSLOG_PRIORITY,
  type ClusterLogLevel,
  type ClusterLogRecord,
} from './cluster-log.js';
export {
  EventTrace,
  formatTrace,
  type TraceBarrier,
  type TraceCommand,
  type TraceCommandStart,
  type TraceError,
  type TraceEventEnd,
  type TraceEventStart,
  type TraceRecord,
  type TraceResourceOp,
  type TraceResume,
  type TraceTooLong,
} from './event-trace.js';
export { follow, type FollowOptions } from './follow.js';
export { formatHistoryLine, History, historyFileName } from './history.js';
export {
  DEFAULT_KEEP,
  DEFAULT_MAX_BYTES,
  LogFileError,
  RotatingFile,
  type RotatingFileOptions,
} from './rotating-file.js';

/** The files' names in the log directory. */
export const CLUSTER_LOG_FILE = 'cluster.log';
export const EVENT_TRACE_FILE = 'events.log';
export const HISTORY_DIR = 'history';
/** Where the packaged agent keeps them. */
export const DEFAULT_LOG_DIR = '/var/log/haven';

export interface AgentLogsOptions {
  /** Size bound of cluster.log and events.log, each. Default 10 MiB. */
  readonly maxBytes?: number | undefined;
  /** Rotated files kept of each (cluster.log.1 ...). Default 5. */
  readonly keep?: number | undefined;
  /** Daily history files kept. Default 7. */
  readonly historyDays?: number | undefined;
  /** Bound of each file's write queue in bytes. Default 4 MiB. */
  readonly maxQueuedBytes?: number | undefined;
  /** Wall clock, ms since the epoch. Default Date.now. */
  readonly clock?: (() => number) | undefined;
  /** Shown in cluster.log lines. Default process.pid. */
  readonly pid?: number | undefined;
  /** Cluster log records below this level are not written. Default info. */
  readonly minLevel?: ClusterLogLevel | undefined;
  /** Also gets every cluster.log record as a stdout line (JSON, journal prefix if journald). */
  readonly mirror?: ((line: string) => void) | undefined;
  /** A file could not be written (once per file and kind of failure). */
  readonly onError?: ((error: LogFileError) => void) | undefined;
}

export class AgentLogs {
  readonly dir: string;
  readonly clusterLog: ClusterLog;
  readonly trace: EventTrace;
  readonly history: History;

  private constructor(dir: string, node: string, o: AgentLogsOptions) {
    this.dir = dir;
    const file = {
      maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
      keep: o.keep ?? DEFAULT_KEEP,
      maxQueuedBytes: o.maxQueuedBytes,
      onError: o.onError,
    };
    this.clusterLog = new ClusterLog(new RotatingFile(join(dir, CLUSTER_LOG_FILE), file), {
      node,
      pid: o.pid ?? process.pid,
      clock: o.clock,
      mirror: o.mirror,
      minLevel: o.minLevel,
    });
    this.trace = new EventTrace(new RotatingFile(join(dir, EVENT_TRACE_FILE), file), {
      clock: o.clock,
    });
    this.history = new History(join(dir, HISTORY_DIR), node, {
      days: o.historyDays ?? DEFAULT_HISTORY_DAYS,
      clock: o.clock,
      onError: o.onError,
      file: { maxQueuedBytes: o.maxQueuedBytes },
    });
  }

  /** Opens (lazily creates) the log files of node `node` in `dir`. Never throws. */
  static open(dir: string, node: string, options: AgentLogsOptions = {}): AgentLogs {
    return new AgentLogs(dir, node, options);
  }

  /** Writes a trace record, and the history line too for an event's start and end. */
  event(record: TraceRecord): void {
    this.trace.write(record);
    if (record.type === 'event-start' || record.type === 'event-end') this.history.write(record);
  }

  /** Resolves once everything written so far is on disk (or could not be written). */
  async flush(): Promise<void> {
    await Promise.all([
      this.clusterLog.file.flush(),
      this.trace.file.flush(),
      this.history.flush(),
    ]);
  }

  /** Writes what is queued and closes every file. Later writes are dropped. */
  async close(): Promise<void> {
    await Promise.all([
      this.clusterLog.file.close(),
      this.trace.file.close(),
      this.history.close(),
    ]);
  }
}
