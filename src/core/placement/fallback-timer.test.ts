import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FallbackTimerDef } from '../config/model.js';
import { nextFallbackTime } from './fallback-timer.js';

const timer = (t: Partial<FallbackTimerDef> & Pick<FallbackTimerDef, 'recurrence'>) => ({
  at: '02:00',
  weekday: undefined,
  day: undefined,
  month: undefined,
  date: undefined,
  ...t,
});
const utc = (iso: string): number => Date.parse(`${iso}Z`);

describe('nextFallbackTime', () => {
  it('daily: today if the time is still ahead, else tomorrow; strictly after', () => {
    const t = timer({ recurrence: 'daily' });
    assert.equal(nextFallbackTime(t, utc('2024-03-15T01:00:00')), utc('2024-03-15T02:00:00'));
    assert.equal(nextFallbackTime(t, utc('2024-03-15T02:00:00')), utc('2024-03-16T02:00:00'));
    // Across the end of a year.
    assert.equal(nextFallbackTime(t, utc('2024-12-31T23:00:00')), utc('2025-01-01T02:00:00'));
  });

  it('weekly: the next such weekday', () => {
    // 15 March 2024 was a Friday.
    const t = timer({ recurrence: 'weekly', weekday: 'sun', at: '03:00' });
    assert.equal(nextFallbackTime(t, utc('2024-03-15T12:00:00')), utc('2024-03-17T03:00:00'));
    const fri = timer({ recurrence: 'weekly', weekday: 'fri', at: '03:00' });
    assert.equal(nextFallbackTime(fri, utc('2024-03-15T12:00:00')), utc('2024-03-22T03:00:00'));
  });

  it('monthly: skips months without the day; yearly on 29 February waits for a leap year', () => {
    const m = timer({ recurrence: 'monthly', day: 31 });
    assert.equal(nextFallbackTime(m, utc('2024-04-01T00:00:00')), utc('2024-05-31T02:00:00'));
    const y = timer({ recurrence: 'yearly', day: 29, month: 2 });
    assert.equal(nextFallbackTime(y, utc('2024-03-01T00:00:00')), utc('2028-02-29T02:00:00'));
  });

  it('once: at its date, then never; a timer missing its field never fires', () => {
    const t = timer({ recurrence: 'once', date: '2024-06-01' });
    assert.equal(nextFallbackTime(t, utc('2024-03-15T00:00:00')), utc('2024-06-01T02:00:00'));
    assert.equal(nextFallbackTime(t, utc('2024-06-01T02:00:00')), undefined);
    assert.equal(nextFallbackTime(timer({ recurrence: 'weekly' }), 0), undefined);
  });

  it('reads the time of day in the zone given by its offset from UTC', () => {
    const t = timer({ recurrence: 'daily' });
    // 02:00 at UTC+1 is 01:00 UTC; at UTC-5 it is 07:00 UTC.
    assert.equal(nextFallbackTime(t, utc('2024-03-15T00:30:00'), 60), utc('2024-03-15T01:00:00'));
    assert.equal(nextFallbackTime(t, utc('2024-03-15T00:30:00'), -300), utc('2024-03-15T07:00:00'));
    // 23:30 UTC is already 00:30 tomorrow at UTC+1: the next 02:00 there is 01:00 UTC.
    assert.equal(nextFallbackTime(t, utc('2024-03-15T23:30:00'), 60), utc('2024-03-16T01:00:00'));
  });

  it('daily and weekly: the first firing after any moment, at the right local time', () => {
    const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.constantFrom(...days),
        fc.integer({ min: -720, max: 840 }),
        (after, hh, mm, weekday, offset) => {
          const at = `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}`;
          for (const [t, period] of [
            [timer({ recurrence: 'daily', at }), 86_400_000],
            [timer({ recurrence: 'weekly', weekday, at }), 7 * 86_400_000],
          ] as const) {
            const next = nextFallbackTime(t, after, offset);
            assert.ok(next !== undefined && next > after && next <= after + period);
            const local = new Date(next + offset * 60_000);
            assert.deepEqual([local.getUTCHours(), local.getUTCMinutes()], [hh, mm]);
            if (t.recurrence === 'weekly') assert.equal(days[local.getUTCDay()], weekday);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
