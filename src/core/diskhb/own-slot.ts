// Our own slot: when we may start writing it, and whether what we read back is still ours.
// A shared disk can hold anything in our slot when we arrive: nothing (a fresh disk), our
// previous life, a previous cluster's record, a live writer that was configured into the
// same slot by mistake, or a file system or partition table on a device named wrongly.
// Overwriting the last two would break someone else, so we only take a slot that is empty
// or has stayed unchanged for a quiet period, and never one holding non-Haven data unless
// told to. Pure; each read returns a new state.
import type { SlotDecodeFailure, SlotDecodeResult, SlotRecord } from './slot.js';

export interface OwnSlotIdentity {
  readonly nodeId: number;
  readonly incarnation: number;
}

export interface OwnSlotPolicy {
  /**
   * How long a non-empty slot must stay byte-for-byte unchanged before we take it over: a
   * writer still alive would have changed it. Use a few of the slowest writers' intervals.
   */
  readonly quietMs: number;
  /**
   * Take over a slot holding data that is not a Haven record (no magic). Off by default: it
   * usually means the device path names the wrong disk. @default false
   */
  readonly overwriteForeign?: boolean;
}

export type OwnSlotState =
  | {
      readonly phase: 'unclaimed';
      /** What the slot held at the first read of the current quiet period, and when. */
      readonly seen: { readonly bytes: Uint8Array; readonly sinceMs: number } | null;
    }
  | {
      readonly phase: 'claimed';
      /** Consecutive read-backs that did not show our own record. */
      readonly mismatches: number;
    };

/** What the slot held, for messages: a decode failure reason, or a valid record's owner. */
export type OwnSlotContent =
  | { readonly kind: 'empty' }
  | { readonly kind: 'record'; readonly record: SlotRecord }
  | { readonly kind: 'invalid'; readonly reason: SlotDecodeFailure; readonly record?: SlotRecord };

export type OwnSlotVerdict =
  /** Start writing. `previous` is what we overwrite (empty on a fresh disk). */
  | { readonly type: 'claim'; readonly previous: OwnSlotContent }
  /** Not yet: the content must stay unchanged until `untilMs`. */
  | { readonly type: 'wait'; readonly untilMs: number; readonly content: OwnSlotContent }
  /** The content changed since the last read: someone is writing our slot. */
  | { readonly type: 'busy'; readonly content: OwnSlotContent }
  /** Not a Haven record, and the policy forbids overwriting it. */
  | { readonly type: 'foreign' }
  /** Claimed, and the read-back is ours (or could not be judged yet). */
  | { readonly type: 'ours' }
  /** Claimed, but the read-back is not our record. */
  | { readonly type: 'mismatch'; readonly consecutive: number; readonly content: OwnSlotContent };

export interface OwnSlotRead {
  /** The record bytes as read (SLOT_RECORD_BYTES). Compared, not kept by reference. */
  readonly bytes: Uint8Array;
  /** `bytes` decoded with our own node id expected. */
  readonly decoded: SlotDecodeResult;
  readonly nowMs: number;
  /**
   * Claimed phase: one of our writes had completed when this read started. Until then the
   * read-back cannot be judged: it may still show what we are overwriting.
   */
  readonly afterOwnWrite: boolean;
  /** Claimed phase: the highest counter we have issued so far (a write may be in flight). */
  readonly issuedCounter: number;
}

export const initialOwnSlot: OwnSlotState = { phase: 'unclaimed', seen: null };

export function judgeOwnSlot(
  state: OwnSlotState,
  read: OwnSlotRead,
  me: OwnSlotIdentity,
  policy: OwnSlotPolicy,
): { readonly state: OwnSlotState; readonly verdict: OwnSlotVerdict } {
  const content = describe(read.decoded);

  if (state.phase === 'claimed') {
    if (!read.afterOwnWrite) return { state, verdict: { type: 'ours' } };
    const d = read.decoded;
    // A read racing our write may show the previous write or the new one, never one beyond.
    const ours =
      d.ok &&
      d.slot.nodeId === me.nodeId &&
      d.slot.incarnation === me.incarnation &&
      d.slot.counter <= read.issuedCounter;
    if (ours) return { state: { phase: 'claimed', mismatches: 0 }, verdict: { type: 'ours' } };
    const consecutive = state.mismatches + 1;
    return {
      state: { phase: 'claimed', mismatches: consecutive },
      verdict: { type: 'mismatch', consecutive, content },
    };
  }

  if (content.kind === 'empty') {
    return {
      state: { phase: 'claimed', mismatches: 0 },
      verdict: { type: 'claim', previous: content },
    };
  }
  if (
    content.kind === 'invalid' &&
    content.reason === 'bad-magic' &&
    policy.overwriteForeign !== true
  ) {
    return { state: { phase: 'unclaimed', seen: null }, verdict: { type: 'foreign' } };
  }
  const { seen } = state;
  if (seen === null || !sameBytes(seen.bytes, read.bytes)) {
    const next: OwnSlotState = {
      phase: 'unclaimed',
      seen: { bytes: read.bytes.slice(), sinceMs: read.nowMs },
    };
    return {
      state: next,
      verdict:
        seen === null
          ? { type: 'wait', untilMs: read.nowMs + policy.quietMs, content }
          : { type: 'busy', content },
    };
  }
  if (read.nowMs - seen.sinceMs >= policy.quietMs) {
    return {
      state: { phase: 'claimed', mismatches: 0 },
      verdict: { type: 'claim', previous: content },
    };
  }
  return { state, verdict: { type: 'wait', untilMs: seen.sinceMs + policy.quietMs, content } };
}

function describe(d: SlotDecodeResult): OwnSlotContent {
  if (d.ok) return { kind: 'record', record: d.slot };
  if (d.reason === 'empty') return { kind: 'empty' };
  return d.record === undefined
    ? { kind: 'invalid', reason: d.reason }
    : { kind: 'invalid', reason: d.reason, record: d.record };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
