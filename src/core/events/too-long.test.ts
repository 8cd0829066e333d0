import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CONFIG_TOO_LONG_MAX_INTERVAL_MS,
  configTooLongSchedule,
  nextTooLongMs,
} from './too-long.js';

const min = 60_000;

describe('config_too_long schedule', () => {
  const table: [limitMs: number, times: number[]][] = [
    // The default limit: doubling up to the one-hour gap, then every hour.
    [6 * min, [6, 12, 24, 48, 96, 156, 216, 276].map((m) => m * min)],
    [1000, [1000, 2000, 4000, 8000]],
    // A limit longer than an hour: every limit.
    [
      2 * CONFIG_TOO_LONG_MAX_INTERVAL_MS,
      [2, 4, 6].map((h) => h * CONFIG_TOO_LONG_MAX_INTERVAL_MS),
    ],
    // Nonsense limits are 1 ms, never a loop or NaN.
    [0, [1, 2, 4]],
    [Number.NaN, [1, 2, 4]],
  ];
  for (const [limit, times] of table) {
    it(`limit ${limit} ms: ${times.join(', ')}`, () => {
      assert.deepEqual(configTooLongSchedule(limit, times.length), times);
    });
  }

  it('after a late wake, the next warning is the first scheduled one still ahead', () => {
    assert.equal(nextTooLongMs(1000, 1000, 1000), 2000);
    assert.equal(nextTooLongMs(1000, 1000, 5000), 8000);
    const hour = CONFIG_TOO_LONG_MAX_INTERVAL_MS;
    assert.equal(nextTooLongMs(6 * min, 6 * min, 1000 * hour), 1000 * hour + 36 * min);
  });

  it('always moves forward, past the elapsed time, and quickly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 * CONFIG_TOO_LONG_MAX_INTERVAL_MS }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        (limit, late) => {
          const next = nextTooLongMs(limit, limit, limit + late);
          assert.ok(next > limit + late);
          assert.ok(
            next - (limit + late) <= Math.max(limit, CONFIG_TOO_LONG_MAX_INTERVAL_MS, limit + late),
          );
        },
      ),
    );
  });
});
