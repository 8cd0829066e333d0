// The disk heartbeat of one node on one diskhb network: every interval, write our own slot
// (counter + 1) and read the slots of the peers, turning their progress into heartbeats for
// the failure detector. The format and the rules are pure (core/diskhb); this file is the
// I/O around them, built so that a sick device can never hurt anything else:
//
// - At most one write and one read round are in flight per device. An operation still
//   pending when the next interval comes is not doubled: the interval is skipped and
//   counted (an overrun); after `stalledAfterIntervals` of them an 'io-stalled' problem is
//   reported. A hung device therefore holds at most two libuv threadpool threads.
// - Nothing throws to the event loop: every failure becomes a DiskProblem, and the loop
//   keeps trying (reopening the device if it went away).
// - Heartbeats only come from progress seen by timely reads, so a recovering device that
//   returns an old read cannot vouch for a peer that has since died.
//
// The device itself (O_DIRECT, O_DSYNC): diskhb-device.ts. Design notes and costs:
// core/diskhb/README.md.
import {
  SLOT_DECODE_FAILURES,
  SLOT_RECORD_BYTES,
  SLOT_STRIDE_BYTES,
  createPeerReader,
  decodeSlot,
  encodeSlot,
  initialOwnSlot,
  judgeOwnSlot,
  observePeer,
  planReads,
  regionBytes,
  slotOffset,
  type OwnSlotContent,
  type OwnSlotState,
  type PeerReaderCounters,
  type PeerReaderState,
  type ReadRun,
  type SlotAuthenticator,
  type SlotDecodeFailure,
  type SlotProgress,
  type SlotRecord,
} from '../core/diskhb/index.js';
import { HavenError, InvalidArgumentError, errnoOf } from '../core/errors.js';
import type { Clock } from '../core/ports/clock.js';
import type { TimerHandle, Timers } from '../core/ports/timers.js';
import type { Heartbeat, InterfaceId, NetworkId } from '../core/topology/index.js';
import {
  openDiskDevice,
  type DeviceNote,
  type DirectIoMode,
  type DiskDevice,
  type DiskDeviceOpener,
} from './diskhb-device.js';

export {
  openDiskDevice,
  type DeviceNote,
  type DirectIoMode,
  type DiskDevice,
  type DiskDeviceOpener,
  type DiskDeviceRequest,
} from './diskhb-device.js';

export type DiskOp = 'open' | 'read' | 'write' | 'close';

/** A disk heartbeat I/O failure. `errno` is the system code (EIO, ENOENT, EACCES...). */
export class DiskHeartbeatIoError extends HavenError<{
  readonly op: DiskOp;
  readonly path: string;
  readonly errno: string | undefined;
}> {
  constructor(op: DiskOp, path: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super('DISKHB_IO', `disk heartbeat: ${op} of ${path} failed: ${message}`, {
      details: { op, path, errno: errnoOf(cause) },
      cause,
    });
  }
}

// ---- options, problems, stats --------------------------------------------------------

export interface DiskHeartbeatPeer {
  readonly nodeId: number;
  readonly slot: number;
  /** The peer's interface on this diskhb network: the detector's `fromInterface`. */
  readonly interfaceId: InterfaceId;
}

export interface DiskHeartbeatOptions {
  /** The shared block device or file. */
  readonly path: string;
  readonly clusterId: number;
  readonly nodeId: number;
  readonly slot: number;
  readonly peers: readonly DiskHeartbeatPeer[];
  readonly network: NetworkId;
  readonly intervalMs: number;
  /** Our process life; must grow with every restart of the agent (as for IP heartbeats). */
  readonly incarnation: number;
  readonly clock: Clock;
  readonly timers: Timers;
  /** A peer's counter moved. Must not throw (a throw is counted and ignored). */
  readonly onHeartbeat: (heartbeat: Heartbeat) => void;
  /** Something the operator should know. Must not throw (a throw is counted and ignored). */
  readonly onProblem: (problem: DiskProblem) => void;
  /** Create a missing regular file, extend a short one. Never for a real disk. @default false */
  readonly createIfMissing?: boolean;
  /** Sign and verify records with the cluster key. @default none */
  readonly authenticator?: SlotAuthenticator;
  /** @default 'auto' */
  readonly directIo?: DirectIoMode;
  /** Intervals an operation may stay pending before 'io-stalled' is reported. @default 3 */
  readonly stalledAfterIntervals?: number;
  /** How long a non-empty own slot must stay unchanged before we take it. @default 2 × intervalMs */
  readonly claimQuietMs?: number;
  /** Take over an own slot holding non-Haven data (see core/diskhb/own-slot.ts). @default false */
  readonly overwriteForeign?: boolean;
  /** How long stop() waits for in-flight I/O before leaving it behind. @default max(1000, 2 × intervalMs) */
  readonly stopTimeoutMs?: number;
  /** @default openDiskDevice */
  readonly openDevice?: DiskDeviceOpener;
}

