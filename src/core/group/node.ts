// A node running group services: membership, quorum, and event agreement with barriers, as a
// NodeMachine that the simulator (and later the agent) drives. Its part of each event is a
// stand-in for the recovery program: one command per phase, each phase ending at a barrier,
// the last at the cbarrier (END). The cluster manager replaces that part with the real
// recovery programs; the protocol around it stays.
//
// Exclusive resource groups are held by this rule (the safety argument is in README.md):
// - a placement event (node_up, node_down, rg_move) releases, in its phase 0, the groups this
//   node holds that the placement gives another node, and acquires, in its phase 1 (after the
//   barrier, so after every participant released), those the placement gives this node;
// - the placement of a group is the first node of its list in the current view, and nothing is
//   acquired in a view without quorum, nor without a running holding lease (lease.ts);
// - an acquisition waits until `takeoverDelayMs` after this node's view changed: a node that
//   left the view has by then let go (its lease ran out, or it lost quorum) or been reset by its
//   dead man switch (it was stopped);
// - a node whose view loses quorum, or whose lease runs out, lets go of its exclusive groups at
//   once (the reference's halt; `noQuorum: 'freeze'` would leave them to the dead man switch,
//   not modelled here).

import type { NodeEffect, NodeInput, NodeMachine, NodeNo, StepResult } from '../cluster/node.js';
import {
  agreementWakeAt,
  createAgreement,
  END,
  onAgreementMessage,
  onLocalEvent,
  onReached,
  onTimer as onAgreementTimer,
  onView,
  type AgreementMessage,
  type AgreementOutput,
  type AgreementState,
  type ClusterEvent,
  type EventId,
  type Priority,
} from './agreement.js';
import {
  createMembership,
  epochText,
  membershipWakeAt,
  onLiveness,
  onMembershipMessage,
  onMembershipTimer,
  type MembershipMessage,
  type MembershipOutput,
  type MembershipState,
  type MembershipTiming,
} from './membership.js';
import { judgeQuorum, type QuorumVerdict, type Votes } from './quorum.js';
import {
  createLease,
  leaseOnMessage,
  leaseOnView,
  leaseTick,
  leaseUntil,
  type LeaseMessage,
  type LeaseSend,
  type LeaseState,
  type LeaseTiming,
} from './lease.js';

export type GroupMessage =
  | { readonly layer: 'membership'; readonly msg: MembershipMessage }
  | { readonly layer: 'agreement'; readonly msg: AgreementMessage }
  | { readonly layer: 'lease'; readonly msg: LeaseMessage };

export interface GroupConfig {
  readonly votes: Votes;
  readonly settleMs: number;
  readonly membership: MembershipTiming;
  /** Barriers in the stand-in program of an event (phases = barriers + 1, the last ends at END). */
  readonly barriers: (event: ClusterEvent) => number;
  readonly commandTimeoutMs: number;
  /** Exclusive resource groups and their node lists, highest priority first. */
  readonly groups?: readonly { readonly name: string; readonly nodes: readonly NodeNo[] }[];
  /** How long after a view change an acquisition waits (see the top of this file). */
  readonly takeoverDelayMs?: number;
  /** The holding lease (lease.ts); without it, quorum alone decides. */
  readonly lease?: LeaseTiming;
}

/** This node's part of the running event. */
interface Part {
  readonly id: EventId;
  readonly event: ClusterEvent;
  /** The phase being run: 0 .. barriers (the last one ends at END). */
  readonly phase: number;
  readonly barriers: number;
  readonly runId: string | null;
  /** Groups this phase acquires or releases. */
  readonly groups: readonly string[];
  /** The acquisition waits for the takeover delay until then. */
  readonly deferredUntil: number | null;
}

export interface GroupNodeState {
  readonly self: NodeNo;
  readonly config: GroupConfig;
  readonly membership: MembershipState;
  readonly agreement: AgreementState;
  readonly part: Part | null;
  readonly quorum: QuorumVerdict | null;
  /** Exclusive groups this node holds (acquired, or being acquired). */
  readonly held: ReadonlySet<string>;
  /** When this node committed its current view. */
  readonly viewSinceMs: number;
  readonly lease: LeaseState;
  /** Events this node finished, in order (for the simulator's invariants). */
  readonly log: readonly EventId[];
  readonly runs: number;
  readonly wakeAt: number | null;
}

