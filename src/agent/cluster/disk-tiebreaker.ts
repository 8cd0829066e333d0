// The disk tie-breaker: a lease in one 4 KiB block of the shared disk of a diskhb network
// (byte offset 4 MiB, beyond every heartbeat slot), opened as the disk heartbeat opens it.
// The rules live in core/tiebreaker/disk-lease.ts (and why they are safe in its README);
// this class is the I/O around them: one read or write in flight at a time, every start and
// end time taken from the monotonic clock, answers always given later than the ask.
import { open } from 'node:fs/promises';
import type { Clock } from '../../core/ports/clock.js';
import type { TimerHandle, Timers } from '../../core/ports/timers.js';
import type { SlotAuthenticator } from '../../core/diskhb/slot.js';
import { errnoOf } from '../../core/errors.js';
import {
  DISK_LEASE_BLOCK_BYTES,
  DISK_LEASE_MIN_DEVICE_BYTES,
  DISK_LEASE_OFFSET,
  createDiskLease,
  diskLeaseHeld,
  stepDiskLease,
  type DiskLeaseInput,
  type DiskLeaseOptions,
  type DiskLeaseResult,
  type DiskLeaseState,
} from '../../core/tiebreaker/disk-lease.js';
import {
  extendRegularFile,
  openDiskDevice,
  type DirectIoMode,
  type DiskDevice,
  type DiskDeviceOpener,
} from '../../runtime/diskhb-device.js';
import type { Logger } from '../log.js';
import type { Tiebreaker } from './tiebreaker.js';

/** How long to wait before opening a device again that could not be opened. */
const REOPEN_MS = 10_000;
/** Errors after which the handle is useless and the path must be opened again (as the heartbeat's). */
const REOPEN_ERRNOS = new Set(['EBADF', 'ENODEV', 'ENXIO', 'ESTALE']);
/** How long close() waits for an I/O in flight before leaving it to finish on its own. */
const CLOSE_WAIT_MS = 1000;

export interface DiskTiebreakerOptions {
  /** This node's device on the diskhb network (its interface's `device`). */
  readonly path: string;
  readonly network: string;
  readonly clusterId: number;
  readonly nodeId: number;
  /** Grows with every restart of the agent. */
  readonly incarnation: number;
  /** How long the cluster manager believes a grant, from its ask. */
  readonly leaseMs: number;
  /** The cluster key's authenticator, as for the heartbeat slots. */
  readonly authenticator?: SlotAuthenticator | undefined;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Create a missing regular file (tests on a file standing in for a shared disk). @default false */
  readonly createIfMissing?: boolean | undefined;
  /** As the disk heartbeat's. @default 'auto' */
  readonly directIo?: DirectIoMode | undefined;
  /** @default openDiskDevice, with a check that the device reaches past the lease block */
  readonly openDevice?: DiskDeviceOpener | undefined;
  /** Shorter timings for tests; the defaults are core/tiebreaker's DISK_LEASE_DEFAULTS. */
  readonly timing?: Partial<
    Pick<DiskLeaseOptions, 'marginMs' | 'writeDelayMs' | 'settleMs' | 'ioTimeoutMs' | 'pollMs'>
  >;
}

export class DiskTiebreaker implements Tiebreaker {
  readonly #o: DiskTiebreakerOptions;
  readonly #answers = new Map<string, (granted: boolean) => void>();
  #device: DiskDevice | undefined;
  #state: DiskLeaseState | undefined;
  #timer: TimerHandle | undefined;
  #reopenTimer: TimerHandle | undefined;
  #inFlight: Promise<void> | undefined;
  #opening: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  #isClosed = false;
  #lastOpenError: string | undefined;

  /** Opens the device at once (retrying every 10 s while it fails) and starts watching the block. */
  static start(o: DiskTiebreakerOptions): DiskTiebreaker {
    return new DiskTiebreaker(o);
  }

  private constructor(o: DiskTiebreakerOptions) {
    this.#o = o;
    this.#opening = this.#open();
  }

  /** Whether this node holds the lease on the disk (for status; a grant is only an answer). */
  held(): boolean {
    return this.#state !== undefined && diskLeaseHeld(this.#state);
  }