export type DiskProblem =
  /** The first failure of a run (or a change of errno); the run ends with 'io-recovered'. */
  | { readonly type: 'io-error'; readonly op: DiskOp; readonly error: DiskHeartbeatIoError }
  | { readonly type: 'io-recovered'; readonly op: DiskOp; readonly failures: number }
  | { readonly type: 'io-stalled'; readonly op: 'read' | 'write'; readonly pendingMs: number }
  | { readonly type: 'io-unstalled'; readonly op: 'read' | 'write'; readonly tookMs: number }
  | DeviceNote
  /** Our slot holds data that is not Haven's; we do not write it (wrong device?). */
  | { readonly type: 'foreign-data'; readonly slot: number }
  /** Our slot changes under us before we took it: someone else writes there. */
  | { readonly type: 'slot-busy'; readonly slot: number; readonly content: OwnSlotContent }
  /** We took over a slot that held something (our previous life, a stale record...). */
  | { readonly type: 'slot-reclaimed'; readonly slot: number; readonly previous: OwnSlotContent }
  /** After we took it, our slot showed someone else's data on two reads in a row. */
  | { readonly type: 'slot-conflict'; readonly slot: number; readonly content: OwnSlotContent }
  /** A peer's slot became unreadable or foreign (reported when the reason changes). */
  | {
      readonly type: 'peer-slot-invalid';
      readonly peer: DiskHeartbeatPeer;
      readonly reason: SlotDecodeFailure;
      readonly record?: SlotRecord;
    }
  /** A peer's counter or incarnation went backwards (first of a run). */
  | {
      readonly type: 'peer-regressed';
      readonly peer: DiskHeartbeatPeer;
      readonly kind: 'counter' | 'incarnation';
      readonly high: SlotProgress;
      readonly found: SlotProgress;
    }
  /** stop() gave up waiting: the device is closed once the pending operations return. */
  | { readonly type: 'stop-timeout'; readonly pending: readonly DiskOp[] };

export interface DiskPeerStats {
  readonly nodeId: number;
  readonly slot: number;
  readonly interfaceId: InterfaceId;
  readonly high: SlotProgress | null;
  readonly lastOutcome: 'ok' | SlotDecodeFailure | null;
  readonly counters: PeerReaderCounters;
}

export interface DiskHeartbeatStats {
  readonly state: 'closed' | 'opening' | 'open' | 'stopping' | 'stopped';
  /** null until the device has opened. */
  readonly direct: boolean | null;
  readonly ownSlot: OwnSlotState['phase'];
  /** The last counter we issued. */
  readonly counter: number;
  readonly writes: number;
  /** Completed read rounds (each reads every slot we watch). */
  readonly reads: number;
  readonly errors: Readonly<Record<DiskOp, number>>;
  readonly overruns: { readonly read: number; readonly write: number };
  /** Write and sync of our slot, ms. */
  readonly lastWriteLatencyMs: number | null;
  readonly lastReadLatencyMs: number | null;
  /** Read rounds that took longer than an interval: their progress was not passed on. */
  readonly lateReads: number;
  readonly heartbeats: number;
  /** Peer slots that did not decode, by reason, summed over peers. */
  readonly decodeFailures: Readonly<Record<SlotDecodeFailure, number>>;
  readonly anomalies: number;
  readonly ownSlotMismatches: number;
  readonly callbackErrors: number;
  readonly peers: readonly DiskPeerStats[];
}

