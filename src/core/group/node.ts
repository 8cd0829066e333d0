// A node running group services and the cluster manager, as a NodeMachine that the simulator
// (and later the agent) drives: membership, quorum, event agreement with barriers (the
// protocol), and this node's part of each event run by the recovery program executor
// (core/events): notify, pre and post commands, recovery with retries, config_too_long, and the
// error state that the operator's resume ends.
//
// Exclusive resource groups are held by this rule (the safety argument is in README.md):
// - a placement event (node_up, node_down, rg_move) releases, when this node's first segment of
//   the program is done (barrier 0 reached), the groups it holds that the placement gives
//   another node, and acquires, once barrier 0 completed (so after every participant
//   released), those the placement gives this node, before its second segment runs;
// - the placement of a group is the first node of its list in the current view that is not
//   stopping, and nothing is acquired in a view without quorum, nor without a running holding
//   lease (lease.ts);
// - an acquisition waits until `takeoverDelayMs` after this node's view changed: a node that
//   left the view has by then let go (its lease ran out, or it lost quorum) or been reset by its
//   dead man switch (it was stopped);
// - a node whose view loses quorum, or whose lease runs out, lets go of its exclusive groups at
//   once (the reference's halt); with `noQuorumAction: 'freeze'` it keeps them on quorum loss
//   and leaves them to the dead man switch.
//
// Stops (the operator's, 5.3 of the reference): the node asks for a node_down about itself with
// the mode, runs that event's program with the others, then leaves. graceful: its groups go
// offline, nobody takes over; takeover: the others take them over; forced: they keep running on
// it, unmanaged, and nobody takes over. Every node records the stop, so that the node_down that
// follows the departure moves nothing; the node's next node_up clears it.

import type {
  GroupRequest,
  NodeEffect,
  NodeInput,
  NodeMachine,
  NodeNo,
  StepResult,
} from '../cluster/node.js';
import {
  agreementWakeAt,
  createAgreement,
  compareEventIds,
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
  compareEpochs,
  membershipWakeAt,
  onLiveness,
  onMembershipMessage,
  onMembershipTimer,
  type MembershipMessage,
  type MembershipOutput,
  type MembershipState,
  type MembershipTiming,
  type Epoch,
} from './membership.js';
import { judgeQuorum, type QuorumVerdict, type Votes } from './quorum.js';
import type { NodeFacts } from '../placement/types.js';
import {
  NO_RESOURCES,
  firstAvailablePlanner,
  newerResources,
  parseFacts,
  parseResources,
  type Planner,
  type ResourceState,
} from './resources.js';
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

import type { EventCustomizationDef, RecoveryStep } from '../config/model.js';
import { builtinProgram, type NodeDownMode } from '../events/builtin.js';
import {
  createExecutor,
  executorStatus,
  stepExecutor,
  type ExecutorEffect,
  type ExecutorInput,
  type ExecutorState,
} from '../events/executor.js';

export type StopMode = Exclude<NodeDownMode, 'failure'>;

/** A node's stop, as every node records it: what its departure leaves where it is. */
export interface StopRecord {
  readonly node: NodeNo;
  readonly mode: StopMode;
  /** graceful: the groups it took offline; forced: the groups left running on it, unmanaged. */
  readonly groups: readonly string[];
  /** The stop event: a node_up of the node after it clears the record. */
  readonly since: EventId;
}

/** Cluster manager messages: an event in error, the operator's resume, the tie-breaker. */
export type CmMessage =
  | ({ readonly type: 'error' } & EventError)
  | { readonly type: 'resume' }
  /** The operator stopped every node (haven stop --all): stop, with this mode. */
  | { readonly type: 'stop'; readonly mode: StopMode }
  /** A member's facts for dynamic node priority, to its leader. */
  | { readonly type: 'facts'; readonly facts: NodeFacts }
  | { readonly type: 'resumed'; readonly id: EventId }
  /** A member of a tie view asks its leader whether the partition holds the tie-breaker. */
  | { readonly type: 'tie-ask'; readonly epoch: Epoch; readonly t0: number }
  /** The leader holds it for `remainingMs` more, counted from when it answered. */
  | {
      readonly type: 'tie-grant';
      readonly epoch: Epoch;
      readonly t0: number;
      readonly remainingMs: number;
    };

export type GroupMessage =
  | { readonly layer: 'membership'; readonly msg: MembershipMessage }
  | { readonly layer: 'agreement'; readonly msg: AgreementMessage }
  | { readonly layer: 'lease'; readonly msg: LeaseMessage }
  | { readonly layer: 'cm'; readonly msg: CmMessage };

/** The reference's default event time limit (config_too_long after 6 minutes). */
export const DEFAULT_EVENT_TIME_LIMIT_MS = 6 * 60 * 1000;
/** Local warning programs (config_too_long, event_error) running at once, at most. */
const MAX_LOCAL_RUNS = 4;

export interface GroupConfig {
  readonly votes: Votes;
  readonly settleMs: number;
  readonly membership: MembershipTiming;
  /**
   * The recovery program of an event. Default: the built-in one (node_down by its
   * `details.mode`, failure without one); undefined for an event without a program, which then
   * only passes the cbarrier.
   */
  readonly program?: (event: ClusterEvent) => readonly RecoveryStep[] | undefined;
  /** Event customisations: notify, pre, post, recovery, time limit (config.events). */
  readonly customizations?: readonly EventCustomizationDef[];
  /** When config_too_long is first raised; default DEFAULT_EVENT_TIME_LIMIT_MS. */
  readonly eventTimeLimitMs?: number;
  readonly commandTimeoutMs: number;
  /** Node names for the commands' environment. */
  readonly nodeNames?: Readonly<Record<number, string>>;
  /**
   * What runs an event script (a command whose first word has no `/`, e.g. `node_up`): the
   * script's name and arguments follow it. Default `haven-event`.
   */
  readonly scriptRunner?: string;
  /** Exclusive resource groups and their node lists, highest priority first. */
  readonly groups?: readonly {
    readonly name: string;
    readonly nodes: readonly NodeNo[];
    /** Online on every node of its list at once (startup: all available): not exclusive. */
    readonly concurrent?: boolean;
  }[];
  /**
   * Computes each placement event's plan (resources.ts); the same on every node. Default: the
   * first available node of each group's list (firstAvailablePlanner).
   */
  readonly planner?: Planner;
  /** How long after a view change an acquisition waits (see the top of this file). */
  readonly takeoverDelayMs?: number;
  /** The holding lease (lease.ts); without it, quorum alone decides. */
  readonly lease?: LeaseTiming;
  /** On quorum loss: release the exclusive groups (default), or keep them (dead man switch). */
  readonly noQuorumAction?: 'release' | 'freeze';
  /**
   * The tie-breaker (votes.tieBreaker): a view holding exactly half of the votes has quorum
   * while its leader holds the tie-breaker's lease, granted for `leaseMs` (asked through the
   * `tiebreak` effect, renewed at half of it).
   */
  readonly tieBreaker?: { readonly leaseMs: number };
  /**
   * How many finished events `log` keeps, the newest last. Default: all of them, for the
   * simulator, which checks their order on every member; a long-running agent keeps a few, so
   * that its memory does not grow with every event it has ever run.
   */
  readonly logLimit?: number;
}

