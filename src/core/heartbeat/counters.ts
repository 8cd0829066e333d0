// Heartbeats dropped, by reason: what `haven topology status` shows next to the detector's
// own counters. A plain record, replaced rather than mutated, like the rest of the core's
// state. The reasons come from the two layers a datagram crosses before the detector: the
// wire (wire.ts) and the replay guard (replay.ts).
import { REPLAY_REJECT_REASONS, type ReplayRejectReason } from './replay.js';
import { WIRE_REJECT_REASONS, type WireRejectReason } from './wire.js';

export type DropReason = WireRejectReason | ReplayRejectReason;

/** Every reason, in the order a datagram meets the checks: the order status lists them in. */
export const DROP_REASONS: readonly DropReason[] = [
  ...WIRE_REJECT_REASONS,
  ...REPLAY_REJECT_REASONS,
];

export type DropCounters = Readonly<Record<DropReason, number>>;

/** Every reason at zero, so status always lists them all. */
export function emptyDropCounters(): DropCounters {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}

/** `counters` with `count` (default 1) more drops for `reason`. */
export function addDrop(counters: DropCounters, reason: DropReason, count = 1): DropCounters {
  return { ...counters, [reason]: counters[reason] + count };
}

/** Reason by reason sums, e.g. the node's total over its sockets. */
export function sumDropCounters(parts: readonly DropCounters[]): DropCounters {
  const sum = { ...emptyDropCounters() };
  for (const part of parts) for (const r of DROP_REASONS) sum[r] += part[r];
  return sum;
}

export function totalDrops(counters: DropCounters): number {
  return DROP_REASONS.reduce((n, r) => n + counters[r], 0);
}
