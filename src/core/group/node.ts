// A node running group services alone: membership, quorum, and event agreement with barriers,
// as a NodeMachine that the simulator (and later the agent) drives. Its part of each event is a
// stand-in for the recovery program: one command per phase, each phase ending at a barrier,
// the last at the cbarrier (END). The cluster manager replaces that part with the real
// recovery programs; the protocol around it stays.

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

export type GroupMessage =
  | { readonly layer: 'membership'; readonly msg: MembershipMessage }
  | { readonly layer: 'agreement'; readonly msg: AgreementMessage };

export interface GroupConfig {
  readonly votes: Votes;
  readonly settleMs: number;
  readonly membership: MembershipTiming;
  /** Barriers in the stand-in program of an event (phases = barriers + 1, the last ends at END). */
  readonly barriers: (event: ClusterEvent) => number;
  readonly commandTimeoutMs: number;
}

/** This node's part of the running event. */
interface Part {
  readonly id: EventId;
  readonly event: ClusterEvent;
  /** The phase being run: 0 .. barriers (the last one ends at END). */
  readonly phase: number;
  readonly barriers: number;
  readonly runId: string | null;
}

export interface GroupNodeState {
  readonly self: NodeNo;
  readonly config: GroupConfig;
  readonly membership: MembershipState;
  readonly agreement: AgreementState;
  readonly part: Part | null;
  readonly quorum: QuorumVerdict | null;
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
    state = { ...state, quorum };
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
          { ...state, part: { id: n.id, event: n.event, phase: 0, barriers, runId: null } },
          fx,
        );
        break;
      }
      case 'released': {
        const p = state.part;
        if (p && p.phase === n.barrier)
          state = runPhase({ ...state, part: { ...p, phase: p.phase + 1 } }, fx);
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

function runPhase(s: GroupNodeState, fx: Effects): GroupNodeState {
  const p = s.part;
  if (!p) return s;
  const runId = `${epochText(p.id.epoch)}.${p.id.seq}:${p.phase}:${s.runs}`;
  fx.push({
    type: 'run',
    runId,
    command: `${p.event.name} phase ${p.phase}`,
    env: { EVENT_NAME: p.event.name, EVENT_NODE: String(p.event.node) },
    timeoutMs: s.config.commandTimeoutMs,
  });
  return { ...s, part: { ...p, runId }, runs: s.runs + 1 };
}

function wake(s: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  const at = Math.min(membershipWakeAt(s.membership), agreementWakeAt(s.agreement));
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
        state = { ...state, part: { ...p, runId: null } };
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