/** This node's part of the running event: the executor of its recovery program. */
interface Part {
  /** Tells this part's command results from older ones (run ids are `serial/executor id`). */
  readonly serial: number;
  readonly id: EventId;
  readonly event: ClusterEvent;
  readonly exec: ExecutorState;
  readonly execWakeMs: number | null;
  /** A placement event: groups are released at barrier 0 and acquired after it. */
  readonly placement: boolean;
  /** Groups this part releases (placement events: what leaves this node). */
  readonly releases: readonly string[];
  /** Groups this part acquired, once barrier 0 completed. */
  readonly acquires: readonly string[];
  /** Barrier 0 completed; the acquisition (and so the next segment) waits until then. */
  readonly deferredUntil: number | null;
  /** Groups being released or acquired now (a resources effect awaits its result). */
  readonly pending: {
    readonly op: 'acquire' | 'release';
    readonly groups: readonly string[];
  } | null;
  /** A release failed: these groups may still run here; the part waits for the operator. */
  readonly unreleased: readonly string[];
  /** Why the part is in error (a command, or a release), until the operator resumes it. */
  readonly error: { readonly message: string } | null;
}

/** config_too_long or event_error, run on this node alone beside the event it is about. */
interface LocalRun {
  readonly serial: number;
  readonly exec: ExecutorState;
  readonly execWakeMs: number | null;
}

/** An event in error on a node, as this node knows it. */
export interface EventError {
  readonly id: EventId;
  readonly event: string;
  readonly groups: readonly string[];
  readonly message: string;
}

/**
 * The cluster manager's state (the reference's, plus error): init (no view yet), joining (alone,
 * hearing others), unstable (a view change or events pending), voting (the leader is voting on
 * an event), rp_running / barrier / cbarrier (this node's part of an event runs, waits at a
 * barrier, waits at the closing barrier), done (an event just ended here), error (a command of
 * this node's part failed), stable (nothing to do). A stopping node shows the state of its stop
 * event (cmStatus says `stopping`).
 */
export type CmState =
  | 'init'
  | 'joining'
  | 'stable'
  | 'unstable'
  | 'voting'
  | 'rp_running'
  | 'barrier'
  | 'cbarrier'
  | 'done'
  | 'error';

/** The tie-breaker as this node knows it (see GroupConfig.tieBreaker). */
interface TieState {
  /** This node's own grant from the tie-breaker ends then (as the leader of a tie view). */
  readonly ownUntil: number;
  /** The grant its leader reported, for the current view (as a member). */
  readonly leaderUntil: number;
  /** The request in flight: its id and when it left. */
  readonly asked: { readonly requestId: string; readonly atMs: number } | null;
  /** When to ask (the tie-breaker, or the leader) next. */
  readonly nextAskMs: number;
}

export interface GroupNodeState {
  readonly self: NodeNo;
  readonly config: GroupConfig;
  readonly membership: MembershipState;
  readonly agreement: AgreementState;
  readonly part: Part | null;
  readonly locals: readonly LocalRun[];
  readonly quorum: QuorumVerdict | null;
  /** Exclusive groups this node holds (acquired, or being acquired). */
  readonly held: ReadonlySet<string>;
  /** The cluster's resource state (resources.ts): the last plan, overrides, failures. */
  readonly resources: ResourceState;
  /** Groups that failed to come online here, with why, until the next plan places them. */
  readonly groupErrors: ReadonlyMap<string, string>;
  /**
   * Facts for dynamic node priority, by node: as leader, the latest each member sent (its own
   * included); as member, the leader's, from its last decision. Plans use the leader's.
   */
  readonly facts: ReadonlyMap<NodeNo, NodeFacts>;
  /** When this node committed its current view. */
  readonly viewSinceMs: number;
  readonly lease: LeaseState;
  /** Stopped nodes (by the operator), until their next node_up. */
  readonly stops: ReadonlyMap<NodeNo, StopRecord>;
  /** The last node_up event of each node: stop records older than it are stale. */
  readonly ups: ReadonlyMap<NodeNo, EventId>;
  /** This node is stopping: the stop event it asked for. */
  readonly stopping: ClusterEvent | null;
  /** Events in error, by node (this one included). */
  readonly errors: ReadonlyMap<NodeNo, EventError>;
  readonly cm: CmState;
  readonly tie: TieState;
  /**
   * Local events submitted in this view, by name, node and network: the count makes the key of
   * the next one (the same on every node that saw the same ones), so a network that fails
   * twice is two events, while several nodes reporting one failure is one.
   */
  readonly localCounts: ReadonlyMap<string, number>;
  /** The settling time's end, and the plan that started it (the key of the rg_move it asks). */
  readonly settleAt: { readonly atMs: number; readonly key: string } | null;
  /** Events this node finished, in order (for the simulator's invariants); at most config.logLimit. */
  readonly log: readonly EventId[];
  /** Executors created (parts and local runs): the next one's serial. */
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
    locals: [],
    quorum: null,
    held: new Set(),
    resources: NO_RESOURCES,
    groupErrors: new Map(),
    facts: new Map(),
    viewSinceMs: nowMs,
    lease: createLease(nowMs),
    stops: new Map(),
    ups: new Map(),
    stopping: null,
    errors: new Map(),
    cm: 'init',
    tie: { ownUntil: -Infinity, leaderUntil: -Infinity, asked: null, nextAskMs: nowMs },
    localCounts: new Map(),
    settleAt: null,
    log: [],
    runs: 0,
    wakeAt: null,
  };
}

type Effects = NodeEffect<GroupMessage>[];

const idText = (id: EventId): string => `${epochText(id.epoch)}.${String(id.seq)}`;
const sameId = (a: EventId, b: EventId): boolean => compareEventIds(a, b) === 0;

function log(
  fx: Effects,
  level: 'debug' | 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
): void {
  fx.push(fields === undefined ? { type: 'log', level, msg } : { type: 'log', level, msg, fields });
}

function toMembers(s: GroupNodeState, msg: CmMessage, fx: Effects): void {
  for (const m of s.agreement.view?.members ?? [])
    if (m !== s.self) fx.push({ type: 'send', to: m, msg: { layer: 'cm', msg } });
}

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
    state = {
      ...state,
      quorum,
      viewSinceMs: nowMs,
      localCounts: new Map(),
      lease: leaseOnView(state.lease, view, nowMs),
      // A member trusts only the leader of its current view for the tie; ask at once.
      tie: { ...state.tie, leaderUntil: -Infinity, nextAskMs: nowMs },
    };
    // A tie view lets go too: it holds again once its leader has the tie-breaker.
    if (quorum !== 'majority') {
      if (s.config.noQuorumAction === 'freeze') {
        if (state.held.size > 0)
          log(fx, 'warn', 'no quorum: exclusive groups frozen, left to the dead man switch', {
            groups: [...state.held].sort(),
          });
      } else state = letGo(state, 'no quorum', fx);
    }
    log(fx, 'info', 'view', {
      epoch: epochText(view.epoch),
      members: view.members,
      joined,
      left,
      quorum,
    });
    if (state.part) state = stepPart(state, { type: 'view', members: view.members }, nowMs, fx);
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
      case 'start':
        if (n.extra !== undefined) {
          const stops = parseStops(n.extra);
          if (stops) {
            state = mergeStops(state, stops);
            // The plan uses the facts the leader decided with.
            if (stops.facts && state.agreement.view?.members[0] !== state.self) {
              // The leader's, but our own latest for ourselves (we send it in our syncs).
              const facts = new Map(stops.facts);
              const own = state.facts.get(state.self);
              if (own) facts.set(state.self, own);
              state = withExtra({ ...state, facts });
            }
          } else log(fx, 'warn', 'stop records from the leader are malformed: ignored');
        }
        state = startPart(state, n.id, n.event, nowMs, fx);
        break;
      case 'extra': {
        // A member's stop records, merged before this leader decides anything in the view, and
        // its own facts for dynamic node priority.
        const stops = parseStops(n.extra);
        if (!stops) {
          log(fx, 'warn', 'stop records from a member are malformed: ignored', { from: n.from });
          break;
        }
        state = mergeStops(state, stops);
        const own = stops.facts?.find(([node]) => node === n.from)?.[1];
        if (own) state = withExtra({ ...state, facts: new Map(state.facts).set(n.from, own) });
        break;
      }
      case 'released': {
        const p = state.part;
        if (!p || !sameId(p.id, n.id)) break;
        state =
          n.barrier === 0 && p.placement
            ? acquire(state, nowMs, fx)
            : stepPart(state, { type: 'barrier-complete', index: n.barrier }, nowMs, fx);
        break;
      }
      case 'abandoned':
        if (state.part && sameId(state.part.id, n.id)) state = { ...state, part: null };
        log(fx, 'warn', 'event abandoned', { event: n.event.name, node: n.event.node });
        break;
      case 'done': {
        const p = state.part;
        if (p && sameId(p.id, n.id)) {
          state = stepPart(state, { type: 'barrier-complete', index: endIndex(p) }, nowMs, fx);
          // Ended cluster-wide, whether or not this node's executor got to its end.
          if (state.part?.serial === p.serial) state = { ...state, part: null };
        }
        const errors = new Map([...state.errors].filter(([, e]) => !sameId(e.id, n.id)));
        state = { ...state, log: appendBounded(state.log, n.id, state.config.logLimit), errors };
        log(fx, 'info', 'event done', { event: n.event.name, node: n.event.node });
        if (state.stopping?.key === n.event.key) {
          log(fx, 'info', `stopped (${n.event.details?.['mode'] ?? ''})`, {
            holding: [...state.held].sort(),
          });
          fx.push({ type: 'exit' });
        }
        break;
      }
    }
  }
  return state;
}