// ---- the heartbeat -------------------------------------------------------------------

interface Pending {
  readonly startedMs: number;
  overruns: number;
  stalled: boolean;
  promise: Promise<void>;
}

interface PeerEntry {
  readonly peer: DiskHeartbeatPeer;
  reader: PeerReaderState;
  reportedReason: SlotDecodeFailure | null;
  inRegression: boolean;
}

/** Errors after which the handle is useless and the path must be opened again. */
const REOPEN_ERRNOS = new Set(['EBADF', 'ENODEV', 'ENXIO', 'ESTALE']);

export class DiskHeartbeat {
  readonly #o: Required<
    Omit<DiskHeartbeatOptions, 'authenticator' | 'peers' | 'onHeartbeat' | 'onProblem'>
  >;
  readonly #auth: SlotAuthenticator | undefined;
  readonly #onHeartbeat: (heartbeat: Heartbeat) => void;
  readonly #onProblem: (problem: DiskProblem) => void;
  readonly #peers: PeerEntry[];
  readonly #runs: readonly ReadRun[];
  readonly #minBytes: number;
  readonly #block = new Uint8Array(SLOT_STRIDE_BYTES);

  #device: DiskDevice | undefined;
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #reopen = false;
  #read: Pending | undefined;
  #write: Pending | undefined;
  #timer: TimerHandle | undefined;
  #nextDueMs: number;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #closed = false;

  #own: OwnSlotState = initialOwnSlot;
  readonly #ownReported = new Set<'busy' | 'foreign' | 'conflict'>();
  #counter = 0;
  #writesDone = 0;
  readonly #failures = new Map<DiskOp, { count: number; errno: string | undefined }>();