/** The reference's order (4.6): node join > node failure > swap adapter > network up > network down > user events. */
export const referencePriority: Priority = (a, b) =>
  classOf(a) - classOf(b) || a.node - b.node || a.key.localeCompare(b.key);

function classOf(e: ClusterEvent): number {
  const order = ['node_up', 'node_down', 'swap_adapter', 'network_up', 'network_down'];
  const i = order.indexOf(e.name);
  return i < 0 ? order.length : i;
}

export function createGroupNode(
  self: NodeNo,
  incarnation: number,
  config: GroupConfig,
  nowMs: number,
): GroupNodeState {
  return {
    self,
    config,
    membership: createMembership(self, incarnation, nowMs, config.membership),
    agreement: createAgreement(self, config.settleMs),
    part: null,
    quorum: null,
    held: new Set(),
    viewSinceMs: nowMs,
    lease: createLease(nowMs),
    log: [],
    runs: 0,
    wakeAt: null,
  };
}

type Effects = NodeEffect<GroupMessage>[];

function fromMembership(
  s: GroupNodeState,
  o: MembershipOutput,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  let state: GroupNodeState = { ...s, membership: o.state };
  for (const x of o.sends)
    fx.push({ type: 'send', to: x.to, msg: { layer: 'membership', msg: x.msg } });
  if (o.committed) {
    const { view, joined, left } = o.committed;
    const quorum = judgeQuorum(s.config.votes, view.members);
    state = { ...state, quorum, viewSinceMs: nowMs, lease: leaseOnView(state.lease, view, nowMs) };
    if (quorum !== 'majority') state = letGo(state, 'no quorum', fx);
    fx.push({
      type: 'log',
      level: 'info',
      msg: 'view',
      fields: {
        epoch: epochText(view.epoch),
        members: view.members,
        joined,
        left,
        quorum,
      },
    });
    state = fromAgreement(
      state,
      onView(state.agreement, view, joined, left, nowMs, referencePriority),
      nowMs,
      fx,
    );
  }
  return state;
}

function fromAgreement(
  s: GroupNodeState,
  o: AgreementOutput,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  let state: GroupNodeState = { ...s, agreement: o.state };
  for (const x of o.sends)
    fx.push({ type: 'send', to: x.to, msg: { layer: 'agreement', msg: x.msg } });
  for (const n of o.notices) {
    switch (n.type) {
      case 'start': {
        const barriers = s.config.barriers(n.event);
        state = runPhase(
          {
            ...state,
            part: {
              id: n.id,
              event: n.event,
              phase: 0,
              barriers,
              runId: null,
              groups: [],
              deferredUntil: null,
            },
          },
          nowMs,
          fx,
        );
        break;
      }
      case 'released': {
        const p = state.part;
        if (p && p.phase === n.barrier)
          state = runPhase({ ...state, part: { ...p, phase: p.phase + 1 } }, nowMs, fx);
        break;
      }
      case 'abandoned':
        state = { ...state, part: null };
        fx.push({
          type: 'log',
          level: 'warn',
          msg: 'event abandoned',
          fields: { event: n.event.name, node: n.event.node },
        });
        break;
      case 'done':
        state = { ...state, part: null, log: [...state.log, n.id] };
        fx.push({
          type: 'log',
          level: 'info',
          msg: 'event done',
          fields: { event: n.event.name, node: n.event.node },
        });
        break;
    }
  }
  return state;
}

/** Lets go of every exclusive group at once (the reference's halt of the resources). */
function letGo(s: GroupNodeState, why: string, fx: Effects): GroupNodeState {
  if (s.held.size === 0) return s;
  const groups = [...s.held].sort();
  for (const group of groups) fx.push({ type: 'holding', group, held: false, exclusive: true });
  fx.push({
    type: 'log',
    level: 'warn',
    msg: `${why}: exclusive groups released`,
    fields: { groups, epoch: s.agreement.view ? epochText(s.agreement.view.epoch) : null },
  });
  return { ...s, held: new Set() };
}