/** The index of the cbarrier in the part's program (its number of barriers). */
function endIndex(p: Part): number {
  let n = 0;
  for (const step of p.exec.settings.plan) if (step.kind === 'barrier') n++;
  return n;
}

/** Lets go of every exclusive group at once (the reference's halt of the resources). */
function letGo(s: GroupNodeState, why: string, fx: Effects): GroupNodeState {
  if (s.held.size === 0) return s;
  const groups = [...s.held].sort();
  for (const group of groups)
    fx.push({ type: 'holding', group, held: false, exclusive: isExclusive(s, group) });
  fx.push({ type: 'resources', runId: `halt:${String(s.runs)}`, op: 'release', groups });
  log(fx, 'warn', `${why}: exclusive groups released`, {
    groups,
    epoch: s.agreement.view ? epochText(s.agreement.view.epoch) : null,
  });
  return { ...s, held: new Set() };
}

/** Until when this node may hold exclusive groups (Infinity without a lease configured). */
function mayHoldUntil(s: GroupNodeState, nowMs: number): number {
  const tie = s.quorum === 'tie';
  const tieEnd = tie ? tieUntil(s) : Infinity;
  if (!s.config.lease) return tieEnd;
  return Math.min(
    tieEnd,
    leaseUntil(s.lease, s.agreement.view, s.self, s.config.votes, nowMs, tie),
  );
}

/** Until when this node's partition holds the tie-breaker, as far as it knows. */
function tieUntil(s: GroupNodeState): number {
  return s.agreement.view?.members[0] === s.self ? s.tie.ownUntil : s.tie.leaderUntil;
}

/** Quorum now: more than half of the votes, or exactly half and the tie-breaker. */
export function hasQuorum(s: GroupNodeState, nowMs: number): boolean {
  return s.quorum === 'majority' || (s.quorum === 'tie' && tieUntil(s) > nowMs);
}

/**
 * In a tie view, keep the tie-breaker: the leader asks it at half its lease, members ask the
 * leader (the answer counts from the member's own t0, as the holding lease's pongs do).
 */
function tieTick(s: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  const tb = s.config.tieBreaker;
  const view = s.agreement.view;
  if (!tb || !view || s.quorum !== 'tie' || nowMs < s.tie.nextAskMs) return s;
  const leader = view.members[0] as NodeNo;
  const every = Math.max(1, Math.floor(tb.leaseMs / 4));
  if (leader !== s.self) {
    fx.push({
      type: 'send',
      to: leader,
      msg: { layer: 'cm', msg: { type: 'tie-ask', epoch: view.epoch, t0: nowMs } },
    });
    return { ...s, tie: { ...s.tie, nextAskMs: nowMs + every } };
  }
  const requestId = `tie:${String(s.self)}:${String(nowMs)}`;
  fx.push({ type: 'tiebreak', requestId });
  // A lost answer is asked again; a grant is renewed at half of its lease.
  return { ...s, tie: { ...s.tie, asked: { requestId, atMs: nowMs }, nextAskMs: nowMs + every } };
}

function onTiebreak(
  s: GroupNodeState,
  requestId: string,
  granted: boolean,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  const tb = s.config.tieBreaker;
  const asked = s.tie.asked;
  if (!tb || asked?.requestId !== requestId) return s;
  const had = hasQuorum(s, nowMs);
  // The grant runs leaseMs from its arrival at the tie-breaker, after the request left.
  const ownUntil = granted ? asked.atMs + tb.leaseMs : s.tie.ownUntil;
  const nextAskMs = granted ? asked.atMs + Math.floor(tb.leaseMs / 2) : s.tie.nextAskMs;
  let state: GroupNodeState = { ...s, tie: { ...s.tie, ownUntil, asked: null, nextAskMs } };
  if (!granted) log(fx, 'warn', 'tie-breaker denied: no quorum in this half', {});
  if (!had && hasQuorum(state, nowMs)) {
    log(fx, 'info', 'tie-breaker granted: this half has quorum');
    state = replace(state, 'tie', nowMs, fx);
  }
  return state;
}

/** Asks for an rg_move, which places every group again (after a lease or tie-breaker change). */
function replace(s: GroupNodeState, why: string, nowMs: number, fx: Effects): GroupNodeState {
  // Keyed by the time: two requests in one view are two requests, not a duplicate.
  const key = `rg_move:${String(s.self)}:${s.agreement.view ? epochText(s.agreement.view.epoch) : ''}:${why}:${String(nowMs)}`;
  const out = onLocalEvent(
    s.agreement,
    { key, name: 'rg_move', node: s.self, network: undefined },
    nowMs,
    referencePriority,
  );
  return fromAgreement(s, out, nowMs, fx);
}

function fromLease(
  s: GroupNodeState,
  o: { state: LeaseState; sends: LeaseSend[] },
  fx: Effects,
): GroupNodeState {
  for (const x of o.sends) fx.push({ type: 'send', to: x.to, msg: { layer: 'lease', msg: x.msg } });
  return o.state === s.lease ? s : { ...s, lease: o.state };
}

/** Events whose program moves groups: membership changes, and the operator's (re-placements). */
const PLACEMENT_EVENTS = new Set(['node_up', 'node_down', 'rg_move', 'rg_online', 'rg_offline']);

/**
 * Where each exclusive group belongs in a view: the first node of its list that is a member
 * and not stopped. A group a graceful stop took offline belongs nowhere; one a forced stop left
 * running belongs to that node (which alone may keep it).
 */
export function placement(
  groups: GroupConfig['groups'],
  members: readonly NodeNo[],
  stops: ReadonlyMap<NodeNo, StopRecord> = new Map(),
): Map<string, NodeNo> {
  // The stand-in planner's answer with no operator moves and no failures.
  const plan = firstAvailablePlanner(groups ?? [])({
    event: { key: '', name: 'rg_move', node: 0 },
    members,
    stops,
    current: NO_RESOURCES,
  });
  const out = new Map<string, NodeNo>();
  for (const [g, nodes] of Object.entries(plan.placement))
    if (nodes[0] !== undefined) out.set(g, nodes[0]);
  return out;
}

