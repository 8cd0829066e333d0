// When config_too_long is raised for an event that runs longer than its time limit. The limit is
// a warning threshold, not a kill: the event goes on, and the warnings go on until it ends.
//
// The first warning comes at the limit, then each time the run time doubles (2×, 4×, 8× the
// limit...) while the gap between warnings is below max(limit, CONFIG_TOO_LONG_MAX_INTERVAL_MS);
// from then on once per that gap. An operator sees a few warnings early, then a steady reminder
// that never goes silent and never floods the log.

/** The longest gap between two config_too_long warnings, unless the limit itself is longer. */
export const CONFIG_TOO_LONG_MAX_INTERVAL_MS = 60 * 60 * 1000;

/** A time or a limit in whole ms, at least 1; `fallback` for anything else (NaN, 0, negative). */
export function positiveMs(n: number | undefined, fallback: number): number {
  return n !== undefined && Number.isFinite(n) && n >= 1 ? Math.floor(n) : fallback;
}

/**
 * The first warning time (elapsed since the event started) after `elapsedMs`, given the warning
 * that was due at `dueMs`. A late caller gets one warning and the schedule moves past it.
 */
export function nextTooLongMs(dueMs: number, limitMs: number, elapsedMs: number): number {
  const cap = Math.max(positiveMs(limitMs, 1), CONFIG_TOO_LONG_MAX_INTERVAL_MS);
  let next = positiveMs(dueMs, 1);
  // Doubling: at most ~log2(cap) rounds.
  while (next <= elapsedMs && next < cap) next += next;
  // Linear: one jump, however late the caller is.
  if (next <= elapsedMs) next += cap * (Math.floor((elapsedMs - next) / cap) + 1);
  return next;
}

/** The elapsed times of the first `count` warnings for a time limit, e.g. for the docs. */
export function configTooLongSchedule(limitMs: number, count: number): number[] {
  const out: number[] = [];
  let t = positiveMs(limitMs, 1);
  for (let i = 0; i < count; i++) {
    out.push(t);
    t = nextTooLongMs(t, limitMs, t);
  }
  return out;
}
