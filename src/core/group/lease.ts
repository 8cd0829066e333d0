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
import { judgeQuorum, type QuorumVerdict, type Votes } from './quorum.js';

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
  /** Per member, until when its last answer vouches for this view. */
  readonly grants: ReadonlyMap<NodeNo, number>;
  readonly nextPingMs: number;
}

export function createLease(nowMs: number): LeaseState {
  return { epoch: null, grants: new Map(), nextPingMs: nowMs };
}

/** A new view: grants of the old one count no more. */
export function leaseOnView(s: LeaseState, view: View, nowMs: number): LeaseState {
  return { epoch: view.epoch, grants: new Map(), nextPingMs: Math.min(s.nextPingMs, nowMs) };
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
  if ((s.grants.get(from) ?? -Infinity) >= until) return { state: s, sends: [] };
  return { state: { ...s, grants: new Map(s.grants).set(from, until) }, sends: [] };
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
  /** Whether a verdict is quorum enough: 'majority' only, unless the partition holds the tie. */
  enough: (v: QuorumVerdict) => boolean = (v) => v === 'majority',
): number {
  if (!view) return -Infinity;
  // Drop grants from the soonest to expire until the rest no longer make a quorum.
  const live = view.members
    .filter((m) => m !== self && (s.grants.get(m) ?? -Infinity) > nowMs)
    .sort((a, b) => (s.grants.get(a) ?? 0) - (s.grants.get(b) ?? 0));
  if (!enough(judgeQuorum(votes, [self, ...live]))) return -Infinity;
  for (let i = 0; i < live.length; i++) {
    const rest = [self, ...live.slice(i + 1)];
    if (!enough(judgeQuorum(votes, rest))) return s.grants.get(live[i] as NodeNo) ?? nowMs;
  }
  return Infinity; // this node's own vote is a quorum (a one-node cluster)
}
