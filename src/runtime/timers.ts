// Real timers on the Node event loop.
import { checkDelayMs, type TimerHandle, type Timers } from '../core/ports/timers.js';

// Node's setTimeout turns any delay above 2^31 - 1 ms (~24.8 days) into 1 ms, with only a
// warning: a long fallback timer would fire at once. Longer delays are chained in steps.
const MAX_NODE_DELAY_MS = 0x7fff_ffff;

export interface SystemTimersOptions {
  /**
   * Pending timers do not keep the process alive: for timers that must not delay a clean
   * exit (housekeeping, retries). @default false
   */
  readonly unref?: boolean;
}

export class SystemTimers implements Timers {
  readonly #unref: boolean;
  #nextId = 1;
  // Only pending timers are here: firing removes the entry, so cancel after firing is a no-op
  // and a handle can never cancel some later timer.
  readonly #pending = new Map<number, NodeJS.Timeout>();

  constructor(options: SystemTimersOptions = {}) {
    this.#unref = options.unref ?? false;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.#nextId++;
    this.#arm(id, checkDelayMs(delayMs), callback);
    return id as TimerHandle;
  }

  cancel(handle: TimerHandle): void {
    const timeout = this.#pending.get(handle);
    if (timeout === undefined) return;
    clearTimeout(timeout);
    this.#pending.delete(handle);
  }

  #arm(id: number, remainingMs: number, callback: () => void): void {
    const step = Math.min(remainingMs, MAX_NODE_DELAY_MS);
    const timeout = setTimeout(() => {
      if (remainingMs > step) {
        this.#arm(id, remainingMs - step, callback);
        return;
      }
      this.#pending.delete(id);
      callback();
    }, step);
    if (this.#unref) timeout.unref();
    this.#pending.set(id, timeout);
  }
}
