// When a delayed fallback timer next fires. Pure: the caller gives the wall time and arms its
// own timer (placement never reads a clock).

import type { FallbackTimerDef } from '../config/model.js';

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MINUTE_MS = 60_000;
/** Eight years of days: a yearly timer on 29 February can wait that long (2096 -> 2104). */
const MAX_DAYS = 8 * 366 + 1;

/**
 * The first moment strictly after `afterMs` (ms since the epoch) at which `timer` fires, or
 * undefined when it never will (a `once` timer in the past, or a timer missing the field its
 * recurrence needs, which verification reports). The timer's `at` is read in the zone that is
 * `utcOffsetMinutes` ahead of UTC (default 0: UTC). A fixed offset knows nothing of daylight
 * saving time: across a change, the caller recomputes with the new offset (it does so anyway
 * after each firing). A monthly timer on a day some months lack (29-31) skips those months; a
 * yearly one on 29 February fires in leap years only (verification warns of both).
 */
export function nextFallbackTime(
  timer: FallbackTimerDef,
  afterMs: number,
  utcOffsetMinutes = 0,
): number | undefined {
  const [hh = 0, mm = 0] = timer.at.split(':').map(Number);
  const offsetMs = utcOffsetMinutes * MINUTE_MS;
  const at = (y: number, month0: number, day: number): number =>
    Date.UTC(y, month0, day, hh, mm) - offsetMs;

  if (timer.recurrence === 'once') {
    if (timer.date === undefined) return undefined;
    const [y = 0, m = 1, d = 1] = timer.date.split('-').map(Number);
    const t = at(y, m - 1, d);
    return t > afterMs ? t : undefined;
  }
  const matches = (date: Date): boolean => {
    switch (timer.recurrence) {
      case 'daily':
        return true;
      case 'weekly':
        return WEEKDAYS[date.getUTCDay()] === timer.weekday;
      case 'monthly':
        return date.getUTCDate() === timer.day;
      case 'yearly':
        return date.getUTCDate() === timer.day && date.getUTCMonth() + 1 === timer.month;
      case 'once':
        return false;
    }
  };
  // Walk local calendar days from the one `afterMs` falls in.
  const local = new Date(afterMs + offsetMs);
  const [y, m, d] = [local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()];
  for (let i = 0; i < MAX_DAYS; i++) {
    const day = new Date(Date.UTC(y, m, d + i));
    if (!matches(day)) continue;
    const t = at(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
    if (t > afterMs) return t;
  }
  return undefined;
}
