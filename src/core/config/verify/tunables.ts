// Cluster-wide timing besides heartbeats.
// - eventTimeLimit (and each event's timeLimit) at least 10s: below that, config_too_long
//   would fire during ordinary events (an fsck, a database start) and page people for nothing.
// - settlingTime at most 1h: while it runs, a first-available group stays offline waiting for
//   a higher-priority node; an hour offline is an outage, not a settling time.

import type { Finding } from '../diagnostic.js';
import { formatDuration } from '../duration.js';
import type { ClusterConfig } from '../model.js';

export const MIN_EVENT_TIME_LIMIT_MS = 10_000;
export const MAX_SETTLING_TIME_MS = 3_600_000;

export function checkTunables(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const t = config.tunables;
  if (t.eventTimeLimitMs < MIN_EVENT_TIME_LIMIT_MS) {
    out.push({
      severity: 'error',
      code: 'event-time-limit-short',
      path: ['tunables', 'eventTimeLimit'],
      message: `eventTimeLimit is ${formatDuration(t.eventTimeLimitMs)}: ordinary events would raise config_too_long`,
      expected: `${formatDuration(MIN_EVENT_TIME_LIMIT_MS)} or more (the default is 6m)`,
    });
  }
  for (const e of config.events) {
    if (e.timeLimitMs !== undefined && e.timeLimitMs < MIN_EVENT_TIME_LIMIT_MS) {
      out.push({
        severity: 'error',
        code: 'event-time-limit-short',
        path: [...e.at, 'timeLimit'],
        message: `the time limit of ${e.event} is ${formatDuration(e.timeLimitMs)}: it would raise config_too_long while working normally`,
        expected: `${formatDuration(MIN_EVENT_TIME_LIMIT_MS)} or more`,
      });
    }
  }
  if (t.settlingTimeMs > MAX_SETTLING_TIME_MS) {
    out.push({
      severity: 'error',
      code: 'settling-time-long',
      path: ['tunables', 'settlingTime'],
      message: `settlingTime is ${formatDuration(t.settlingTimeMs)}: a first-available group would stay offline that long at cluster start, waiting for a higher-priority node`,
      expected: `${formatDuration(MAX_SETTLING_TIME_MS)} or less`,
    });
  }
  return out;
}
