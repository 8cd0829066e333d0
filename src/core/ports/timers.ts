// Timers as a seam, so the simulator can fire them in virtual time.
import { InvalidArgumentError } from '../errors.js';

/** Opaque: only the `Timers` that issued a handle can make sense of it. */
export type TimerHandle = number & { readonly __brand: 'TimerHandle' };

export interface Timers {
  /**
   * Calls `callback` once, `delayMs` from now (see `checkDelayMs` for the accepted values).
   * Timers due at the same instant fire in the order they were armed.
   */
  setTimer(delayMs: number, callback: () => void): TimerHandle;

  /**
   * Stops a pending timer. Idempotent, and a no-op once the timer has fired: a state
   * machine can cancel whatever it holds without tracking whether it already fired.
   */
  cancel(handle: TimerHandle): void;
}

/**
 * The delay every `Timers` implementation actually uses, so real and virtual timers agree.
 * A negative delay (a deadline already past) fires as soon as possible; NaN and Infinity
 * are bugs in the caller and throw.
 */
export function checkDelayMs(delayMs: number): number {
  if (!Number.isFinite(delayMs)) {
    throw new InvalidArgumentError('delayMs', delayMs, 'a finite number of milliseconds');
  }
  return Math.max(0, delayMs);
}
