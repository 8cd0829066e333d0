// Virtual time: a Clock and Timers that only move when told to. Tests and the simulator
// advance it explicitly, so a run never sleeps and always fires timers in the same order.
import { HavenError, InvalidArgumentError } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import { checkDelayMs, type TimerHandle, type Timers } from '../core/ports/timers.js';

export interface VirtualTimeOptions {
  /** Initial monotonic time. @default 0 */
  readonly startMs?: number;
  /** Wall-clock time at startMs. @default 1_700_000_000_000 (2023-11-14), fixed so logs replay identically. */
  readonly wallStartMs?: number;
}

interface Pending {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

/** A timer callback called advance/runUntil/runNext: time would move under the caller's feet. */
export class ReentrantAdvanceError extends HavenError<{ readonly nowMs: number }> {
  constructor(nowMs: number) {
    super('VIRTUAL_TIME_REENTRANT', 'virtual time was advanced from inside a timer callback', {
      details: { nowMs },
    });
  }
}

export class VirtualTime implements Clock, Timers {
  #now: number;
  #wallOffset: number;
  #nextId = 1;
  // Min-heap on (dueMs, id): ids grow with arming order, so ties fire in insertion order.
  readonly #heap: Pending[] = [];
  // Timers not yet fired nor cancelled. Cancel removes here only; the heap drops stale
  // entries lazily, which keeps cancel O(1).
  readonly #live = new Set<number>();
  #advancing = false;

  constructor(options: VirtualTimeOptions = {}) {
    this.#now = options.startMs ?? 0;
    this.#wallOffset = (options.wallStartMs ?? 1_700_000_000_000) - this.#now;
  }

  monotonicMs(): number {
    return this.#now;
  }

  wallMs(): number {
    return this.#now + this.#wallOffset;
  }

  /**
   * Steps the wall clock (an NTP step, an operator's `date -s`) without touching monotonic
   * time or timers: lets a test prove that nothing decides by the wall clock.
   */
  setWallMs(wallMs: number): void {
    this.#wallOffset = wallMs - this.#now;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const id = this.#nextId++;
    this.#live.add(id);
    heapPush(this.#heap, { id, dueMs: this.#now + checkDelayMs(delayMs), callback });
    return id as TimerHandle;
  }

  cancel(handle: TimerHandle): void {
    this.#live.delete(handle);
    // A liveness timer re-armed on every heartbeat leaves a stale entry each time: compact
    // once they dominate, so a long simulation does not carry them all until they fall due.
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#live.size) {
      const kept = this.#heap.filter((t) => this.#live.has(t.id));
      this.#heap.length = 0;
      for (const t of kept) heapPush(this.#heap, t);
    }
  }

  /** Timers armed and neither fired nor cancelled. */
  get pendingCount(): number {
    return this.#live.size;
  }

  /** When the next timer is due, or undefined if none is pending. */
  nextDueMs(): number | undefined {
    return this.#peekLive()?.dueMs;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (see runUntil). */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidArgumentError('ms', ms, 'a finite number >= 0');
    }
    return this.runUntil(this.#now + ms);
  }

  /**
   * Fires, in time order, every timer due at or before `timeMs`, including timers armed by
   * those callbacks if they fall due in time; then leaves the clock at `timeMs`. Each
   * callback sees the clock at its own due time. Returns the number of timers fired.
   */
  runUntil(timeMs: number): number {
    if (!Number.isFinite(timeMs) || timeMs < this.#now) {
      throw new InvalidArgumentError('timeMs', timeMs, `a finite time >= now (${this.#now})`);
    }
    let fired = 0;
    this.#guard(() => {
      for (let next = this.#peekLive(); next && next.dueMs <= timeMs; next = this.#peekLive()) {
        this.#fire(next);
        fired++;
      }
      this.#now = timeMs;
    });
    return fired;
  }

  /** Jumps to the next pending timer and fires it alone. Returns false if none was pending. */
  runNext(): boolean {
    let fired = false;
    this.#guard(() => {
      const next = this.#peekLive();
      if (next) {
        this.#fire(next);
        fired = true;
      }
    });
    return fired;
  }

  #fire(timer: Pending): void {
    heapPop(this.#heap);
    this.#live.delete(timer.id);
    this.#now = timer.dueMs;
    timer.callback();
  }

  #guard(body: () => void): void {
    if (this.#advancing) throw new ReentrantAdvanceError(this.#now);
    this.#advancing = true;
    try {
      body();
    } finally {
      this.#advancing = false;
    }
  }

  /** The earliest timer still live, discarding cancelled ones from the top of the heap. */
  #peekLive(): Pending | undefined {
    for (let top = this.#heap[0]; top; top = this.#heap[0]) {
      if (this.#live.has(top.id)) return top;
      heapPop(this.#heap);
    }
    return undefined;
  }
}

function before(a: Pending, b: Pending): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.id < b.id);
}

function heapPush(heap: Pending[], item: Pending): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(item, heap[parent] as Pending)) break;
    heap[i] = heap[parent] as Pending;
    i = parent;
  }
  heap[i] = item;
}

function heapPop(heap: Pending[]): void {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child =
      right < heap.length && before(heap[right] as Pending, heap[left] as Pending) ? right : left;
    if (!before(heap[child] as Pending, last)) break;
    heap[i] = heap[child] as Pending;
    i = child;
  }
  heap[i] = last;
}
