// The holding lease: a node may hold exclusive resource groups only while members of its view
// holding a quorum of votes have recently confirmed that they are still in the same view. Pure.
//
// The node pings every member of its view with its own clock's time t0 and the view's epoch; a
// member answers only while it is in that same view. An answer extends that member's grant to
// t0 + leaseMs: t0 is taken before the ping left, so the grant ends no later than leaseMs
// after the member answered, whatever the delays on the way. A member that moves to another
// view answers no more, so the node's lease runs out at most leaseMs after that member's view
// change, and a survivor that waits more than leaseMs after its view change before taking a
// group over can never overlap with the node that held it (the node also has to notice: it is
// woken at its lease's end). A node stopped (paused) past its lease cannot release anything;
// the dead man switch resets it.

import type { NodeNo } from '../cluster/node.js';
import { compareEpochs, type Epoch, type View } from './membership.js';
import type { Votes } from './quorum.js';

export type LeaseMessage =
  | { readonly type: 'ping'; readonly epoch: Epoch; readonly t0: number }
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
  readonly nextPingMs: number;
}

const NO_GRANTS: readonly number[] = Object.freeze([]);

/** Until when `member`'s last answer vouches for the view; -Infinity without one. */
export function grantOf(s: LeaseState, member: NodeNo): number {
  const g = s.grants;
  for (let i = 0; i < g.length; i += 2) if (g[i] === member) return g[i + 1] as number;
  return -Infinity;
}

export function createLease(nowMs: number): LeaseState {
  return { epoch: null, grants: NO_GRANTS, nextPingMs: nowMs };
}

/** A new view: grants of the old one count no more. */
export function leaseOnView(s: LeaseState, view: View, nowMs: number): LeaseState {
  return { epoch: view.epoch, grants: NO_GRANTS, nextPingMs: Math.min(s.nextPingMs, nowMs) };
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
  const msg: LeaseMessage = { type: 'ping', epoch: view.epoch, t0: nowMs };
  return {
    state: { ...s, nextPingMs: nowMs + timing.renewMs },
    sends: view.members.filter((m) => m !== self).map((to) => ({ to, msg })),
  };
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
  if (msg.type === 'ping') {
    return { state: s, sends: [{ to: from, msg: { type: 'pong', epoch: msg.epoch, t0: msg.t0 } }] };
  }
  const until = msg.t0 + timing.leaseMs;
  const g = s.grants;
  let i = 0;
  while (i < g.length && g[i] !== from) i += 2;
  if (i < g.length && (g[i + 1] as number) >= until) return { state: s, sends: [] };
  const grants = g.slice();
  grants[i] = from;
  grants[i + 1] = until;
  return { state: { epoch: s.epoch, grants, nextPingMs: s.nextPingMs }, sends: [] };
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
