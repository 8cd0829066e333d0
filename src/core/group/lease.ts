// The holding lease: a node may hold exclusive resource groups only while members of its view
// holding a quorum of votes have recently confirmed that they are still in the same view. Pure.
//
// Every node pings every member of its view with its own clock's time t0 and the view's epoch.
// A member vouches for the pinger by echoing that t0 back, and only while it is in that same
// view: the echo rides on the member's own next ping to the pinger (every member pings every
// other anyway), so a pair of nodes exchanges one message per round instead of a ping and a
// pong each way. An echo of t0 extends that member's grant to t0 + leaseMs: t0 is taken before
// the ping left, and the member echoes it later still, so the grant ends no later than leaseMs
// after the member last vouched, whatever the delays on the way (an echo held back by the
// member's round only shortens the grant as seen from the pinger). A member that moves to
// another view echoes no more (its pings carry the new epoch, which the node ignores, and it
// forgets the t0s it heard in the old view), so the node's lease runs out at most leaseMs after
// that member's view change, and a survivor that waits more than leaseMs after its view change
// before taking a group over can never overlap with the node that held it (the node also has
// to notice: it is woken at its lease's end). A node stopped (paused) past its lease cannot
// release anything; the dead man switch resets it.
//
// A `pong` (an echo alone) is still understood: a member that does not ping (not the case
// today: node.ts ticks the lease on every node with a view) answers a ping with one.

import type { NodeNo } from '../cluster/node.js';
import { compareEpochs, type Epoch, type View } from './membership.js';
import type { Votes } from './quorum.js';

export type LeaseMessage =
  | {
      readonly type: 'ping';
      readonly epoch: Epoch;
      readonly t0: number;
      /** The t0 of the recipient's latest ping of this epoch that the sender heard, if any. */
      readonly echo?: number;
    }
  | { readonly type: 'pong'; readonly epoch: Epoch; readonly t0: number };

export interface LeaseTiming {
  readonly leaseMs: number;
  /** Pings go this often (well below leaseMs, so a lost answer or two does not end the lease). */
  readonly renewMs: number;
}

export interface LeaseState {
  readonly epoch: Epoch | null;
  /**
   * Per member, until when its last answer vouches for this view, as a flat list of pairs
   * (member, until, member, until, ...): every answer replaces it, and copying a short list of
   * numbers is much cheaper than copying a Map. Read it with grantOf.
   */
  readonly grants: readonly number[];
  /** Per member, the t0 of its latest ping of this view, to echo (pairs, like grants). */
  readonly heard: readonly number[];
  readonly nextPingMs: number;
}

const NONE: readonly number[] = Object.freeze([]);

/** The value for `member` in a flat list of pairs; -Infinity without one. */
function pairOf(pairs: readonly number[], member: NodeNo): number {
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === member) return pairs[i + 1] as number;
  return -Infinity;
}

/** `pairs` with `member`'s value raised to `value`; the same list when it is not a raise. */
function raised(pairs: readonly number[], member: NodeNo, value: number): readonly number[] {
  let i = 0;
  while (i < pairs.length && pairs[i] !== member) i += 2;
  if (i < pairs.length && (pairs[i + 1] as number) >= value) return pairs;
  const out = pairs.slice();
  out[i] = member;
  out[i + 1] = value;
  return out;
}

/** Until when `member`'s last echo vouches for the view; -Infinity without one. */
export function grantOf(s: LeaseState, member: NodeNo): number {
  return pairOf(s.grants, member);
}

export function createLease(nowMs: number): LeaseState {
  return { epoch: null, grants: NONE, heard: NONE, nextPingMs: nowMs };
}

/**
 * A new view: its pings are echoed no more, and only the grants of members that are in the new
 * view too carry over (until they expire). A member in both views was never in a view without
 * this node in between, so its last echo still vouches that nobody can have taken this node's
 * groups over: any partition that leaves this node out forms after that member left, and its
 * survivors wait more than leaseMs from then, by which time the carried grant has expired.
 * Without the carry-over every view change, a node joining included, would end every lease and
 * restart every group.
 */
