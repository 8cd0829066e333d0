// The real clock.
import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/ports/clock.js';

export class SystemClock implements Clock {
  monotonicMs(): number {
    // performance.now() is CLOCK_MONOTONIC based: unaffected by NTP steps or `date -s`,
    // which matters when a stepped clock could otherwise fake a heartbeat timeout.
    return performance.now();
  }

  wallMs(): number {
    return Date.now();
  }
}