/** Whether the current plan puts `group` on `node` (a concurrent group: on several). */
function placedOn(s: GroupNodeState, group: string, node: NodeNo): boolean {
  return (s.resources.placement[group] ?? []).includes(node);
}

/** Exclusive unless the configuration says the group is concurrent (online on all nodes). */
function isExclusive(s: GroupNodeState, group: string): boolean {
  return !(s.config.groups ?? []).some((g) => g.name === group && g.concurrent === true);
}

/** The plan of a placement event, from the resource state the leader decided it with. */
function planOf(
  s: GroupNodeState,
  id: EventId,
  event: ClusterEvent,
): { resources: ResourceState; settleAfterMs: number | undefined } {
  const planner = s.config.planner ?? firstAvailablePlanner(s.config.groups ?? []);
  const { settleAfterMs, ...plan } = planner({
    event,
    members: s.agreement.view?.members ?? [],
    stops: s.stops,
    current: s.resources,
    facts: s.facts,
  });
  return { resources: { ...plan, since: id }, settleAfterMs };
}

/** The recovery program of an event: the configured one, else the built-in one. */
function programOf(s: GroupNodeState, e: ClusterEvent): readonly RecoveryStep[] | undefined {
  return s.config.program ? s.config.program(e) : builtinProgramOf(e);
}

/** The built-in program of an event (node_down by its `details.mode`, failure without one). */
export function builtinProgramOf(e: ClusterEvent): readonly RecoveryStep[] | undefined {
  const mode = e.details?.['mode'];
  const variant =
    mode === 'graceful' || mode === 'takeover' || mode === 'forced' ? mode : undefined;
  return builtinProgram(e.name, variant)?.steps;
}

/** A stop or a return changes who may hold what: record it before the event's placement. */
function recordStops(s: GroupNodeState, id: EventId, e: ClusterEvent): GroupNodeState {
  const mode = e.details?.['mode'];
  if (e.name === 'node_up') {
    const stops = new Map(s.stops);
    stops.delete(e.node);
    return withExtra({ ...s, stops, ups: new Map(s.ups).set(e.node, id) });
  }
  if (e.name === 'node_down' && (mode === 'graceful' || mode === 'takeover' || mode === 'forced')) {
    const groups =
      mode === 'takeover'
        ? []
        : Object.keys(s.resources.placement)
            .filter((g) => placedOn(s, g, e.node))
            .sort();
    const record: StopRecord = { node: e.node, mode, groups, since: id };
    return withExtra({ ...s, stops: new Map(s.stops).set(e.node, record) });
  }
  return s;
}

/** The stop records as the leader sends them with every decision. */
interface StopsPayload {
  readonly records: readonly StopRecord[];
  readonly ups: readonly (readonly [NodeNo, EventId])[];
  /** The resource state (resources.ts), once there is one. */
  readonly resources?: ResourceState;
  /** The leader's facts for dynamic node priority, by node. */
  readonly facts?: readonly (readonly [NodeNo, NodeFacts])[];
}

/**
 * Every decision this node sends as the leader carries its stop records (when it has any), so
 * no member runs an event, and places groups, without knowing which nodes were stopped: a
 * member that joined after a forced stop would otherwise take over groups still running on the
 * stopped node.
 */
function withExtra(s: GroupNodeState): GroupNodeState {
  const stops = { records: [...s.stops.values()], ups: [...s.ups] };
  const facts = s.facts.size === 0 ? {} : { facts: [...s.facts] };
  const extra: StopsPayload | undefined =
    s.resources.since !== null
      ? { ...stops, resources: s.resources, ...facts }
      : s.stops.size === 0 && s.facts.size === 0
        ? undefined
        : { ...stops, ...facts };
  return { ...s, agreement: { ...s.agreement, decideExtra: extra } };
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);

function isEventId(x: unknown): x is EventId {
  if (typeof x !== 'object' || x === null) return false;
  const { epoch, seq } = x as { epoch?: unknown; seq?: unknown };
  if (!isCount(seq) || typeof epoch !== 'object' || epoch === null) return false;
  const { n, leader, inc } = epoch as { n?: unknown; leader?: unknown; inc?: unknown };
  return isCount(n) && isCount(leader) && isCount(inc);
}

/** The leader's stop records, checked (they came from the network); null when malformed. */
export function parseStops(x: unknown): StopsPayload | null {
  if (typeof x !== 'object' || x === null) return null;
  const { records, ups } = x as { records?: unknown; ups?: unknown };
  if (!Array.isArray(records) || !Array.isArray(ups)) return null;
  const modes: readonly unknown[] = ['graceful', 'takeover', 'forced'];
  for (const r of records as unknown[]) {
    if (typeof r !== 'object' || r === null) return null;
    const { node, mode, groups, since } = r as Record<string, unknown>;
    if (!isCount(node) || !modes.includes(mode) || !isEventId(since)) return null;
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) return null;
  }
  for (const u of ups as unknown[])
    if (!Array.isArray(u) || u.length !== 2 || !isCount(u[0]) || !isEventId(u[1])) return null;
  const resources = (x as { resources?: unknown }).resources;
  if (resources !== undefined && parseResources(resources, isEventId) === null) return null;
  const facts = (x as { facts?: unknown }).facts;
  if (facts !== undefined) {
    if (!Array.isArray(facts)) return null;
    for (const f of facts as unknown[])
      if (!Array.isArray(f) || f.length !== 2 || !isCount(f[0]) || parseFacts(f[1]) === null)
        return null;
  }
  return x as StopsPayload;
}

/** Merges stop records: the newer record of a node wins; a node_up after a stop clears it. */
function mergeStops(s: GroupNodeState, p: StopsPayload): GroupNodeState {
  const stops = new Map(s.stops);
  const ups = new Map(s.ups);
  for (const [n, id] of p.ups) {
    const mineUp = ups.get(n);
    if (!mineUp || compareEventIds(id, mineUp) > 0) ups.set(n, id);
  }
  for (const r of p.records) {
    const have = stops.get(r.node);
    if (!have || compareEventIds(r.since, have.since) > 0) stops.set(r.node, r);
  }
  for (const [n, r] of stops) {
    const up = ups.get(n);
    if (up && compareEventIds(up, r.since) > 0) stops.delete(n);
  }
  const resources = p.resources ? newerResources(s.resources, p.resources) : s.resources;
  return withExtra({ ...s, stops, ups, resources });
}

