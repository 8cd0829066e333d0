// Event-loop delay of the current thread: how late timers and I/O callbacks run. A rising
// figure means something blocks the thread; status shows it so an operator can see it.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LoopDelay } from './heartbeat/messages.js';

const RESOLUTION_MS = 10;

export function startLoopDelayMonitor(): { read(): LoopDelay; stop(): void } {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  // The histogram samples the time between ticks of a RESOLUTION_MS timer, so an idle loop
  // reads RESOLUTION_MS: what exceeds it is the delay.
  const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);
  return {
    read: () => ({ p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) }),
    stop: () => {
      h.disable();
    },
  };
}
