import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../core/errors.js';
import { ReentrantAdvanceError, VirtualTime } from './virtual-time.js';

describe('VirtualTime', () => {
  it('starts where told and moves only when advanced', () => {
    const time = new VirtualTime({ startMs: 100, wallStartMs: 5_000 });
    assert.equal(time.monotonicMs(), 100);
    assert.equal(time.wallMs(), 5_000);
    time.advance(25);
    assert.equal(time.monotonicMs(), 125);
    assert.equal(time.wallMs(), 5_025);
    assert.throws(() => time.runUntil(124), InvalidArgumentError);
    time.setWallMs(1_000);
    assert.equal(time.wallMs(), 1_000);
    assert.equal(time.monotonicMs(), 125);
    time.advance(5);
    assert.equal(time.wallMs(), 1_005);
    assert.throws(() => time.advance(-1), InvalidArgumentError);
  });

  it('fires timers in time order, ties in arming order, each at its own time', () => {
    const time = new VirtualTime();
    const log: string[] = [];
    const at = (name: string) => () => log.push(`${name}@${time.monotonicMs()}`);
    time.setTimer(30, at('c'));
    time.setTimer(10, at('a1'));
    time.setTimer(20, at('b'));
    time.setTimer(10, at('a2'));
    time.setTimer(10, at('a3'));
    assert.equal(time.advance(25), 4);
    assert.deepEqual(log, ['a1@10', 'a2@10', 'a3@10', 'b@20']);
    assert.equal(time.monotonicMs(), 25);
    assert.equal(time.nextDueMs(), 30);
    time.advance(5);
    assert.deepEqual(log.at(-1), 'c@30');
    assert.equal(time.pendingCount, 0);
    assert.equal(time.nextDueMs(), undefined);
  });

  it('fires a zero or negative delay at the current time, after timers already due', () => {
    const time = new VirtualTime();
    const log: string[] = [];
    time.setTimer(0, () => log.push('zero'));
    time.setTimer(-50, () => log.push('negative'));
    time.advance(0);
    assert.deepEqual(log, ['zero', 'negative']);
    assert.throws(() => time.setTimer(Number.NaN, () => undefined), InvalidArgumentError);
    assert.throws(() => time.setTimer(Infinity, () => undefined), InvalidArgumentError);
  });

  it('cancels idempotently, and harmlessly after firing', () => {
    const time = new VirtualTime();
    const log: string[] = [];
    const a = time.setTimer(10, () => log.push('a'));
    const b = time.setTimer(10, () => log.push('b'));
    time.cancel(a);
    time.cancel(a);
    assert.equal(time.pendingCount, 1);
    time.advance(10);
    assert.deepEqual(log, ['b']);
    time.cancel(b);
    time.cancel(b);
    const c = time.setTimer(5, () => log.push('c'));
    time.cancel(b); // must not touch c
    time.advance(5);
    assert.deepEqual(log, ['b', 'c']);
    time.cancel(c);
  });

  it('lets a callback cancel a timer due at the same instant', () => {
    const time = new VirtualTime();
    const log: string[] = [];
    time.setTimer(10, () => {
      log.push('first');
      time.cancel(second);
    });
    const second = time.setTimer(10, () => log.push('second'));
    time.advance(10);
    assert.deepEqual(log, ['first']);
  });

  it('fires timers armed by callbacks within the same advance when due', () => {
    const time = new VirtualTime();
    const ticks: number[] = [];
    // A periodic heartbeat re-arming itself every 10 ms.
    const beat = (): void => {
      ticks.push(time.monotonicMs());
      time.setTimer(10, beat);
    };
    time.setTimer(10, beat);
    const log: string[] = [];
    time.setTimer(15, () => {
      log.push('outer');
      time.setTimer(0, () => log.push(`inner0@${time.monotonicMs()}`));
      time.setTimer(100, () => log.push('late'));
    });
    time.advance(45);
    assert.deepEqual(ticks, [10, 20, 30, 40]);
    assert.deepEqual(log, ['outer', 'inner0@15']);
    assert.equal(time.monotonicMs(), 45);
  });

  it('runNext jumps to the next timer and fires only it', () => {
    const time = new VirtualTime();
    const log: string[] = [];
    time.setTimer(7, () => log.push('x'));
    time.setTimer(7, () => log.push('y'));
    assert.equal(time.runNext(), true);
    assert.deepEqual(log, ['x']);
    assert.equal(time.monotonicMs(), 7);
    assert.equal(time.runNext(), true);
    assert.equal(time.runNext(), false);
    assert.equal(time.monotonicMs(), 7);
  });

  it('refuses to be advanced from inside a callback', () => {
    const time = new VirtualTime();
    let caught: unknown;
    time.setTimer(1, () => {
      try {
        time.advance(1);
      } catch (error) {
        caught = error;
      }
    });
    time.advance(1);
    assert.ok(caught instanceof ReentrantAdvanceError);
    // And is usable again afterwards.
    time.setTimer(1, () => undefined);
    assert.equal(time.advance(1), 1);
  });

  it('stays ordered under many random arms and cancels (stale entries compacted)', () => {
    const time = new VirtualTime();
    const fired: [number, number][] = [];
    const expected: [number, number][] = [];
    const handles = [];
    let x = 12345;
    const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const due = next() % 500;
      handles.push(time.setTimer(due, () => fired.push([time.monotonicMs(), i])));
      expected.push([due, i]);
    }
    const cancelled = new Set<number>();
    for (let i = 0; i < 2000; i += 3) {
      time.cancel(handles[i]!);
      cancelled.add(i);
    }
    time.advance(1000);
    const want = expected
      .filter(([, i]) => !cancelled.has(i))
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.deepEqual(fired, want);
  });
});