function startPart(
  s0: GroupNodeState,
  id: EventId,
  event: ClusterEvent,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  let s = recordStops(s0, id, event);
  if (s.part) log(fx, 'debug', 'part of an older event dropped', { event: idText(s.part.id) });
  let program = programOf(s, event);
  if (program === undefined) {
    log(fx, 'warn', `no recovery program for event ${event.name}: it only passes the cbarrier`);
    program = [];
  }
  const placing = PLACEMENT_EVENTS.has(event.name);
  // A minority view does not plan: it acquires nothing, and a plan made there would travel on
  // as the newest, placing groups on nodes that could not take them. The test is the view's
  // verdict, the same on every participant; whether a tie's leader holds the tie-breaker is
  // each node's own knowledge, and participants that disagreed on it would run different
  // plans (one kept an old plan and acquired what another's new plan gave itself: seed 21607).
  if (placing && s.quorum !== null && s.quorum !== 'minority') {
    const before = s.resources;
    const planned = planOf(s, id, event);
    s = withExtra({ ...s, resources: planned.resources });
    // The settling time runs once, to its end, from the first plan that asks for it.
    if (planned.settleAfterMs !== undefined && s.settleAt === null)
      s = { ...s, settleAt: { atMs: nowMs + planned.settleAfterMs, key: idText(id) } };
    for (const [g, nodes] of Object.entries(s.resources.placement))
      if (nodes.join() !== (before.placement[g] ?? []).join())
        log(fx, 'info', 'placement', {
          group: g,
          to: nodes,
          reason: s.resources.reasons[g] ?? '',
          event: event.name,
        });
    // A new plan is a new chance: failures here are forgotten unless it still avoids us.
    if (s.groupErrors.size > 0) {
      const groupErrors = new Map(
        [...s.groupErrors].filter(([g]) => (s.resources.failed[g] ?? []).includes(s.self)),
      );
      s = { ...s, groupErrors };
    }
  }
  const releases = placing ? [...s.held].filter((g) => !placedOn(s, g, s.self)).sort() : [];
  const exec = createExecutor({
    event: {
      name: event.name,
      id: idText(id),
      node: event.node,
      network: event.network,
      details: event.details,
    },
    program,
    self: s.self,
    members: s.agreement.view?.members ?? [s.self],
    eventTimeLimitMs: s.config.eventTimeLimitMs ?? DEFAULT_EVENT_TIME_LIMIT_MS,
    customizations: s.config.customizations,
    commandTimeoutMs: s.config.commandTimeoutMs,
    nodeNames: s.config.nodeNames,
    groups: releases,
    env: { HAVEN_RELEASE_GROUPS: releases.join(' '), HAVEN_ACQUIRE_GROUPS: '' },
  });
  const part: Part = {
    serial: s.runs,
    id,
    event,
    exec,
    execWakeMs: null,
    placement: placing,
    releases,
    acquires: [],
    deferredUntil: null,
    pending: null,
    unreleased: [],
    error: null,
  };
  return stepPart({ ...s, part, runs: s.runs + 1 }, { type: 'start' }, nowMs, fx);
}

/**
 * A command of an executor (the event's part, or a local program), as the runner runs it:
 * event scripts through the script runner, and the run id prefixed with the executor's serial
 * (onRunResult takes it off again).
 */
function runEffect(
  s: GroupNodeState,
  serial: number,
  e: Extract<ExecutorEffect, { type: 'run' }>,
): NodeEffect<GroupMessage> {
  const first = e.command.trim().split(/\s+/)[0] ?? '';
  const command = first.includes('/')
    ? e.command
    : `${s.config.scriptRunner ?? 'haven-event'} ${e.command}`;
  return {
    type: 'run',
    runId: `${String(serial)}/${e.runId}`,
    command,
    args: e.args,
    env: e.env,
    timeoutMs: e.timeoutMs,
    role: e.role,
  };
}

/** Feeds the running part's executor and carries out what it asks. */
function stepPart(
  s0: GroupNodeState,
  input: ExecutorInput,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  const p0 = s0.part;
  if (!p0) return s0;
  const r = stepExecutor(p0.exec, input, nowMs);
  let s: GroupNodeState = { ...s0, part: { ...p0, exec: r.state, execWakeMs: r.wakeAtMs } };
  const mine = (st: GroupNodeState): Part | null =>
    st.part?.serial === p0.serial ? st.part : null;
  for (const e of r.effects) {
    switch (e.type) {
      case 'run':
        fx.push(runEffect(s, p0.serial, e));
        break;
      case 'barrier-reached': {
        const p = mine(s);
        if (p && e.index === 0 && p.placement && p.releases.length > 0) {
          // Segment 0 is over on this node: what leaves it is released, and barrier 0 is
          // reached once that is done (onResources).
          const groups = p.releases.filter((g) => s.held.has(g));
          if (groups.length > 0) {
            fx.push({
              type: 'resources',
              runId: `${String(p.serial)}/release`,
              op: 'release',
              groups,
            });
            s = { ...s, part: { ...p, pending: { op: 'release', groups } } };
            break;
          }
        }
        if (p)
          s = fromAgreement(
            s,
            onReached(s.agreement, e.index, nowMs, referencePriority),
            nowMs,
            fx,
          );
        break;
      }
      case 'end-reached':
        if (mine(s))
          s = fromAgreement(s, onReached(s.agreement, END, nowMs, referencePriority), nowMs, fx);
        break;
      case 'error': {
        const p = mine(s);
        if (!p) break;
        const error: EventError = {
          id: p.id,
          event: p.event.name,
          groups: [...p.releases, ...p.acquires],
          message: shortened(e.failure.message),
        };
        s = inError({ ...s, part: { ...p, error: e.failure } }, s.self, error, nowMs, fx);
        toMembers(s, { type: 'error', ...error }, fx);
        break;
      }
      case 'config_too_long':
        log(fx, 'warn', 'config_too_long', {
          event: p0.event.name,
          eventId: idText(p0.id),
          elapsedMs: e.elapsedMs,
          count: e.count,
          limitMs: e.limitMs,
        });
        s = startLocal(s, 'config_too_long', idText(p0.id), nowMs, fx);
        break;
      case 'done':
        log(fx, 'info', 'event part done', { ...e.outcome });
        if (mine(s)) s = { ...s, part: null };
        break;
      case 'log':
        fx.push(e);
        break;
    }
  }
  return s;
}

/** Error messages travel to every member: long command output is cut to keep them small. */
const MAX_ERROR_CHARS = 4000;
function shortened(message: string): string {
  return message.length <= MAX_ERROR_CHARS
    ? message
    : `${message.slice(0, MAX_ERROR_CHARS - 40)} [... ${String(message.length - MAX_ERROR_CHARS + 40)} characters cut]`;
}

/** An event went to error on `node`: remember it, say so, and run event_error here. */
function inError(
  s: GroupNodeState,
  node: NodeNo,
  error: EventError,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  const { id, event, groups, message } = error;
  log(fx, 'error', 'event in error', { node, event, eventId: idText(id), groups, message });
  const errors = new Map(s.errors).set(node, { id, event, groups, message });
  return startLocal({ ...s, errors }, 'event_error', idText(id), nowMs, fx);
}

/** Runs a local warning program (config_too_long, event_error) on this node alone. */
function startLocal(
  s: GroupNodeState,
  name: 'config_too_long' | 'event_error',
  about: string,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  if (s.locals.length >= MAX_LOCAL_RUNS) {
    log(fx, 'warn', `${name} not run: ${String(MAX_LOCAL_RUNS)} warnings are running already`);
    return s;
  }
  const exec = createExecutor({
    event: { name, id: `${about}/${name}/${String(s.runs)}`, node: s.self },
    program: builtinProgram(name)?.steps ?? [],
    self: s.self,
    members: [s.self],
    eventTimeLimitMs: s.config.eventTimeLimitMs ?? DEFAULT_EVENT_TIME_LIMIT_MS,
    customizations: s.config.customizations,
    commandTimeoutMs: s.config.commandTimeoutMs,
    nodeNames: s.config.nodeNames,
  });
  const local: LocalRun = { serial: s.runs, exec, execWakeMs: null };
  return stepLocal(
    { ...s, locals: [...s.locals, local], runs: s.runs + 1 },
    local.serial,
    { type: 'start' },
    nowMs,
    fx,
  );
}

function stepLocal(
  s: GroupNodeState,
  serial: number,
  input: ExecutorInput,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  const l = s.locals.find((x) => x.serial === serial);
  if (!l) return s;
  const r = stepExecutor(l.exec, input, nowMs);
  let ended = false;
  let endAt: number | null = null;
  for (const e of r.effects) {
    switch (e.type) {
      case 'run':
        fx.push(runEffect(s, serial, e));
        break;
      case 'end-reached':
        endAt = e.index; // alone: the closing barrier completes at once
        break;
      case 'error':
        log(fx, 'warn', `${l.exec.settings.event.name} failed`, { message: e.failure.message });
        ended = true;
        break;
      case 'done':
        ended = true;
        break;
      case 'log':
        fx.push(e);
        break;
      default:
        break;
    }
  }
  const locals = ended
    ? s.locals.filter((x) => x.serial !== serial)
    : s.locals.map((x) =>
        x.serial === serial ? { ...x, exec: r.state, execWakeMs: r.wakeAtMs } : x,
      );
  const next = { ...s, locals };
  return endAt === null || ended
    ? next
    : stepLocal(next, serial, { type: 'barrier-complete', index: endAt }, nowMs, fx);
}