  #stats = {
    direct: null as boolean | null,
    writes: 0,
    reads: 0,
    errors: { open: 0, read: 0, write: 0, close: 0 },
    overruns: { read: 0, write: 0 },
    lastWriteLatencyMs: null as number | null,
    lastReadLatencyMs: null as number | null,
    lateReads: 0,
    heartbeats: 0,
    anomalies: 0,
    ownSlotMismatches: 0,
    callbackErrors: 0,
  };

  /**
   * Starts heartbeating at once: opens the device (retrying every interval while it fails),
   * then writes and reads every `intervalMs`. Never rejects or throws for I/O; throws
   * InvalidArgumentError for inconsistent options (a bug in the caller).
   */
  static start(options: DiskHeartbeatOptions): DiskHeartbeat {
    return new DiskHeartbeat(options);
  }

  private constructor(options: DiskHeartbeatOptions) {
    validate(options);
    const { intervalMs } = options;
    this.#o = {
      path: options.path,
      clusterId: options.clusterId,
      nodeId: options.nodeId,
      slot: options.slot,
      network: options.network,
      intervalMs,
      incarnation: options.incarnation,
      clock: options.clock,
      timers: options.timers,
      createIfMissing: options.createIfMissing ?? false,
      directIo: options.directIo ?? 'auto',
      stalledAfterIntervals: options.stalledAfterIntervals ?? 3,
      claimQuietMs: options.claimQuietMs ?? 2 * intervalMs,
      overwriteForeign: options.overwriteForeign ?? false,
      stopTimeoutMs: options.stopTimeoutMs ?? Math.max(1000, 2 * intervalMs),
      openDevice: options.openDevice ?? openDiskDevice,
    };
    this.#auth = options.authenticator;
    this.#onHeartbeat = options.onHeartbeat;
    this.#onProblem = options.onProblem;
    this.#peers = [...options.peers]
      .sort((a, b) => a.slot - b.slot)
      .map((peer) => ({
        peer,
        reader: createPeerReader({ ...peer, network: options.network }),
        reportedReason: null,
        inRegression: false,
      }));
    const slots = [options.slot, ...options.peers.map((p) => p.slot)];
    this.#runs = planReads(slots);
    this.#minBytes = regionBytes(Math.max(...slots));
    this.#nextDueMs = this.#o.clock.monotonicMs();
    this.#timer = this.#o.timers.setTimer(0, () => {
      this.#tick();
    });
  }

  /**
   * Stops the loop, waits for the in-flight I/O (at most `stopTimeoutMs`) and closes the
   * device. Idempotent. Never rejects. No callback is called for heartbeats after it starts.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  stats(): DiskHeartbeatStats {
    const decodeFailures = Object.fromEntries(SLOT_DECODE_FAILURES.map((r) => [r, 0])) as Record<
      SlotDecodeFailure,
      number
    >;
    for (const { reader } of this.#peers) {
      for (const r of SLOT_DECODE_FAILURES) decodeFailures[r] += reader.counters.rejected[r];
    }
    const s = this.#stats;
    return {
      state: this.#state(),
      direct: s.direct,
      ownSlot: this.#own.phase,
      counter: this.#counter,
      writes: s.writes,
      reads: s.reads,
      errors: { ...s.errors },
      overruns: { ...s.overruns },
      lastWriteLatencyMs: s.lastWriteLatencyMs,
      lastReadLatencyMs: s.lastReadLatencyMs,
      lateReads: s.lateReads,
      heartbeats: s.heartbeats,
      decodeFailures,
      anomalies: s.anomalies,
      ownSlotMismatches: s.ownSlotMismatches,
      callbackErrors: s.callbackErrors,
      peers: this.#peers.map(({ peer, reader }) => ({
        ...peer,
        high: reader.high,
        lastOutcome: reader.lastOutcome,
        counters: reader.counters,
      })),
    };
  }

  #state(): DiskHeartbeatStats['state'] {
    if (this.#closed) return 'stopped';
    if (this.#stopping) return 'stopping';
    if (this.#device !== undefined) return 'open';
    return this.#opening === undefined ? 'closed' : 'opening';
  }

  // ---- the loop ----

  #tick(): void {
    this.#timer = undefined;
    if (this.#stopping) return;
    const now = this.#o.clock.monotonicMs();
    if (this.#device === undefined) {
      if (this.#opening === undefined && this.#closing === undefined) {
        this.#opening = this.#open();
      }
    } else if (this.#reopen) {
      // The handle is dead. Close it once nothing is in flight on it; the next tick reopens.
      if (this.#read === undefined && this.#write === undefined) this.#retire();
      if (this.#read !== undefined) this.#overrun('read', this.#read, now);
      if (this.#write !== undefined) this.#overrun('write', this.#write, now);
    } else {
      this.#pollRead(now);
      this.#pollWrite(now);
    }
    this.#nextDueMs += this.#o.intervalMs;
    // Fell behind (the process stalled): carry on from now rather than burst to catch up.
    if (this.#nextDueMs <= now) this.#nextDueMs = now + this.#o.intervalMs;
    this.#timer = this.#o.timers.setTimer(this.#nextDueMs - now, () => {
      this.#tick();
    });
  }

  #pollRead(now: number): void {
    if (this.#read !== undefined) {
      this.#overrun('read', this.#read, now);
      return;
    }
    const pending: Pending = { startedMs: now, overruns: 0, stalled: false, promise: done };
    this.#read = pending;
    pending.promise = this.#readRound(pending)
      // Defensive: the round catches its I/O errors; anything else is a bug, and still
      // must not become an unhandled rejection.
      .catch((error: unknown) => {
        this.#opFailed('read', error);
      })
      .finally(() => {
        this.#read = undefined;
        this.#unstall('read', pending);
      });
  }

  #pollWrite(now: number): void {
    if (this.#own.phase !== 'claimed') return;
    if (this.#write !== undefined) {
      this.#overrun('write', this.#write, now);
      return;
    }
    const pending: Pending = { startedMs: now, overruns: 0, stalled: false, promise: done };
    this.#write = pending;
    pending.promise = this.#writeOnce(pending)
      .catch((error: unknown) => {
        this.#opFailed('write', error);
      })
      .finally(() => {
        this.#write = undefined;
        this.#unstall('write', pending);
      });
  }

  #overrun(op: 'read' | 'write', pending: Pending, now: number): void {
    this.#stats.overruns[op]++;
    pending.overruns++;
    if (!pending.stalled && pending.overruns >= this.#o.stalledAfterIntervals) {
      pending.stalled = true;
      this.#problem({ type: 'io-stalled', op, pendingMs: now - pending.startedMs });
    }
  }

  #unstall(op: 'read' | 'write', pending: Pending): void {
    if (!pending.stalled) return;
    const tookMs = this.#o.clock.monotonicMs() - pending.startedMs;
    this.#problem({ type: 'io-unstalled', op, tookMs });
  }

  // ---- open and close ----

  async #open(): Promise<void> {
    const o = this.#o;
    try {
      const { device, notes } = await o.openDevice({
        path: o.path,
        createIfMissing: o.createIfMissing,
        minBytes: this.#minBytes,
        maxReadBytes: Math.max(...this.#runs.map((r) => r.length)),
        directIo: o.directIo,
      });
      if (this.#stopping) {
        // stop() came while we were opening: nobody will use this handle.
        await this.#closeQuietly(device);
        return;
      }
      this.#opOk('open');
      this.#device = device;
      this.#reopen = false;
      this.#stats.direct = device.direct;
      for (const note of notes) this.#problem(note);
      // Read at once rather than at the next tick: the own slot must be read before the
      // first write, and a peer's first read is only a baseline.
      this.#pollRead(o.clock.monotonicMs());
    } catch (error) {
      this.#opFailed('open', error);
    } finally {
      this.#opening = undefined;
    }
  }

  #retire(): void {
    const device = this.#device;
    this.#device = undefined;
    this.#reopen = false;
    if (device === undefined) return;
    this.#closing = this.#closeQuietly(device).finally(() => {
      this.#closing = undefined;
    });
  }

  async #closeQuietly(device: DiskDevice): Promise<void> {
    try {
      await device.close();
    } catch (error) {
      this.#opFailed('close', error);
    }
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer !== undefined) this.#o.timers.cancel(this.#timer);
    this.#timer = undefined;
    const inFlight: [DiskOp, Promise<void> | undefined][] = [
      ['open', this.#opening],
      ['read', this.#read?.promise],
      ['write', this.#write?.promise],
      ['close', this.#closing],
    ];
    const pending = inFlight.filter((e): e is [DiskOp, Promise<void>] => e[1] !== undefined);
    const all = Promise.all(pending.map((e) => e[1]));
    const finish = async (): Promise<void> => {
      const device = this.#device;
      this.#device = undefined;
      if (device !== undefined) await this.#closeQuietly(device);
      this.#closed = true;
    };
    if (await this.#within(all, this.#o.stopTimeoutMs)) {
      await finish();
      return;
    }
    // A hung device: closing the handle would wait for the hung operation too. Leave it to
    // close itself when (if) the operation returns, and let the caller get on with shutdown.
    this.#problem({ type: 'stop-timeout', pending: pending.map((e) => e[0]) });
    void all.then(finish);
  }

  /** True if `promise` settled within `ms`. */
  #within(promise: Promise<unknown>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.#o.timers.setTimer(ms, () => {
        resolve(false);
      });
      const settle = (): void => {
        this.#o.timers.cancel(timer);
        resolve(true);
      };
      promise.then(settle, settle);
    });
  }

  // ---- write ----

  async #writeOnce(pending: Pending): Promise<void> {
    const device = this.#device;
    if (device === undefined) return;
    const o = this.#o;
    // Every attempt takes a new counter: readers only need it to grow, and a write that
    // failed halfway must not be confused with the next one.
    const counter = ++this.#counter;
    try {
      const record = encodeSlot(
        {
          clusterId: o.clusterId,
          nodeId: o.nodeId,
          slot: o.slot,
          incarnation: o.incarnation,
          counter,
          wallMs: Math.floor(o.clock.wallMs()),
        },
        this.#auth,
      );
      this.#block.set(record); // the rest of the block stays zero
      await device.write(this.#block, slotOffset(o.slot));
    } catch (error) {
      this.#opFailed('write', error);
      return;
    }
    this.#opOk('write');
    this.#writesDone++;
    this.#stats.writes++;
    this.#stats.lastWriteLatencyMs = o.clock.monotonicMs() - pending.startedMs;
  }

  // ---- read ----

  async #readRound(pending: Pending): Promise<void> {
    const device = this.#device;
    if (device === undefined) return;
    const o = this.#o;
    // Judging the read-back of our slot needs a write of ours completed before the read.
    const afterOwnWrite = this.#writesDone > 0;
    const slots: { slot: number; bytes: Uint8Array }[] = [];
    for (const run of this.#runs) {
      let data: Uint8Array;
      try {
        data = await device.read(run.offset, run.length);
      } catch (error) {
        this.#opFailed('read', error);
        continue;
      }
      this.#opOk('read');
      for (let k = 0; k < run.slotCount; k++) {
        const at = k * SLOT_STRIDE_BYTES;
        // Copied: the device reuses its buffer for the next read.
        slots.push({ slot: run.firstSlot + k, bytes: data.slice(at, at + SLOT_RECORD_BYTES) });
      }
    }
    if (this.#stopping) return;
    const now = o.clock.monotonicMs();
    const latency = now - pending.startedMs;
    this.#stats.reads++;
    this.#stats.lastReadLatencyMs = latency;
    // Progress seen by a read that took more than an interval may be older than the
    // detector would assume: keep it as a baseline, do not pass it on as a heartbeat.
    const late = latency > o.intervalMs;
    if (late) this.#stats.lateReads++;
    for (const { slot, bytes } of slots) {
      if (slot === o.slot) this.#judgeOwn(bytes, now, afterOwnWrite);
      const entry = this.#peers.find((p) => p.peer.slot === slot);
      if (entry !== undefined) this.#observe(entry, bytes, now, late);
    }
  }

  #observe(entry: PeerEntry, bytes: Uint8Array, now: number, late: boolean): void {
    const { peer } = entry;
    const decoded = decodeSlot(
      bytes,
      { clusterId: this.#o.clusterId, slot: peer.slot, nodeId: peer.nodeId },
      this.#auth,
    );
    const { state, observation } = observePeer(entry.reader, decoded, now, { late });
    entry.reader = state;
    switch (observation.type) {
      case 'heartbeat':
        entry.reportedReason = null;
        entry.inRegression = false;
        this.#stats.heartbeats++;
        this.#heartbeat(observation.heartbeat);
        return;
      case 'baseline':
      case 'silent':
        entry.reportedReason = null;
        entry.inRegression = false;
        return;
      case 'regressed':
        entry.reportedReason = null;
        this.#stats.anomalies++;
        if (!entry.inRegression) {
          entry.inRegression = true;
          const { kind, high, found } = observation;
          this.#problem({ type: 'peer-regressed', peer, kind, high, found });
        }
        return;
      case 'rejected': {
        // 'empty' is a peer that has not started yet: normal, not a problem.
        const { reason, record } = observation;
        if (reason === 'empty' || reason === entry.reportedReason) return;
        entry.reportedReason = reason;
        this.#problem(
          record === undefined
            ? { type: 'peer-slot-invalid', peer, reason }
            : { type: 'peer-slot-invalid', peer, reason, record },
        );
        return;
      }
    }
  }

  #judgeOwn(bytes: Uint8Array, now: number, afterOwnWrite: boolean): void {
    const o = this.#o;
    const decoded = decodeSlot(
      bytes,
      { clusterId: o.clusterId, slot: o.slot, nodeId: o.nodeId },
      this.#auth,
    );
    const { state, verdict } = judgeOwnSlot(
      this.#own,
      { bytes, decoded, nowMs: now, afterOwnWrite, issuedCounter: this.#counter },
      { nodeId: o.nodeId, incarnation: o.incarnation },
      { quietMs: o.claimQuietMs, overwriteForeign: o.overwriteForeign },
    );
    this.#own = state;
    const once = (key: 'busy' | 'foreign' | 'conflict', problem: DiskProblem): void => {
      if (this.#ownReported.has(key)) return;
      this.#ownReported.add(key);
      this.#problem(problem);
    };
    switch (verdict.type) {
      case 'claim':
        this.#ownReported.clear();
        if (verdict.previous.kind !== 'empty') {
          this.#problem({ type: 'slot-reclaimed', slot: o.slot, previous: verdict.previous });
        }
        // Our first beat need not wait for the next tick.
        if (!this.#stopping) this.#pollWrite(now);
        return;
      case 'wait':
        return;
      case 'busy':
        once('busy', { type: 'slot-busy', slot: o.slot, content: verdict.content });
        return;
      case 'foreign':
        once('foreign', { type: 'foreign-data', slot: o.slot });
        return;
      case 'ours':
        this.#ownReported.delete('conflict');
        return;
      case 'mismatch':
        this.#stats.ownSlotMismatches++;
        // One odd read-back can be a read torn by our own concurrent write (buffered I/O);
        // two in a row cannot.
        if (verdict.consecutive >= 2) {
          once('conflict', { type: 'slot-conflict', slot: o.slot, content: verdict.content });
        }
        return;
    }
  }

  // ---- reporting ----

  #opOk(op: DiskOp): void {
    const f = this.#failures.get(op);
    if (f === undefined || f.count === 0) return;
    this.#problem({ type: 'io-recovered', op, failures: f.count });
    this.#failures.delete(op);
  }

  #opFailed(op: DiskOp, cause: unknown): void {
    this.#stats.errors[op]++;
    const error = new DiskHeartbeatIoError(op, this.#o.path, cause);
    const { errno } = error.details;
    if ((op === 'read' || op === 'write') && errno !== undefined && REOPEN_ERRNOS.has(errno)) {
      this.#reopen = true;
    }
    const f = this.#failures.get(op) ?? { count: 0, errno: undefined };
    // Report the first failure of a run, and a change of cause; count the rest.
    if (f.count === 0 || f.errno !== errno) this.#problem({ type: 'io-error', op, error });
    this.#failures.set(op, { count: f.count + 1, errno });
  }

  #heartbeat(heartbeat: Heartbeat): void {
    try {
      this.#onHeartbeat(heartbeat);
    } catch {
      this.#stats.callbackErrors++;
    }
  }

  #problem(problem: DiskProblem): void {
    try {
      this.#onProblem(problem);
    } catch {
      this.#stats.callbackErrors++;
    }
  }
}

