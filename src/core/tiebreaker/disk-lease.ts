// The disk tie-breaker's decision: a lease held in one block of the shared disk of a diskhb
// network, taken and kept with a delta lease (sanlock's, after Fischer's mutual exclusion)
// that needs no shared clock: every time here is this node's own monotonic clock, and another
// node's liveness is seen only as a change of the block. Sans-I/O: inputs are asks, I/O
// completions (with their start and end times) and timer wake-ups; outputs are the reads and
// writes to issue, the answers and log lines. Why it is safe: README.md in this directory.
import {
  SLOT_RECORD_BYTES,
  SLOT_STRIDE_BYTES,
  decodeSlot,
  encodeSlot,
  type SlotAuthenticator,
  type SlotDecodeResult,
} from '../diskhb/slot.js';
import { InvalidArgumentError } from '../errors.js';

/**
 * The lease block sits where slot 1024 would: the configuration allows node slots 0 to 1023
 * only, so the block never collides with a heartbeat slot and never moves when nodes are added.
 */
export const DISK_LEASE_SLOT = 1024;
export const DISK_LEASE_OFFSET = DISK_LEASE_SLOT * SLOT_STRIDE_BYTES;
export const DISK_LEASE_BLOCK_BYTES = SLOT_STRIDE_BYTES;
/** The smallest device that holds the lease block (4 MiB + 4 KiB). */
export const DISK_LEASE_MIN_DEVICE_BYTES = DISK_LEASE_OFFSET + DISK_LEASE_BLOCK_BYTES;

export const DISK_LEASE_DEFAULTS = {
  /** Added to leaseMs before an unchanged block is judged abandoned (slack for clock rates). */
  marginMs: 2000,
  /** D: the longest a claim's write may end after the read that allowed it. */
  writeDelayMs: 1000,
  /** How long a claim waits after its write before reading again: D plus 10% for clock rates. */
  settleMs: 1100,
  /** An ask waiting on one read or write longer than this is denied. */
  ioTimeoutMs: 500,
  /** The background read that watches the block for changes while nothing else is going on. */
  pollMs: 1000,
} as const;

export interface DiskLeaseOptions {
  readonly clusterId: number;
  readonly nodeId: number;
  /** This agent's life: grows with every restart, so a restarted node's old record is foreign. */
  readonly incarnation: number;
  /** How long the asker believes a grant, from its ask. */
  readonly leaseMs: number;
  readonly marginMs?: number;
  readonly writeDelayMs?: number;
  readonly settleMs?: number;
  readonly ioTimeoutMs?: number;
  readonly pollMs?: number;
  /** Sign and verify the record with the cluster key, as the heartbeat slots are. */
  readonly authenticator?: SlotAuthenticator | undefined;
}

type Params = Required<Omit<DiskLeaseOptions, 'authenticator'>>;

interface Ask {
  readonly requestId: string;
  readonly atMs: number;
  readonly wallMs: number;
}

/** The record we last wrote with success: while it is on the disk, the lease is ours. */
interface Held {
  readonly block: Uint8Array;
  readonly writeStartMs: number;
}

/** The block as last read, and the end of the first read that returned these bytes. */
interface Seen {
  readonly block: Uint8Array;
  readonly firstSeenMs: number;
}

/**
 * The I/O sequence that serves one ask. It runs to its end even when its ask is answered
 * early (timeout, superseded): what it learns and writes still counts for the next ask.
 * A step whose I/O has not started yet is one with `io === null`.
 */
type Sequence =
  | { readonly kind: 'read'; readonly ask: Ask }
  | {
      readonly kind: 'write';
      readonly mode: 'claim' | 'renew';
      readonly ask: Ask;
      readonly block: Uint8Array;
      /** claim: the start of the read that allowed it; renew: our previous write's start. */
      readonly sinceMs: number;
    }
  | {
      readonly kind: 'settle' | 'reread';
      readonly ask: Ask;
      readonly block: Uint8Array;
      readonly untilMs: number;
      readonly writeStartMs: number;
    };

interface Io {
  readonly kind: 'read' | 'write';
  readonly startMs: number;
  readonly purpose: 'poll' | 'sequence';
}

