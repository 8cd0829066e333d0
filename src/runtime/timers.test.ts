import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from '../core/errors.js';
import { SystemClock } from './clock.js';
import { SystemTimers } from './timers.js';

describe('SystemTimers', () => {
  it('fires after the delay, in arming order for equal delays', async () => {
    const timers = new SystemTimers();
    const clock = new SystemClock();
    const start = clock.monotonicMs();
    const log: string[] = [];
    await new Promise<void>((resolve) => {
      timers.setTimer(20, () => log.push('a'));
      timers.setTimer(20, () => {
        log.push('b');
        resolve();
      });
    });
    assert.deepEqual(log, ['a', 'b']);
    assert.ok(clock.monotonicMs() - start >= 19, 'fired early');
  });

  it('cancels idempotently, and harmlessly after firing', async () => {
    const timers = new SystemTimers();
    let fired = 0;
    const a = timers.setTimer(5, () => fired++);
    timers.cancel(a);
    timers.cancel(a);
    const b = timers.setTimer(1, () => fired++);
    await sleep(30);
    assert.equal(fired, 1);
    timers.cancel(b);
    timers.cancel(b);
  });

  it('does not fire a delay beyond 2^31 ms at once (Node would clamp it to 1 ms)', async () => {
    const timers = new SystemTimers({ unref: true });
    let fired = false;
    const handle = timers.setTimer(2 ** 31 + 10, () => (fired = true));
    await sleep(30);
    assert.equal(fired, false);
    timers.cancel(handle);
  });

  it('rejects NaN and infinite delays', () => {
    const timers = new SystemTimers();
    assert.throws(() => timers.setTimer(Number.NaN, () => undefined), InvalidArgumentError);
    assert.throws(() => timers.setTimer(Infinity, () => undefined), InvalidArgumentError);
  });
});

describe('SystemClock', () => {
  it('gives a non-decreasing monotonic time and an epoch wall time', () => {
    const clock = new SystemClock();
    let last = clock.monotonicMs();
    for (let i = 0; i < 1000; i++) {
      const now = clock.monotonicMs();
      assert.ok(now >= last);
      last = now;
    }
    assert.ok(Math.abs(clock.wallMs() - Date.now()) < 1000);
  });
});