const done: Promise<void> = Promise.resolve();

function validate(o: DiskHeartbeatOptions): void {
  const integer = (name: string, value: number, min: number, max: number): void => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(name, value, `an integer from ${min} to ${max}`);
    }
  };
  integer('clusterId', o.clusterId, 0, 0xffff_ffff);
  integer('nodeId', o.nodeId, 0, 0xffff_ffff);
  integer('incarnation', o.incarnation, 0, Number.MAX_SAFE_INTEGER);
  slotOffset(o.slot);
  if (!(Number.isFinite(o.intervalMs) && o.intervalMs > 0)) {
    throw new InvalidArgumentError('intervalMs', o.intervalMs, 'a positive number of ms');
  }
  if (o.stalledAfterIntervals !== undefined) {
    integer('stalledAfterIntervals', o.stalledAfterIntervals, 1, 1_000_000);
  }
  for (const [name, value] of [
    ['claimQuietMs', o.claimQuietMs],
    ['stopTimeoutMs', o.stopTimeoutMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError(name, value, 'a non-negative number of ms');
    }
  }
  const slots = new Set([o.slot]);
  const nodes = new Set([o.nodeId]);
  o.peers.forEach((p, i) => {
    integer(`peers[${i}].nodeId`, p.nodeId, 0, 0xffff_ffff);
    slotOffset(p.slot);
    if (slots.has(p.slot)) {
      throw new InvalidArgumentError(`peers[${i}].slot`, p.slot, 'a slot no other node uses');
    }
    if (nodes.has(p.nodeId)) {
      throw new InvalidArgumentError(
        `peers[${i}].nodeId`,
        p.nodeId,
        'a node id not already listed',
      );
    }
    slots.add(p.slot);
    nodes.add(p.nodeId);
  });
}