export interface DiskLeaseState {
  readonly p: Params;
  readonly auth: SlotAuthenticator | undefined;
  /** The ask to be answered; at most one. */
  readonly pending: Ask | null;
  readonly seq: Sequence | null;
  /** At most one read or write in flight: a hung device holds one thread, not many. */
  readonly io: Io | null;
  readonly seen: Seen | null;
  readonly held: Held | null;
  /** The last counter written (each write, failed or not, uses a new one). */
  readonly counter: number;
  readonly nextPollMs: number;
  /** What was last logged as a finding, so that a lasting condition is logged once. */
  readonly reported: string | null;
  readonly closed: boolean;
}

export type DiskLeaseReason =
  | 'claimed'
  | 'renewed'
  | 'busy'
  | 'waiting'
  | 'foreign-data'
  | 'slow-read'
  | 'slow-write'
  | 'late-renewal'
  | 'lost-race'
  | 'io-timeout'
  | 'io-error'
  | 'superseded'
  | 'closed';

export type DiskLeaseInput =
  | {
      readonly type: 'ask';
      readonly requestId: string;
      readonly nowMs: number;
      readonly wallMs: number;
    }
  /** A read of the lease block: `startMs` before it was issued, `nowMs` when it returned. */
  | {
      readonly type: 'read-done';
      readonly startMs: number;
      readonly nowMs: number;
      readonly block: Uint8Array;
    }
  | { readonly type: 'write-done'; readonly startMs: number; readonly nowMs: number }
  | {
      readonly type: 'io-failed';
      readonly op: 'read' | 'write';
      readonly startMs: number;
      readonly nowMs: number;
      readonly error: string;
    }
  | { readonly type: 'timer'; readonly nowMs: number }
  | { readonly type: 'close'; readonly nowMs: number };

export type DiskLeaseEffect =
  /** Read DISK_LEASE_BLOCK_BYTES at DISK_LEASE_OFFSET; report 'read-done' or 'io-failed'. */
  | { readonly type: 'read' }
  /** Write `block` (DISK_LEASE_BLOCK_BYTES) at DISK_LEASE_OFFSET; report 'write-done' or 'io-failed'. */
  | { readonly type: 'write'; readonly block: Uint8Array }
  | {
      readonly type: 'answer';
      readonly requestId: string;
      readonly granted: boolean;
      readonly reason: DiskLeaseReason;
    }
  | {
      readonly type: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly message: string;
      readonly fields: Readonly<Record<string, unknown>>;
    };

export interface DiskLeaseResult {
  readonly state: DiskLeaseState;
  readonly effects: readonly DiskLeaseEffect[];
  /** When to feed a 'timer' input next; null: no timer needed. */
  readonly wakeAtMs: number | null;
}

export function createDiskLease(o: DiskLeaseOptions, nowMs: number): DiskLeaseResult {
  const p: Params = {
    clusterId: o.clusterId,
    nodeId: o.nodeId,
    incarnation: o.incarnation,
    leaseMs: o.leaseMs,
    marginMs: o.marginMs ?? DISK_LEASE_DEFAULTS.marginMs,
    writeDelayMs: o.writeDelayMs ?? DISK_LEASE_DEFAULTS.writeDelayMs,
    settleMs: o.settleMs ?? DISK_LEASE_DEFAULTS.settleMs,
    ioTimeoutMs: o.ioTimeoutMs ?? DISK_LEASE_DEFAULTS.ioTimeoutMs,
    pollMs: o.pollMs ?? DISK_LEASE_DEFAULTS.pollMs,
  };
  for (const k of ['leaseMs', 'marginMs', 'writeDelayMs', 'ioTimeoutMs', 'pollMs'] as const) {
    if (!(Number.isFinite(p[k]) && p[k] > 0)) {
      throw new InvalidArgumentError(k, p[k], 'a positive number of milliseconds');
    }
  }
  // A claim's write may land up to D after the read; the rereads must come later than that.
  if (!(p.settleMs >= p.writeDelayMs)) {
    throw new InvalidArgumentError(
      'settleMs',
      p.settleMs,
      `at least writeDelayMs (${String(p.writeDelayMs)})`,
    );
  }
  const state: DiskLeaseState = {
    p,
    auth: o.authenticator,
    pending: null,
    seq: null,
    io: null,
    seen: null,
    held: null,
    counter: 0,
    nextPollMs: nowMs,
    reported: null,
    closed: false,
  };
  return stepDiskLease(state, { type: 'timer', nowMs });
}

/** Whether the lease is ours as far as this node knows (for status displays; not a grant). */
export function diskLeaseHeld(s: DiskLeaseState): boolean {
  return s.held !== null;
}