/** Until when this node may hold exclusive groups (Infinity without a lease configured). */
function mayHoldUntil(s: GroupNodeState, nowMs: number): number {
  if (!s.config.lease) return Infinity;
  return leaseUntil(s.lease, s.agreement.view, s.self, s.config.votes, nowMs);
}

function fromLease(
  s: GroupNodeState,
  o: { state: LeaseState; sends: LeaseSend[] },
  fx: Effects,
): GroupNodeState {
  for (const x of o.sends) fx.push({ type: 'send', to: x.to, msg: { layer: 'lease', msg: x.msg } });
  return o.state === s.lease ? s : { ...s, lease: o.state };
}

/** Events whose program moves groups: membership changes, and rg_move (a re-placement). */
const PLACEMENT_EVENTS = new Set(['node_up', 'node_down', 'rg_move']);

/** Where each exclusive group belongs in a view: the first node of its list that is a member. */
export function placement(
  groups: GroupConfig['groups'],
  members: readonly NodeNo[],
): Map<string, NodeNo> {
  const out = new Map<string, NodeNo>();
  for (const g of groups ?? []) {
    const to = g.nodes.find((n) => members.includes(n));
    if (to !== undefined) out.set(g.name, to);
  }
  return out;
}

/** Groups to release (phase 0) or acquire (phase 1) in this node's part of a membership event. */
function phaseGroups(s: GroupNodeState, p: Part): string[] {
  if (!PLACEMENT_EVENTS.has(p.event.name) || p.phase > 1) return [];
  const view = s.agreement.view;
  const target = placement(s.config.groups, view?.members ?? []);
  if (p.phase === 0) return [...s.held].filter((g) => target.get(g) !== s.self).sort();
  if (s.quorum !== 'majority') return [];
  // Only when every member of the view took part, so released what it had to in phase 0: an
  // event that began in an earlier view may count members that never ran it, and these may
  // hold the group. A later event of this view, which they run, places it.
  const participants = s.agreement.running?.participants ?? [];
  if (!view || !view.members.every((m) => participants.includes(m))) return [];
  return [...target].filter(([g, n]) => n === s.self && !s.held.has(g)).map(([g]) => g);
}

function runPhase(s: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  const p = s.part;
  if (!p) return s;
  const groups = phaseGroups(s, p);
  const acquiring = p.phase === 1 && groups.length > 0;
  // Wait until whoever left the view must have let go, and until this node's lease runs (a
  // lost answer delays it by a ping round); wake() asks for the time.
  const until = s.viewSinceMs + (s.config.takeoverDelayMs ?? 0);
  const retry = nowMs + (s.config.lease?.renewMs ?? 0);
  const wait = nowMs < until ? until : mayHoldUntil(s, nowMs) <= nowMs ? retry : null;
  if (acquiring && wait !== null) {
    return { ...s, part: { ...p, groups: [], deferredUntil: wait } };
  }
  let held = s.held;
  if (acquiring) {
    // Counted as held from the start of the acquisition: the safe side.
    held = new Set([...held, ...groups]);
    for (const group of groups) fx.push({ type: 'holding', group, held: true, exclusive: true });
  }
  const runId = `${epochText(p.id.epoch)}.${p.id.seq}:${p.phase}:${s.runs}`;
  fx.push({
    type: 'run',
    runId,
    command: `${p.event.name} phase ${p.phase}`,
    env: {
      EVENT_NAME: p.event.name,
      EVENT_NODE: String(p.event.node),
      HAVEN_GROUPS: groups.join(' '),
    },
    timeoutMs: s.config.commandTimeoutMs,
  });
  return {
    ...s,
    held,
    part: { ...p, runId, groups, deferredUntil: null },
    runs: s.runs + 1,
  };
}