/**
 * Barrier 0 of a placement event completed: every participant released what leaves it. Take
 * what the placement gives this node, once the takeover delay passed and the lease runs, then
 * let the program's next segment run.
 */
function acquire(s: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  const p = s.part;
  if (!p) return s;
  const groups = acquireGroups(s, nowMs);
  if (groups.length > 0) {
    // Wait until whoever left the view must have let go, and until this node's lease runs (a
    // lost answer delays it by a ping round); wake() asks for the time.
    const until = s.viewSinceMs + (s.config.takeoverDelayMs ?? 0);
    const retry = nowMs + (s.config.lease?.renewMs ?? 0);
    const wait = nowMs < until ? until : mayHoldUntil(s, nowMs) <= nowMs ? retry : null;
    if (wait !== null) return { ...s, part: { ...p, deferredUntil: wait } };
    // Counted as held from the start of the acquisition: the safe side.
    for (const group of groups)
      fx.push({ type: 'holding', group, held: true, exclusive: isExclusive(s, group) });
    fx.push({ type: 'resources', runId: `${String(p.serial)}/acquire`, op: 'acquire', groups });
    return {
      ...s,
      held: new Set([...s.held, ...groups]),
      part: { ...p, deferredUntil: null, pending: { op: 'acquire', groups } },
    };
  }
  return acquired({ ...s, part: { ...p, deferredUntil: null } }, [], nowMs, fx);
}

/** The acquisition is over (`groups` came online here): the next segment runs. */
function acquired(
  s: GroupNodeState,
  groups: readonly string[],
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  const p = s.part;
  if (!p) return s;
  let state: GroupNodeState = { ...s, part: { ...p, acquires: groups, pending: null } };
  state = stepPart(
    state,
    { type: 'env', env: { HAVEN_ACQUIRE_GROUPS: groups.join(' ') } },
    nowMs,
    fx,
  );
  return stepPart(state, { type: 'barrier-complete', index: 0 }, nowMs, fx);
}

/**
 * A resources effect finished. A release: what went offline is no longer held, and barrier 0
 * is reached; a group that would not go offline may still run here, so nothing may take it
 * over: the part goes to error and waits for the operator (resume). An acquisition: a group
 * that failed was rolled back; it is in error here, and an rg_move places it elsewhere.
 */
function onResources(
  s0: GroupNodeState,
  input: Extract<NodeInput<GroupMessage>, { type: 'resources-result' }>,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  let s = s0;
  const failed = new Map(input.failed.map((f) => [f.group, f.reason]));
  if (input.runId.startsWith('halt:')) {
    for (const [group, reason] of failed)
      log(fx, 'error', 'group did not go offline after quorum or lease loss', { group, reason });
    return s;
  }
  const slash = input.runId.indexOf('/');
  const serial = Number(input.runId.slice(0, slash));
  const op = input.runId.slice(slash + 1);
  const p = s.part;
  const current = p?.serial === serial && p.pending?.op === op ? p : null;
  if (op === 'release') {
    const groups = current?.pending?.groups ?? [];
    const done = groups.filter((g) => !failed.has(g));
    for (const group of done)
      fx.push({ type: 'holding', group, held: false, exclusive: isExclusive(s, group) });
    s = { ...s, held: new Set([...s.held].filter((g) => !done.includes(g))) };
    if (!current) return s;
    if (failed.size > 0) {
      const unreleased = [...failed.keys()];
      const message = shortened(
        `release failed: ${[...failed].map(([g, r]) => `${g}: ${r}`).join('; ')}`,
      );
      const error: EventError = {
        id: current.id,
        event: current.event.name,
        groups: unreleased,
        message,
      };
      s = { ...s, part: { ...current, pending: null, unreleased, error: { message } } };
      s = inError(s, s.self, error, nowMs, fx);
      toMembers(s, { type: 'error', ...error }, fx);
      return s;
    }
    s = { ...s, part: { ...current, pending: null } };
    return fromAgreement(s, onReached(s.agreement, 0, nowMs, referencePriority), nowMs, fx);
  }
  const groupErrors = new Map(s.groupErrors);
  for (const [group, reason] of failed) {
    fx.push({ type: 'holding', group, held: false, exclusive: isExclusive(s, group) });
    groupErrors.set(group, reason);
    log(fx, 'error', 'group failed to come online here: it moves on', { group, reason });
  }
  s = {
    ...s,
    groupErrors,
    held: new Set([...s.held].filter((g) => !failed.has(g))),
  };
  for (const group of [...failed.keys()].sort())
    s = askMove(s, { group, failed: String(s.self) }, nowMs, fx);
  if (op !== 'acquire' || !current) {
    log(fx, 'debug', 'resources result of an event no longer running', { runId: input.runId });
    return s;
  }
  const groups = current.pending?.groups ?? [];
  return acquired(
    s,
    groups.filter((g) => !failed.has(g)),
    nowMs,
    fx,
  );
}

/** Asks for an rg_move about one group (its details say what changes), queued like any event. */
function askMove(
  s: GroupNodeState,
  details: Readonly<Record<string, string>>,
  nowMs: number,
  fx: Effects,
  name = 'rg_move',
): GroupNodeState {
  const key = `${name}:${String(s.self)}:${Object.values(details).join(':')}:${String(nowMs)}`;
  const out = onLocalEvent(
    s.agreement,
    { key, name, node: s.self, network: undefined, details },
    nowMs,
    referencePriority,
  );
  return fromAgreement(s, out, nowMs, fx);
}

/** An operator's rg_move, rg_online or rg_offline, checked, then asked of the cluster. */
function groupRequest(
  s: GroupNodeState,
  r: GroupRequest,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  const g = (s.config.groups ?? []).find((x) => x.name === r.group);
  if (!g) {
    log(fx, 'warn', `${r.type}: no resource group ${r.group}`, { group: r.group });
    return s;
  }
  const target = r.type === 'rg-move' ? r.to : r.type === 'rg-online' ? r.node : undefined;
  if (target !== undefined && !g.nodes.includes(target)) {
    log(fx, 'warn', `${r.type}: node ${String(target)} is not in the node list of ${r.group}`, {
      group: r.group,
      nodes: g.nodes,
    });
    return s;
  }
  const name =
    r.type === 'rg-move' ? 'rg_move' : r.type === 'rg-online' ? 'rg_online' : 'rg_offline';
  log(
    fx,
    'info',
    `operator: ${name} ${r.group}${target === undefined ? '' : ` to node ${String(target)}`}`,
  );
  const details: Record<string, string> =
    target === undefined ? { group: r.group } : { group: r.group, target: String(target) };
  return askMove(s, details, nowMs, fx, name);
}

/** Groups this node acquires after barrier 0 of a placement event. */
function acquireGroups(s: GroupNodeState, nowMs: number): string[] {
  const view = s.agreement.view;
  if (!hasQuorum(s, nowMs) || s.stopping) return [];
  // Only when every member of the view took part, so released what it had to before barrier 0:
  // an event that began in an earlier view may count members that never ran it, and these may
  // hold the group. A later event of this view, which they run, places it.
  const participants = s.agreement.running?.participants ?? [];
  if (!view || !view.members.every((m) => participants.includes(m))) return [];
  return Object.keys(s.resources.placement)
    .filter((g) => placedOn(s, g, s.self) && !s.held.has(g))
    .sort();
}