export function stepDiskLease(state: DiskLeaseState, input: DiskLeaseInput): DiskLeaseResult {
  const s: Mutable<DiskLeaseState> = { ...state };
  const fx: DiskLeaseEffect[] = [];
  const now = input.nowMs;
  switch (input.type) {
    case 'ask':
      onAsk(s, input, fx);
      break;
    case 'read-done':
      onReadDone(s, input.startMs, now, input.block.slice(0, DISK_LEASE_BLOCK_BYTES), fx);
      break;
    case 'write-done':
      onWriteDone(s, input.startMs, now, fx);
      break;
    case 'io-failed':
      onIoFailed(s, input, fx);
      break;
    case 'timer':
      onTimer(s, now, fx);
      break;
    case 'close':
      s.closed = true;
      if (s.pending) answer(s, s.pending, false, 'closed', fx);
      break;
  }
  kick(s, now, fx);
  return { state: s, effects: fx, wakeAtMs: wakeAt(s) };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type S = Mutable<DiskLeaseState>;

function onAsk(s: S, input: Extract<DiskLeaseInput, { type: 'ask' }>, fx: DiskLeaseEffect[]): void {
  const ask: Ask = { requestId: input.requestId, atMs: input.nowMs, wallMs: input.wallMs };
  if (s.pending) answer(s, s.pending, false, 'superseded', fx);
  if (s.closed) {
    fx.push({ type: 'answer', requestId: ask.requestId, granted: false, reason: 'closed' });
    return;
  }
  s.pending = ask;
  // A device already stuck longer than the timeout: no point waiting for it.
  if (s.io && input.nowMs >= s.io.startMs + s.p.ioTimeoutMs) timeOut(s, input.nowMs, fx);
}

function onTimer(s: S, now: number, fx: DiskLeaseEffect[]): void {
  if (s.io && s.pending && now >= s.io.startMs + s.p.ioTimeoutMs) timeOut(s, now, fx);
}

function timeOut(s: S, now: number, fx: DiskLeaseEffect[]): void {
  const io = s.io;
  if (!s.pending || !io) return;
  report(
    s,
    'io-timeout',
    'warn',
    `a ${io.kind} of the disk tie-breaker's lease block has not returned within ${String(s.p.ioTimeoutMs)}ms: denied (is the shared disk hung or failing over?)`,
    { pendingMs: now - io.startMs },
    fx,
  );
  answer(s, s.pending, false, 'io-timeout', fx);
}

function onReadDone(
  s: S,
  startMs: number,
  endMs: number,
  block: Uint8Array,
  fx: DiskLeaseEffect[],
): void {
  const io = s.io;
  s.io = null;
  s.nextPollMs = endMs + s.p.pollMs;
  if (s.reported === 'io-timeout' || s.reported === 'io-error') {
    report(s, null, 'info', 'the lease block of the disk tie-breaker reads again', {}, fx);
  }
  // A write lands before the end of the first read that returns it: from this instant on, a
  // writer that stays silent leaves these bytes as they are.
  if (s.seen === null || !equal(s.seen.block, block)) {
    s.seen = { block, firstSeenMs: endMs };
  }
  const seq = s.seq;
  if (io?.purpose !== 'sequence' || seq === null) return;
  if (seq.kind === 'read') decide(s, seq.ask, startMs, endMs, block, fx);
  else if (seq.kind === 'reread') {
    if (equal(block, seq.block)) {
      s.held = { block: seq.block, writeStartMs: seq.writeStartMs };
      report(s, 'holder', 'info', 'this node took the disk tie-breaker lease', {}, fx);
      finish(s, seq.ask, true, 'claimed', fx);
    } else {
      // Another contender wrote after us: it may win, we must not.
      finish(s, seq.ask, false, 'lost-race', fx);
    }
  }
}

/** The sequence's first read has returned: renew, claim, or deny. */
function decide(
  s: S,
  ask: Ask,
  readStartMs: number,
  readEndMs: number,
  block: Uint8Array,
  fx: DiskLeaseEffect[],
): void {
  const p = s.p;
  const held = s.held;
  if (held) {
    if (!equal(block, held.block)) {
      s.held = null;
      report(
        s,
        'lost',
        'warn',
        'this node lost the disk tie-breaker lease: another node wrote the lease block',
        { found: describe(s, block) },
        fx,
      );
    } else if (readStartMs - held.writeStartMs < p.leaseMs) {
      s.seq = {
        kind: 'write',
        mode: 'renew',
        ask,
        block: nextRecord(s, ask),
        sinceMs: held.writeStartMs,
      };
      return;
    } else {
      // Too long since our last write: a contender may be about to judge it abandoned.
      s.held = null;
    }
  }
  const d = decodeSlot(
    block.subarray(0, SLOT_RECORD_BYTES),
    { clusterId: p.clusterId, slot: DISK_LEASE_SLOT },
    s.auth,
  );
  if (!d.ok && d.reason === 'bad-magic') {
    report(
      s,
      'foreign',
      'error',
      `the disk tie-breaker's lease block (byte offset ${String(DISK_LEASE_OFFSET)}) holds data that is not Haven's: not overwritten, every ask denied. Check that the diskhb network's device is the shared disk meant for Haven; if it is and the data is not needed, zero that 4 KiB block`,
      {},
      fx,
    );
    finish(s, ask, false, 'foreign-data', fx);
    return;
  }
  if (!d.ok && d.reason !== 'empty') {
    report(
      s,
      `invalid:${d.reason}`,
      'warn',
      `the disk tie-breaker's lease block holds an unusable record (${d.reason}): it will be taken over once it stays unchanged for ${String(p.leaseMs + p.marginMs)}ms`,
      d.record ? { record: d.record } : {},
      fx,
    );
  }
  const seen = s.seen;
  const quiet = p.leaseMs + p.marginMs;
  // Never written: nobody ever held it. Otherwise the bytes must have stayed as they are for
  // leaseMs + margin, counted to the ask (which is before this read's start): a holder that
  // renews on time changes them sooner, and any belief it had, ending leaseMs after its
  // last ask, is over before ours begins.
  const claim =
    (!d.ok && d.reason === 'empty') ||
    (seen !== null &&
      equal(seen.block, block) &&
      readStartMs - seen.firstSeenMs >= quiet &&
      ask.atMs - seen.firstSeenMs >= quiet);
  if (claim && readEndMs - readStartMs >= p.writeDelayMs) {
    // The write could only end later still: it would fail the D rule below, and it would
    // only disturb the other nodes' watch of the block.
    report(
      s,
      'slow-read',
      'warn',
      `a read of the disk tie-breaker's lease block took ${String(Math.round(readEndMs - readStartMs))}ms: no claim (the disk must answer within ${String(p.writeDelayMs)}ms)`,
      {},
      fx,
    );
    finish(s, ask, false, 'slow-read', fx);
    return;
  }
  if (claim) {
    s.seq = { kind: 'write', mode: 'claim', ask, block: nextRecord(s, ask), sinceMs: readStartMs };
    return;
  }
  const changedNow = seen === null || seen.firstSeenMs > readStartMs;
  finish(s, ask, false, changedNow ? 'busy' : 'waiting', fx);
}

function onWriteDone(s: S, startMs: number, endMs: number, fx: DiskLeaseEffect[]): void {
  s.io = null;
  const seq = s.seq;
  if (seq?.kind !== 'write') return;
  const p = s.p;
  if (seq.mode === 'claim') {
    if (endMs - seq.sinceMs > p.writeDelayMs) {
      // The write may have landed after a rival's reread: we cannot know, so we do not win.
      s.held = null;
      report(
        s,
        'slow-write',
        'warn',
        `a write of the disk tie-breaker's lease block took ${String(Math.round(endMs - startMs))}ms: claim denied (the disk must answer within ${String(p.writeDelayMs)}ms)`,
        {},
        fx,
      );
      finish(s, seq.ask, false, 'slow-write', fx);
      return;
    }
    s.seq = {
      kind: 'settle',
      ask: seq.ask,
      block: seq.block,
      untilMs: endMs + p.settleMs,
      writeStartMs: startMs,
    };
    return;
  }
  // Renewal: a rival judges the block abandoned only leaseMs + margin after it first saw our
  // previous record, which landed after that record's write started. Ending within leaseMs
  // of that start, our write is on the disk before the rival's confirming read: it sees it.
  if (endMs - seq.sinceMs <= p.leaseMs) {
    s.held = { block: seq.block, writeStartMs: startMs };
    finish(s, seq.ask, true, 'renewed', fx);
  } else {
    s.held = null;
    report(
      s,
      'late-renewal',
      'warn',
      `a renewal of the disk tie-breaker lease ended ${String(Math.round(endMs - seq.sinceMs))}ms after the previous write began (more than the lease, ${String(p.leaseMs)}ms): lease given up`,
      {},
      fx,
    );
    finish(s, seq.ask, false, 'late-renewal', fx);
  }
}

function onIoFailed(
  s: S,
  input: Extract<DiskLeaseInput, { type: 'io-failed' }>,
  fx: DiskLeaseEffect[],
): void {
  const io = s.io;
  s.io = null;
  if (input.op === 'read') s.nextPollMs = input.nowMs + s.p.pollMs;
  // A failed write may still have reached the disk, or part of it: the lease is not ours.
  if (input.op === 'write') s.held = null;
  report(
    s,
    'io-error',
    'warn',
    `a ${input.op} of the disk tie-breaker's lease block failed: denied`,
    { error: input.error },
    fx,
  );
  const seq = s.seq;
  if (io?.purpose === 'sequence' && seq !== null) finish(s, seq.ask, false, 'io-error', fx);
}

/** Starts whatever can start now: the next I/O of the sequence, a new sequence, or a poll. */
function kick(s: S, now: number, fx: DiskLeaseEffect[]): void {
  if (s.closed || s.io) return;
  if (s.seq === null && s.pending) s.seq = { kind: 'read', ask: s.pending };
  const seq = s.seq;
  if (seq === null) {
    if (now >= s.nextPollMs) startIo(s, 'read', 'poll', now, fx);
    return;
  }
  switch (seq.kind) {
    case 'read':
    case 'reread':
      startIo(s, 'read', 'sequence', now, fx);
      break;
    case 'write':
      startIo(s, 'write', 'sequence', now, fx, seq.block);
      break;
    case 'settle':
      if (now >= seq.untilMs) {
        s.seq = { ...seq, kind: 'reread' };
        startIo(s, 'read', 'sequence', now, fx);
      }
      break;
  }
}

function startIo(
  s: S,
  kind: 'read' | 'write',
  purpose: Io['purpose'],
  now: number,
  fx: DiskLeaseEffect[],
  block?: Uint8Array,
): void {
  s.io = { kind, startMs: now, purpose };
  fx.push(kind === 'read' || block === undefined ? { type: 'read' } : { type: 'write', block });
}

function wakeAt(s: S): number | null {
  if (s.closed) return null;
  if (s.io) return s.pending ? s.io.startMs + s.p.ioTimeoutMs : null;
  if (s.seq?.kind === 'settle') return s.seq.untilMs;
  if (s.seq === null) return s.nextPollMs;
  return null;
}

/** Ends the sequence; answers its ask if that is still the one waiting. */
function finish(
  s: S,
  ask: Ask,
  granted: boolean,
  reason: DiskLeaseReason,
  fx: DiskLeaseEffect[],
): void {
  s.seq = null;
  if (s.pending === ask) answer(s, ask, granted, reason, fx);
}

function answer(
  s: S,
  ask: Ask,
  granted: boolean,
  reason: DiskLeaseReason,
  fx: DiskLeaseEffect[],
): void {
  if (s.pending === ask) s.pending = null;
  fx.push({ type: 'answer', requestId: ask.requestId, granted, reason });
}

function nextRecord(s: S, ask: Ask): Uint8Array {
  s.counter += 1;
  const record = encodeSlot(
    {
      clusterId: s.p.clusterId,
      nodeId: s.p.nodeId,
      slot: DISK_LEASE_SLOT,
      incarnation: s.p.incarnation,
      counter: s.counter,
      wallMs: ask.wallMs,
    },
    s.auth,
  );
  const block = new Uint8Array(DISK_LEASE_BLOCK_BYTES);
  block.set(record);
  return block;
}

/** Logs a finding when it differs from the last one logged (null: clear, log nothing more). */
function report(
  s: S,
  key: string | null,
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown>,
  fx: DiskLeaseEffect[],
): void {
  if (key !== null && key === s.reported) return;
  s.reported = key;
  fx.push({ type: 'log', level, message, fields });
}

function describe(s: S, block: Uint8Array): unknown {
  const d: SlotDecodeResult = decodeSlot(
    block.subarray(0, SLOT_RECORD_BYTES),
    { clusterId: s.p.clusterId, slot: DISK_LEASE_SLOT },
    s.auth,
  );
  return d.ok
    ? { node: d.slot.nodeId, incarnation: d.slot.incarnation, counter: d.slot.counter }
    : d.reason;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