function wake(s0: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  // A lease that ran out lets go of everything; a running one wakes us at its end.
  let s = s0;
  let leaseEnd = Infinity;
  if (s.held.size > 0 && s.config.lease) {
    leaseEnd = mayHoldUntil(s, nowMs);
    if (leaseEnd <= nowMs) {
      s = letGo(s, 'holding lease ran out', fx);
      leaseEnd = Infinity;
      // The view may well outlive the trouble (a flapping link): ask for an rg_move, which
      // places the groups again once the lease runs again.
      // Keyed by the time: two expiries in one view are two requests, not a duplicate.
      const key = `rg_move:${s.self}:${s.agreement.view ? epochText(s.agreement.view.epoch) : ''}:${nowMs}`;
      const out = onLocalEvent(
        s.agreement,
        { key, name: 'rg_move', node: s.self, network: undefined },
        nowMs,
        referencePriority,
      );
      s = fromAgreement(s, out, nowMs, fx);
    }
  }
  const at = Math.min(
    membershipWakeAt(s.membership),
    agreementWakeAt(s.agreement),
    s.part?.deferredUntil ?? Infinity,
    s.config.lease && s.agreement.view ? s.lease.nextPingMs : Infinity,
    leaseEnd,
  );
  const wakeAt = Number.isFinite(at) ? at : null;
  // The runner keeps one timer and drops it when it fires: a time that has come must be
  // asked for again even when it did not change, or the node would never wake again.
  const fired = s.wakeAt !== null && s.wakeAt <= nowMs;
  if (wakeAt !== s.wakeAt || fired) fx.push({ type: 'wake-at', atMs: wakeAt });
  return { ...s, wakeAt };
}

export const groupNodeMachine: NodeMachine<GroupNodeState, GroupMessage> = {
  step(
    s: GroupNodeState,
    input: NodeInput<GroupMessage>,
    nowMs: number,
  ): StepResult<GroupNodeState, GroupMessage> {
    const fx: Effects = [];
    let state = s;
    switch (input.type) {
      case 'start':
      case 'wake':
        if (nowMs >= (state.part?.deferredUntil ?? Infinity)) state = runPhase(state, nowMs, fx);
        if (state.config.lease)
          state = fromLease(
            state,
            leaseTick(state.lease, state.agreement.view, state.self, state.config.lease, nowMs),
            fx,
          );
        state = fromMembership(state, onMembershipTimer(state.membership, nowMs), nowMs, fx);
        state = fromAgreement(
          state,
          onAgreementTimer(state.agreement, nowMs, referencePriority),
          nowMs,
          fx,
        );
        break;
      case 'liveness':
        state = fromMembership(state, onLiveness(state.membership, input.up, nowMs), nowMs, fx);
        break;
      case 'message':
        if (input.msg.layer === 'lease') {
          if (state.config.lease)
            state = fromLease(
              state,
              leaseOnMessage(
                state.lease,
                state.agreement.view,
                input.from,
                input.msg.msg,
                state.config.lease,
              ),
              fx,
            );
          break;
        }
        state =
          input.msg.layer === 'membership'
            ? fromMembership(
                state,
                onMembershipMessage(state.membership, input.from, input.msg.msg, nowMs),
                nowMs,
                fx,
              )
            : fromAgreement(
                state,
                onAgreementMessage(
                  state.agreement,
                  input.from,
                  input.msg.msg,
                  nowMs,
                  referencePriority,
                ),
                nowMs,
                fx,
              );
        break;
      case 'run-result': {
        const p = state.part;
        if (!p || p.runId !== input.runId) break;
        // The stand-in program ignores exit statuses: the real executor handles them.
        const barrier = p.phase < p.barriers ? p.phase : END;
        let held = state.held;
        if (p.phase === 0 && p.groups.length > 0) {
          held = new Set([...held].filter((g) => !p.groups.includes(g)));
          for (const group of p.groups)
            fx.push({ type: 'holding', group, held: false, exclusive: true });
        }
        state = { ...state, held, part: { ...p, runId: null } };
        state = fromAgreement(
          state,
          onReached(state.agreement, barrier, nowMs, referencePriority),
          nowMs,
          fx,
        );
        break;
      }
      case 'local-event':
        state = fromAgreement(
          state,
          onLocalEvent(
            state.agreement,
            {
              key: `${input.event.name}:${input.event.node}:${input.event.network ?? ''}`,
              name: input.event.name,
              node: input.event.node,
              network: input.event.network,
            },
            nowMs,
            referencePriority,
          ),
          nowMs,
          fx,
        );
        break;
      case 'tiebreak-result':
      case 'operator':
        break;
    }
    return { state: wake(state, nowMs, fx), effects: fx };
  },
};