/** The operator's resume (clruncmd): this node's part goes on after its failed command(s). */
function resume(s: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  const p = s.part;
  if (!p?.error) {
    log(fx, 'info', 'resume: no event in error on this node');
    return s;
  }
  log(fx, 'warn', 'event resumed by the operator', { event: p.event.name, eventId: idText(p.id) });
  const errors = new Map(s.errors);
  errors.delete(s.self);
  let state: GroupNodeState = { ...s, errors, part: { ...p, error: null } };
  toMembers(state, { type: 'resumed', id: p.id }, fx);
  if (p.unreleased.length > 0) {
    // A release failed: resuming is the operator's word that those groups are offline now.
    const gone = p.unreleased;
    for (const group of gone)
      fx.push({ type: 'holding', group, held: false, exclusive: isExclusive(s, group) });
    log(fx, 'warn', "groups taken as offline on the operator's resume", { groups: gone });
    state = {
      ...state,
      held: new Set([...state.held].filter((g) => !gone.includes(g))),
      part: { ...p, error: null, unreleased: [] },
    };
    return fromAgreement(state, onReached(state.agreement, 0, nowMs, referencePriority), nowMs, fx);
  }
  state = stepPart(state, { type: 'resume' }, nowMs, fx);
  return state;
}

function onCm(
  s: GroupNodeState,
  from: NodeNo,
  msg: CmMessage,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  switch (msg.type) {
    case 'error':
      return inError(s, from, msg, nowMs, fx);
    case 'resumed': {
      const known = s.errors.get(from);
      if (!known || !sameId(known.id, msg.id)) return s;
      const errors = new Map(s.errors);
      errors.delete(from);
      return { ...s, errors };
    }
    case 'resume':
      return resume(s, nowMs, fx);
    case 'stop':
      log(fx, 'info', `stop requested by node ${String(from)} for every node`, { mode: msg.mode });
      return stop(s, msg.mode, nowMs, fx);
    case 'facts': {
      const view = s.agreement.view;
      if (view?.members[0] !== s.self || !view.members.includes(from)) return s;
      const facts = parseFacts(msg.facts);
      if (!facts) return s;
      return withExtra({ ...s, facts: new Map(s.facts).set(from, facts) });
    }
    case 'tie-ask': {
      const view = s.agreement.view;
      const same = view !== null && compareEpochs(view.epoch, msg.epoch) === 0;
      if (same && view.members[0] === s.self && s.tie.ownUntil > nowMs)
        fx.push({
          type: 'send',
          to: from,
          msg: {
            layer: 'cm',
            msg: {
              type: 'tie-grant',
              epoch: msg.epoch,
              t0: msg.t0,
              remainingMs: s.tie.ownUntil - nowMs,
            },
          },
        });
      return s;
    }
    case 'tie-grant': {
      const view = s.agreement.view;
      const same = view !== null && compareEpochs(view.epoch, msg.epoch) === 0;
      if (!same || view.members[0] !== from) return s;
      // Counted from this node's own t0, and never longer than the holding lease: a member
      // whose leader moved on lets go as soon as the lease would make it.
      const cap = s.config.lease?.leaseMs ?? s.config.tieBreaker?.leaseMs ?? 0;
      const until = msg.t0 + Math.min(msg.remainingMs, cap);
      if (until <= s.tie.leaderUntil) return s;
      return { ...s, tie: { ...s.tie, leaderUntil: until } };
    }
  }
}

/** The operator asked this node to stop: a node_down about itself, with the mode. */
function stop(s: GroupNodeState, mode: StopMode, nowMs: number, fx: Effects): GroupNodeState {
  if (s.stopping) {
    log(fx, 'info', 'stop: already stopping', { mode: s.stopping.details?.['mode'] });
    return s;
  }
  if (!s.agreement.view) {
    log(fx, 'info', `stopped (${mode}) before joining a view`);
    fx.push({ type: 'exit' });
    return s;
  }
  const event: ClusterEvent = {
    key: `node_down:${String(s.self)}:stop:${String(nowMs)}`,
    name: 'node_down',
    node: s.self,
    details: { mode },
  };
  log(fx, 'info', `stopping (${mode})`, { holding: [...s.held].sort() });
  return fromAgreement(
    { ...s, stopping: event },
    onLocalEvent(s.agreement, event, nowMs, referencePriority),
    nowMs,
    fx,
  );
}

/** The cluster manager's state, derived from the layers' (see CmState). */
export function cmState(s: GroupNodeState): CmState {
  if (s.part) {
    if (s.part.error) return 'error';
    if (s.part.pending) return 'rp_running';
    if (s.part.deferredUntil !== null) return 'barrier';
    const st = executorStatus(s.part.exec);
    return st === 'idle' ? 'rp_running' : st;
  }
  const a = s.agreement;
  if (!a.view) return 'init';
  if (a.vote) return 'voting';
  if (
    s.membership.attempt ||
    a.awaitingSync.size > 0 ||
    a.queue.length > 0 ||
    a.mine.length > 0 ||
    a.running
  )
    return 'unstable';
  if (a.view.members.length === 1 && s.membership.up.length > 0) return 'joining';
  return 'stable';
}

/** What `haven status` shows of the cluster manager on this node. */
export function cmStatus(s: GroupNodeState): Record<string, unknown> {
  const p = s.part;
  return {
    state: s.cm,
    view: s.agreement.view
      ? { epoch: epochText(s.agreement.view.epoch), members: s.agreement.view.members }
      : null,
    quorum: s.quorum,
    event: p
      ? {
          name: p.event.name,
          node: p.event.node,
          id: idText(p.id),
          status: executorStatus(p.exec),
          releases: p.releases,
          acquires: p.acquires,
          error: p.error?.message ?? null,
        }
      : null,
    queue: s.agreement.queue.map((e) => `${e.name} ${String(e.node)}`),
    held: [...s.held].sort(),
    errors: [...s.errors].map(([node, e]) => ({
      node,
      event: e.event,
      groups: e.groups,
      message: e.message,
    })),
    stops: [...s.stops.values()].map((r) => ({ node: r.node, mode: r.mode, groups: r.groups })),
    stopping: s.stopping !== null,
    groups: groupStates(s),
  };
}

/** A group's state on one node (the reference's, plus Haven's unmanaged). */
export type GroupState =
  | 'online'
  | 'offline'
  | 'acquiring'
  | 'releasing'
  | 'error'
  | 'temporary error'
  | 'unknown'
  | 'unmanaged';

/** One group as this node sees the cluster: the plan, this node's own state, why. */
export interface GroupStatus {
  readonly group: string;
  /** Where the plan puts it. */
  readonly placedOn: readonly NodeNo[];
  readonly reason: string;
  /** The operator's priority override: a node, or offline. */
  readonly override: NodeNo | 'offline' | null;
  /** Its state on each node of its list, as far as this node knows. */
  readonly states: Readonly<Record<number, GroupState>>;
}

/**
 * Each group's state on each node of its list, as this node knows it: its own state exactly;
 * for the others, the plan, the errors they reported and the stops.
 */