  ask(requestId: string, answer: (granted: boolean) => void): void {
    const earlier = this.#answers.get(requestId);
    if (earlier) this.#answer(earlier, false);
    if (this.#isClosed || this.#state === undefined) {
      // Not open (yet): the reason was logged when opening failed.
      this.#answer(answer, false);
      return;
    }
    this.#answers.set(requestId, answer);
    this.#step({
      type: 'ask',
      requestId,
      nowMs: this.#o.clock.monotonicMs(),
      wallMs: this.#o.clock.wallMs(),
    });
  }

  close(): Promise<void> {
    this.#isClosed = true;
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    if (this.#state) this.#step({ type: 'close', nowMs: this.#o.clock.monotonicMs() });
    for (const answer of this.#answers.values()) this.#answer(answer, false);
    this.#answers.clear();
    this.#cancelTimer();
    if (this.#reopenTimer !== undefined) this.#o.timers.cancel(this.#reopenTimer);
    await this.#opening;
    const device = this.#device;
    this.#device = undefined;
    if (!device) return;
    const pending = this.#inFlight;
    if (pending) {
      let timer: TimerHandle | undefined;
      const waited = await Promise.race([
        pending.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = this.#o.timers.setTimer(CLOSE_WAIT_MS, () => {
            resolve(false);
          });
        }),
      ]);
      if (timer !== undefined) this.#o.timers.cancel(timer);
      if (!waited) {
        // Closing now would wait for the hung operation too: close once it returns.
        void pending.then(() => device.close().catch(() => undefined));
        return;
      }
    }
    await device.close().catch(() => undefined);
  }

  async #open(): Promise<void> {
    const o = this.#o;
    try {
      // A regular file shorter than the lease block's end is extended, as the heartbeat's
      // opener extends one it may create (only ever grown: ftruncate overwrites nothing).
      if (o.openDevice === undefined)
        await extendRegularFile(o.path, DISK_LEASE_MIN_DEVICE_BYTES, false);
      const opener = o.openDevice ?? openDiskDevice;
      const { device, notes } = await opener({
        path: o.path,
        createIfMissing: o.createIfMissing ?? false,
        minBytes: DISK_LEASE_MIN_DEVICE_BYTES,
        maxReadBytes: DISK_LEASE_BLOCK_BYTES,
        directIo: o.directIo ?? 'auto',
      });
      let tooSmall = notes.some((n) => n.type === 'device-too-small');
      if (!tooSmall && o.openDevice === undefined) tooSmall = !(await reachesLeaseBlock(o.path));
      for (const n of notes) {
        if (n.type === 'buffered-io') {
          this.#log(
            'warn',
            `the disk tie-breaker uses buffered I/O on ${n.path}: ${n.why}; correct only when every node shares this host's page cache`,
          );
        }
      }
      if (tooSmall) {
        await device.close().catch(() => undefined);
        throw Object.assign(
          new Error(
            `${o.path} is smaller than ${String(DISK_LEASE_MIN_DEVICE_BYTES)} bytes: the disk tie-breaker's lease block is the 4 KiB at byte offset ${String(DISK_LEASE_OFFSET)}; use a larger shared disk for network ${o.network}`,
          ),
          { code: 'ENOSPC' },
        );
      }
      if (this.#isClosed) {
        await device.close().catch(() => undefined);
        return;
      }
      this.#device = device;
      if (this.#lastOpenError !== undefined)
        this.#log('info', 'the disk tie-breaker device opened');
      this.#lastOpenError = undefined;
      // After a reopen the lease state carries on: it is about the disk, not the handle.
      if (this.#state !== undefined) return;
      this.#apply(
        createDiskLease(
          {
            clusterId: o.clusterId,
            nodeId: o.nodeId,
            incarnation: o.incarnation,
            leaseMs: o.leaseMs,
            authenticator: o.authenticator,
            ...o.timing,
          },
          o.clock.monotonicMs(),
        ),
      );
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (message !== this.#lastOpenError) {
        this.#lastOpenError = message;
        this.#log(
          'error',
          `cannot open the disk tie-breaker's device: every ask is denied until it opens (retried every ${String(REOPEN_MS / 1000)}s)`,
          { error: message, errno: errnoOf(e) ?? null },
        );
      }
      if (!this.#isClosed) {
        this.#reopenTimer = this.#o.timers.setTimer(REOPEN_MS, () => {
          this.#reopenTimer = undefined;
          this.#opening = this.#open();
        });
      }
    }
  }

  #step(input: DiskLeaseInput): void {
    if (this.#state === undefined) return;
    this.#apply(stepDiskLease(this.#state, input));
  }

  #apply(r: DiskLeaseResult): void {
    this.#state = r.state;
    for (const e of r.effects) {
      switch (e.type) {
        case 'read':
          this.#read();
          break;
        case 'write':
          this.#write(e.block);
          break;
        case 'answer': {
          const answer = this.#answers.get(e.requestId);
          this.#answers.delete(e.requestId);
          if (answer) this.#answer(answer, e.granted);
          if (!e.granted) this.#log('debug', 'disk tie-breaker denied', { reason: e.reason });
          break;
        }
        case 'log':
          this.#log(e.level, e.message, e.fields);
          break;
      }
    }
    this.#cancelTimer();
    if (r.wakeAtMs !== null && !this.#isClosed) {
      const delay = Math.max(0, r.wakeAtMs - this.#o.clock.monotonicMs());
      this.#timer = this.#o.timers.setTimer(delay, () => {
        this.#timer = undefined;
        this.#step({ type: 'timer', nowMs: this.#o.clock.monotonicMs() });
      });
    }
  }

  #read(): void {
    const device = this.#device;
    const startMs = this.#o.clock.monotonicMs();
    if (!device) {
      // Closed after an error, being opened again: the state machine needs an answer.
      queueMicrotask(() => {
        this.#failed('read', startMs, new Error('the device is being opened again'));
      });
      return;
    }
    this.#track(
      device.read(DISK_LEASE_OFFSET, DISK_LEASE_BLOCK_BYTES).then(
        (bytes) => {
          // The device's buffer is reused by its next read: the core copies what it keeps.
          this.#done({
            type: 'read-done',
            startMs,
            nowMs: this.#o.clock.monotonicMs(),
            block: bytes,
          });
        },
        (e: unknown) => {
          this.#failed('read', startMs, e, device);
        },
      ),
    );
  }

  #write(block: Uint8Array): void {
    const device = this.#device;
    const startMs = this.#o.clock.monotonicMs();
    if (!device) {
      // Closed after an error, being opened again: the state machine needs an answer.
      queueMicrotask(() => {
        this.#failed('write', startMs, new Error('the device is being opened again'));
      });
      return;
    }
    this.#track(
      device.write(block, DISK_LEASE_OFFSET).then(
        () => {
          this.#done({ type: 'write-done', startMs, nowMs: this.#o.clock.monotonicMs() });
        },
        (e: unknown) => {
          this.#failed('write', startMs, e, device);
        },
      ),
    );
  }

  #track(p: Promise<void>): void {
    const tracked = p.finally(() => {
      if (this.#inFlight === tracked) this.#inFlight = undefined;
    });
    this.#inFlight = tracked;
  }

  #failed(op: 'read' | 'write', startMs: number, e: unknown, device?: DiskDevice): void {
    const error = e instanceof Error ? e.message : String(e);
    const errno = errnoOf(e);
    if (
      device !== undefined &&
      device === this.#device &&
      errno !== undefined &&
      REOPEN_ERRNOS.has(errno)
    ) {
      // The device went away (multipath, iSCSI re-created it): open the path again.
      this.#device = undefined;
      void device.close().catch(() => undefined);
      if (!this.#isClosed) this.#opening = this.#open();
    }
    this.#done({ type: 'io-failed', op, startMs, nowMs: this.#o.clock.monotonicMs(), error });
  }

  #done(input: DiskLeaseInput): void {
    // After close, the state machine has answered everything: the result is of no use.
    if (this.#isClosed) return;
    this.#step(input);
  }

  #answer(answer: (granted: boolean) => void, granted: boolean): void {
    queueMicrotask(() => {
      answer(granted);
    });
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#o.timers.cancel(this.#timer);
    this.#timer = undefined;
  }

  #log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields: Readonly<Record<string, unknown>> = {},
  ): void {
    this.#o.logger[level](message, {
      ...fields,
      tiebreaker: 'disk',
      network: this.#o.network,
      device: this.#o.path,
      offset: DISK_LEASE_OFFSET,
    });
  }
}

/**
 * Whether the device holds a whole block at the lease's offset. The device's own reads return
 * zeros beyond its end (an empty block, which a claim would then try to write), and a block
 * device's size is not in stat: one buffered read at the offset tells.
 */
async function reachesLeaseBlock(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { bytesRead } = await handle.read(
      new Uint8Array(DISK_LEASE_BLOCK_BYTES),
      0,
      DISK_LEASE_BLOCK_BYTES,
      DISK_LEASE_OFFSET,
    );
    return bytesRead === DISK_LEASE_BLOCK_BYTES;
  } finally {
    await handle.close();
  }
}
