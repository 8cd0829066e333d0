// Progress tracking of one peer's slot: successive reads in, heartbeats for the failure
// detector out, but only when the peer's counter has moved since we last looked. A slot on
// a disk keeps its last record forever, so a record being there proves nothing; a record
// that changed proves its writer ran between our two reads. Pure; each read returns a new
// state.
import type { Heartbeat } from '../topology/detector.js';
import type { InterfaceId, NetworkId } from '../topology/model.js';
import {
  SLOT_DECODE_FAILURES,
  type SlotDecodeFailure,
  type SlotDecodeResult,
  type SlotRecord,
} from './slot.js';

export interface PeerSlotSpec {
  /** The peer's diskhb interface: the detector's `fromInterface`. */
  readonly interfaceId: InterfaceId;
  readonly network: NetworkId;
  readonly nodeId: number;
  readonly slot: number;
}

export interface SlotProgress {
  readonly incarnation: number;
  readonly counter: number;
  /** The writer's wall clock at that write: display only. */
  readonly wallMs: number;
}

export interface PeerReaderCounters {
  readonly reads: number;
  /** Reads that showed progress and were passed on as heartbeats. */
  readonly heartbeats: number;
  /** Of those, the ones that showed a new incarnation (the peer's agent restarted). */
  readonly restarts: number;
  /** Valid reads that proved nothing about now: the first look, or a late read. */
  readonly baselines: number;
  /** Reads that showed the same counter as before. */
  readonly silent: number;
  /** Reads that showed progress, but too late to vouch for the present (see `late`). */
  readonly late: number;
  /** Same incarnation, lower counter: a second writer, or an old copy of the disk. */
  readonly counterRegressions: number;
  /** Lower incarnation than already seen: a writer from the past. */
  readonly incarnationRegressions: number;
  readonly rejected: Readonly<Record<SlotDecodeFailure, number>>;
}

export interface PeerReaderState {
  readonly spec: PeerSlotSpec;
  /**
   * The highest (incarnation, counter) seen. Only progress beyond it counts as liveness,
   * exactly as the detector only accepts a seq above the last one: what went backwards is
   * reported, never believed.
   */
  readonly high: SlotProgress | null;
  /** Nothing valid seen yet, and the last read found the slot never written. */
  readonly sawEmpty: boolean;
  /** The outcome of the most recent read, null before the first. */
  readonly lastOutcome: 'ok' | SlotDecodeFailure | null;
  readonly counters: PeerReaderCounters;
}

export type PeerObservation =
  | {
      readonly type: 'heartbeat';
      /** Ready for the detector's onHeartbeat: seq is the counter. */
      readonly heartbeat: Heartbeat;
      readonly restarted: boolean;
    }
  | { readonly type: 'baseline'; readonly why: 'first' | 'late' }
  | { readonly type: 'silent' }
  | {
      readonly type: 'regressed';
      readonly kind: 'counter' | 'incarnation';
      readonly high: SlotProgress;
      readonly found: SlotProgress;
    }
  | { readonly type: 'rejected'; readonly reason: SlotDecodeFailure; readonly record?: SlotRecord };

export interface ObserveOptions {
  /**
   * The read took so long (a slow or recovering device) that what it saw may be old news.
   * Progress then moves the high-water mark but is not passed on as a heartbeat.
   * @default false
   */
  readonly late?: boolean;
}

export interface ObserveResult {
  readonly state: PeerReaderState;
  readonly observation: PeerObservation;
}

const zeroRejected = Object.fromEntries(SLOT_DECODE_FAILURES.map((r) => [r, 0])) as Record<
  SlotDecodeFailure,
  number
>;

const zeroCounters: PeerReaderCounters = {
  reads: 0,
  heartbeats: 0,
  restarts: 0,
  baselines: 0,
  silent: 0,
  late: 0,
  counterRegressions: 0,
  incarnationRegressions: 0,
  rejected: zeroRejected,
};

export function createPeerReader(spec: PeerSlotSpec): PeerReaderState {
  return { spec, high: null, sawEmpty: false, lastOutcome: null, counters: zeroCounters };
}

/**
 * One read of the peer's slot, decoded (with the peer's node id expected), at monotonic
 * time `nowMs`. Progress is: a higher counter in the same incarnation, or a higher
 * incarnation (the peer restarted). The first valid record is only a baseline (it may have
 * been written long ago by a peer now dead), unless the slot was read empty before it: then
 * it was written since, and that is progress.
 */
export function observePeer(
  state: PeerReaderState,
  read: SlotDecodeResult,
  nowMs: number,
  options: ObserveOptions = {},
): ObserveResult {
  const c = { ...state.counters, reads: state.counters.reads + 1 };
  if (!read.ok) {
    c.rejected = { ...c.rejected, [read.reason]: c.rejected[read.reason] + 1 };
    const observation: PeerObservation =
      read.record === undefined
        ? { type: 'rejected', reason: read.reason }
        : { type: 'rejected', reason: read.reason, record: read.record };
    return {
      state: {
        ...state,
        // A zeroed slot after valid ones says nothing new: only "never written yet" counts.
        sawEmpty: state.high === null && (read.reason === 'empty' || state.sawEmpty),
        lastOutcome: read.reason,
        counters: c,
      },
      observation,
    };
  }

  const found: SlotProgress = {
    incarnation: read.slot.incarnation,
    counter: read.slot.counter,
    wallMs: read.slot.wallMs,
  };
  const { high } = state;
  const next = (h: SlotProgress | null, observation: PeerObservation): ObserveResult => ({
    state: { ...state, high: h, sawEmpty: false, lastOutcome: 'ok', counters: c },
    observation,
  });

  if (high === null && !state.sawEmpty) {
    c.baselines++;
    return next(found, { type: 'baseline', why: 'first' });
  }
  if (high !== null && found.incarnation < high.incarnation) {
    c.incarnationRegressions++;
    return next(high, { type: 'regressed', kind: 'incarnation', high, found });
  }
  const restarted = high !== null && found.incarnation > high.incarnation;
  if (high !== null && !restarted) {
    if (found.counter === high.counter) {
      c.silent++;
      return next(high, { type: 'silent' });
    }
    if (found.counter < high.counter) {
      c.counterRegressions++;
      return next(high, { type: 'regressed', kind: 'counter', high, found });
    }
  }
  if (options.late === true) {
    c.late++;
    c.baselines++;
    return next(found, { type: 'baseline', why: 'late' });
  }
  c.heartbeats++;
  if (restarted) c.restarts++;
  const { spec } = state;
  return next(found, {
    type: 'heartbeat',
    heartbeat: {
      fromInterface: spec.interfaceId,
      network: spec.network,
      nowMs,
      incarnation: found.incarnation,
      seq: found.counter,
    },
    restarted,
  });
}