export function groupStates(s: GroupNodeState): GroupStatus[] {
  const p = s.part;
  const members = s.agreement.view?.members ?? [];
  return (s.config.groups ?? []).map((g) => {
    const placedOn = s.resources.placement[g.name] ?? [];
    const states: Record<number, GroupState> = {};
    for (const n of g.nodes) {
      let st: GroupState;
      if (n === s.self) {
        if (p?.pending?.groups.includes(g.name))
          st = p.pending.op === 'acquire' ? 'acquiring' : 'releasing';
        else if (p?.unreleased.includes(g.name)) st = 'error';
        else if (s.groupErrors.has(g.name)) st = 'error';
        else if (s.held.has(g.name)) st = 'online';
        else if ((s.resources.failed[g.name] ?? []).includes(n)) st = 'error';
        else st = 'offline';
      } else {
        const err = s.errors.get(n);
        const stop = s.stops.get(n);
        if (err?.groups.includes(g.name)) st = 'error';
        else if (stop?.mode === 'forced' && stop.groups.includes(g.name)) st = 'unmanaged';
        else if ((s.resources.failed[g.name] ?? []).includes(n)) st = 'error';
        else if (!members.includes(n)) st = placedOn.includes(n) ? 'unknown' : 'offline';
        else st = placedOn.includes(n) ? 'online' : 'offline';
      }
      states[n] = st;
    }
    const o = s.resources.overrides[g.name];
    return {
      group: g.name,
      placedOn,
      reason: s.resources.reasons[g.name] ?? 'not placed yet',
      override: o ?? null,
      states,
    };
  });
}

function wake(s0: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  // A lease that ran out lets go of everything; a running one wakes us at its end.
  let s = s0;
  let leaseEnd = Infinity;
  if (s.held.size > 0 && (s.config.lease || s.quorum === 'tie')) {
    leaseEnd = mayHoldUntil(s, nowMs);
    if (leaseEnd <= nowMs) {
      s = letGo(s, 'holding lease ran out', fx);
      leaseEnd = Infinity;
      // The view may well outlive the trouble (a flapping link): ask for an rg_move, which
      // places the groups again once the lease runs again.
      s = replace(s, 'lease', nowMs, fx);
    }
  }
  if (s.settleAt !== null && nowMs >= s.settleAt.atMs) {
    // Every node that saw the plan asks, with the same key: the cluster runs it once.
    const out = onLocalEvent(
      s.agreement,
      {
        key: `rg_move:settling:${s.settleAt.key}`,
        name: 'rg_move',
        node: s.self,
        network: undefined,
        details: { trigger: 'settling_expired' },
      },
      nowMs,
      referencePriority,
    );
    s = fromAgreement({ ...s, settleAt: null }, out, nowMs, fx);
  }
  const cm = cmState(s);
  if (cm !== s.cm) {
    log(fx, 'debug', 'cm', { from: s.cm, to: cm });
    s = { ...s, cm };
  }
  let at = Math.min(
    membershipWakeAt(s.membership),
    agreementWakeAt(s.agreement),
    s.part?.deferredUntil ?? Infinity,
    s.part?.execWakeMs ?? Infinity,
    s.config.lease && s.agreement.view ? s.lease.nextPingMs : Infinity,
    s.config.tieBreaker && s.quorum === 'tie' ? s.tie.nextAskMs : Infinity,
    s.settleAt?.atMs ?? Infinity,
    leaseEnd,
  );
  for (const l of s.locals) at = Math.min(at, l.execWakeMs ?? Infinity);
  const wakeAt = Number.isFinite(at) ? at : null;
  // The runner keeps one timer and drops it when it fires: a time that has come must be
  // asked for again even when it did not change, or the node would never wake again.
  const fired = s.wakeAt !== null && s.wakeAt <= nowMs;
  if (wakeAt !== s.wakeAt || fired) fx.push({ type: 'wake-at', atMs: wakeAt });
  return { ...s, wakeAt };
}

/** The wake-up time came: the executors' timers and a deferred acquisition. */
function onWake(s0: GroupNodeState, nowMs: number, fx: Effects): GroupNodeState {
  let s = s0;
  if (s.part && nowMs >= (s.part.execWakeMs ?? Infinity))
    s = stepPart(s, { type: 'wake' }, nowMs, fx);
  for (const l of s.locals)
    if (nowMs >= (l.execWakeMs ?? Infinity))
      s = stepLocal(s, l.serial, { type: 'wake' }, nowMs, fx);
  if (s.part && nowMs >= (s.part.deferredUntil ?? Infinity)) s = acquire(s, nowMs, fx);
  return s;
}

/** A command's result, to the executor that ran it (run ids are `serial/executor id`). */
function onRunResult(
  s: GroupNodeState,
  input: Extract<NodeInput<GroupMessage>, { type: 'run-result' }>,
  nowMs: number,
  fx: Effects,
): GroupNodeState {
  const slash = input.runId.indexOf('/');
  const serial = Number(input.runId.slice(0, slash));
  const result: ExecutorInput = {
    type: 'run-result',
    runId: input.runId.slice(slash + 1),
    exitCode: input.exitCode,
    timedOut: input.timedOut,
    output: input.output,
  };
  if (slash > 0 && s.part?.serial === serial) return stepPart(s, result, nowMs, fx);
  if (slash > 0 && s.locals.some((l) => l.serial === serial))
    return stepLocal(s, serial, result, nowMs, fx);
  log(fx, 'debug', 'result of a command of an event no longer running', { runId: input.runId });
  return s;
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
        state = onWake(state, nowMs, fx);
        state = tieTick(state, nowMs, fx);
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
        switch (input.msg.layer) {
          case 'lease':
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
          case 'membership':
            state = fromMembership(
              state,
              onMembershipMessage(state.membership, input.from, input.msg.msg, nowMs),
              nowMs,
              fx,
            );
            break;
          case 'agreement':
            state = fromAgreement(
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
          case 'cm':
            state = onCm(state, input.from, input.msg.msg, nowMs, fx);
            break;
        }
        break;
      case 'run-result':
        state = onRunResult(state, input, nowMs, fx);
        break;
      case 'resources-result':
        state = onResources(state, input, nowMs, fx);
        break;
      case 'facts': {
        // Kept here (a leader's own), and sent to the leader, which plans with them.
        state = withExtra({ ...state, facts: new Map(state.facts).set(state.self, input.facts) });
        const leader = state.agreement.view?.members[0];
        if (leader !== undefined && leader !== state.self)
          fx.push({
            type: 'send',
            to: leader,
            msg: { layer: 'cm', msg: { type: 'facts', facts: input.facts } },
          });
        break;
      }
      case 'local-event': {
        const base = `${input.event.name}:${String(input.event.node)}:${input.event.network ?? ''}`;
        const n = (state.localCounts.get(base) ?? 0) + 1;
        const view = state.agreement.view ? epochText(state.agreement.view.epoch) : '-';
        state = { ...state, localCounts: new Map(state.localCounts).set(base, n) };
        state = fromAgreement(
          state,
          onLocalEvent(
            state.agreement,
            {
              key: `${base}:${view}:${String(n)}`,
              name: input.event.name,
              node: input.event.node,
              network: input.event.network,
              details: input.event.details,
            },
            nowMs,
            referencePriority,
          ),
          nowMs,
          fx,
        );
        break;
      }
      case 'operator': {
        const r = input.request;
        if (r.type === 'stop') {
          if (r.all === true) toMembers(state, { type: 'stop', mode: r.mode }, fx);
          state = stop(state, r.mode, nowMs, fx);
        } else if (r.type === 'resume') {
          // Every node in error resumes: this one here, the others by message.
          for (const n of state.errors.keys())
            if (n !== state.self)
              fx.push({ type: 'send', to: n, msg: { layer: 'cm', msg: { type: 'resume' } } });
          state = resume(state, nowMs, fx);
        } else state = groupRequest(state, r, nowMs, fx);
        break;
      }
      case 'tiebreak-result':
        state = onTiebreak(state, input.requestId, input.granted, nowMs, fx);
        break;
    }
    return { state: wake(state, nowMs, fx), effects: fx };
  },
};

/** `list` with `item` added at its end, keeping at most `limit` (all if undefined). */
function appendBounded<T>(list: readonly T[], item: T, limit: number | undefined): readonly T[] {
  if (limit === undefined || list.length < limit) return [...list, item];
  return [...list.slice(list.length - limit + 1), item];
}