export function leaseOnView(s: LeaseState, view: View, nowMs: number): LeaseState {
  const grants: number[] = [];
  for (let i = 0; i < s.grants.length; i += 2) {
    const member = s.grants[i] as number;
    if (view.members.includes(member)) grants.push(member, s.grants[i + 1] as number);
  }
  return {
    epoch: view.epoch,
    grants: grants.length === 0 ? NONE : grants,
    heard: NONE,
    nextPingMs: Math.min(s.nextPingMs, nowMs),
  };
}

export interface LeaseSend {
  readonly to: NodeNo;
  readonly msg: LeaseMessage;
}

/** The timer: pings every other member of the view when it is time. */
export function leaseTick(
  s: LeaseState,
  view: View | null,
  self: NodeNo,
  timing: LeaseTiming,
  nowMs: number,
): { state: LeaseState; sends: LeaseSend[] } {
  if (!view || nowMs < s.nextPingMs) return { state: s, sends: [] };
  const epoch = view.epoch;
  const sends: LeaseSend[] = [];
  for (const to of view.members) {
    if (to === self) continue;
    const echo = pairOf(s.heard, to);
    sends.push({
      to,
      msg:
        echo === -Infinity
          ? { type: 'ping', epoch, t0: nowMs }
          : { type: 'ping', epoch, t0: nowMs, echo },
    });
  }
  return { state: { ...s, nextPingMs: nowMs + timing.renewMs }, sends };
}

export function leaseOnMessage(
  s: LeaseState,
  view: View | null,
  from: NodeNo,
  msg: LeaseMessage,
  timing: LeaseTiming,
): { state: LeaseState; sends: LeaseSend[] } {
  const same = view !== null && compareEpochs(view.epoch, msg.epoch) === 0;
  if (!same || !view.members.includes(from)) return { state: s, sends: [] };
  // A ping: remember its t0 to echo (the latest, as pings may be reordered), and take its echo.
  // A pong: an echo alone.
  const echo = msg.type === 'ping' ? msg.echo : msg.t0;
  const heard = msg.type === 'ping' ? raised(s.heard, from, msg.t0) : s.heard;
  const grants = echo === undefined ? s.grants : raised(s.grants, from, echo + timing.leaseMs);
  if (heard === s.heard && grants === s.grants) return { state: s, sends: [] };
  return { state: { epoch: s.epoch, grants, heard, nextPingMs: s.nextPingMs }, sends: [] };
}

/**
 * Until when this node may hold exclusive groups: the time at which the members whose grants
 * are still running stop making a quorum (with this node's own vote); -Infinity when they do
 * not make one now.
 */
export function leaseUntil(
  s: LeaseState,
  view: View | null,
  self: NodeNo,
  votes: Votes,
  nowMs: number,
  /** The partition holds the tie-breaker: exactly half of the votes is a quorum too. */
  tieHeld = false,
): number {
  if (!view) return -Infinity;
  // Drop grants from the soonest to expire until the rest no longer make a quorum. A majority
  // counts, and exactly half when the partition holds the tie-breaker: this only needs the
  // votes the rest hold.
  const quorate = (h: number): boolean =>
    h * 2 > votes.total || (tieHeld && h > 0 && h * 2 === votes.total);
  const live: { readonly until: number; readonly votes: number }[] = [];
  let held = votes.byNode.get(self) ?? 0;
  for (const m of view.members) {
    if (m === self) continue;
    const until = grantOf(s, m);
    if (until > nowMs) {
      const v = votes.byNode.get(m) ?? 0;
      live.push({ until, votes: v });
      held += v;
    }
  }
  if (!quorate(held)) return -Infinity;
  live.sort((a, b) => a.until - b.until);
  for (const g of live) {
    held -= g.votes;
    if (!quorate(held)) return g.until;
  }
  return Infinity; // this node's own vote is a quorum (a one-node cluster)
}
