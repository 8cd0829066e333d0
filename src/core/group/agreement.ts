// Group services' event agreement: one cluster event at a time, in the same order on every
// member, with barriers inside each event's recovery program. Pure.
//
// - Voting (two phases): members forward the events they detect to the view's leader. When no
//   event runs and the queue has settled, the leader proposes its highest-priority event;
//   each member approves, or answers with a higher-priority event of its own, which the
//   leader queues and proposes instead. With every approval the leader decides: the event
//   gets the id (epoch, seq), and every member starts its part.
// - Barriers: a member reaching barrier k of the running event tells the leader; the leader
//   releases k when every participant still in the view has reached it, so a member that
//   left never holds it up. The barrier named END is the cbarrier that closes each event.
// - After a view change every member sends the new leader its progress (the running event and
//   the barriers it reached) and the events it detected; the leader proposes nothing new until
//   every member has synced, and it then finishes the running event before the next.
//
// What a node does for an event between barriers (running the recovery program) is not here:
// the caller is told to start its part, and tells this module when its part reaches a barrier.

import type { NodeNo } from '../cluster/node.js';
import { compareEpochs, epochText, type Epoch, type View } from './membership.js';

/** An event as queued and voted on. `key` identifies it: the same key queued twice is one event. */
export interface ClusterEvent {
  readonly key: string;
  readonly name: string;
  /** The node the event is about. */
  readonly node: NodeNo;
  readonly network?: string | undefined;
  readonly details?: Readonly<Record<string, string>> | undefined;
}

export interface EventId {
  readonly epoch: Epoch;
  readonly seq: number;
}

export function compareEventIds(a: EventId, b: EventId): number {
  return compareEpochs(a.epoch, b.epoch) || a.seq - b.seq;
}

export const END = -1;

export type AgreementMessage =
  | { readonly type: 'submit'; readonly events: readonly ClusterEvent[] }
  | { readonly type: 'propose'; readonly id: EventId; readonly event: ClusterEvent }
  | { readonly type: 'vote'; readonly id: EventId; readonly higher: ClusterEvent | null }
  | {
      readonly type: 'decide';
      readonly id: EventId;
      readonly event: ClusterEvent;
      readonly participants: readonly NodeNo[];
      /** What the caller gives every participant with the decision (AgreementState.decideExtra). */
      readonly extra?: unknown;
    }
  | { readonly type: 'reached'; readonly id: EventId; readonly barrier: number }
  | {
      readonly type: 'release';
      readonly id: EventId;
      readonly barrier: number;
      /** The participants the leader counts now (fewer after a view change). */
      readonly participants: readonly NodeNo[];
    }
  | {
      readonly type: 'sync';
      readonly epoch: Epoch;
      readonly running: Running | null;
      readonly mine: readonly ClusterEvent[];
      /** The id of the last event this member finished. */
      readonly lastDone: EventId | null;
      /** The member's `decideExtra`, for the new leader to merge before it decides anything. */
      readonly extra?: unknown;
    }
  /** The leader has the member's sync for this epoch. */
  | { readonly type: 'synced'; readonly epoch: Epoch }
  /** Drop this event: the new view goes on with another one (partitions ran different events). */
  | { readonly type: 'abandon'; readonly id: EventId };

/** The event in progress, as one node sees it. */
export interface Running {
  readonly id: EventId;
  readonly event: ClusterEvent;
  readonly participants: readonly NodeNo[];
  /** Barriers this node has reached (its part got there). */
  readonly reached: readonly number[];
  /** Barriers released cluster-wide, as far as this node knows. */
  readonly released: readonly number[];
}

interface Vote {
  readonly id: EventId;
  readonly event: ClusterEvent;
  readonly approved: ReadonlySet<NodeNo>;
}

export interface AgreementState {
  readonly self: NodeNo;
  readonly view: View | null;
  /** Events this node detected and has not yet seen decided (re-sent to each new leader). */
  readonly mine: readonly ClusterEvent[];
  /** As leader: the queue, highest priority first. */
  readonly queue: readonly ClusterEvent[];
  readonly running: Running | null;
  /** As leader: which member reached which barrier of the running event. */
  readonly reachedBy: ReadonlyMap<number, ReadonlySet<NodeNo>>;
  readonly vote: Vote | null;
  /** As leader: the next sequence number in this epoch. */
  readonly nextSeq: number;
  /** As leader after a view change: members whose sync has not arrived yet. */
  readonly awaitingSync: ReadonlySet<NodeNo>;
  /** As leader after a view change: what each synced member reports running. */
  readonly reports: ReadonlyMap<NodeNo, Running | null>;
  /**
   * As leader after a view change: the newest event a synced member reports finished. The
   * cluster finished it (in some partition) after anything older: an older running event is
   * stale, its plan made before what came since.
   */
  readonly newestDone: EventId | null;
  /**
   * Recently finished events, oldest first (bounded): by id, to answer a member that missed a
   * release (exact ids: partitions may have run other events); by key, so that a late
   * re-submission does not run an event twice.
   */
  readonly done: readonly Finished[];
  /** As leader: no proposal before this time (the settle interval after a queue change). */
  readonly settleUntilMs: number;
  readonly settleMs: number;
  readonly lastDone: EventId | null;
  /** As member: the leader of this view acknowledged our sync (only `synced` says so). */
  readonly heardLeader: boolean;
  /** Lost messages are repaired by re-sending what is outstanding at this time. */
  readonly nextRetryMs: number;
  readonly retryMs: number;
  /**
   * Given by the caller, sent with every decision as it leads (and with the repeats), and given
   * back to each member in its `start` notice: state that a member must have before it runs an
   * event (the stop records of the cluster manager). Undefined: nothing is added.
   */
  readonly decideExtra: unknown;
}

const DONE_KEYS = 256;

interface Finished {
  readonly id: EventId;
  readonly key: string;
  /**
   * As leader: the participants in the view that reached END when this node released it. Only
   * they may be told again that the event is over: a member that ran the same event in another
   * partition did not reach these barriers with them, and is sorted out by the next sync.
   */
  readonly finishers: readonly NodeNo[];
}

export interface AgreementSend {
  readonly to: NodeNo;
  readonly msg: AgreementMessage;
}

/** What the caller must do: start this node's part of an event, or learn that a barrier opened. */
export type AgreementNotice =
  | {
      readonly type: 'start';
      readonly id: EventId;
      readonly event: ClusterEvent;
      readonly participants: readonly NodeNo[];
      /** The leader's `decideExtra` (untrusted: it came from the network). */
      readonly extra?: unknown;
    }
  | { readonly type: 'released'; readonly id: EventId; readonly barrier: number }
  | { readonly type: 'done'; readonly id: EventId; readonly event: ClusterEvent }
  | { readonly type: 'abandoned'; readonly id: EventId; readonly event: ClusterEvent }
  /** As leader: a member's sync carried its `decideExtra` (untrusted: from the network). */
  | { readonly type: 'extra'; readonly from: NodeNo; readonly extra: unknown };

export interface AgreementOutput {
  readonly state: AgreementState;
  readonly sends: readonly AgreementSend[];
  readonly notices: readonly AgreementNotice[];
}

export type Priority = (a: ClusterEvent, b: ClusterEvent) => number;

export function createAgreement(self: NodeNo, settleMs: number, retryMs = 300): AgreementState {
  return {
    self,
    view: null,
    mine: [],
    queue: [],
    running: null,
    reachedBy: new Map(),
    vote: null,
    nextSeq: 1,
    awaitingSync: new Set(),
    reports: new Map(),
    newestDone: null,
    done: [],
    settleUntilMs: 0,
    settleMs,
    lastDone: null,
    heardLeader: false,
    nextRetryMs: 0,
    retryMs,
    decideExtra: undefined,
  };
}

const isLeader = (s: AgreementState): boolean => s.view !== null && s.view.members[0] === s.self;
const leaderOf = (s: AgreementState): NodeNo | undefined => s.view?.members[0];

function enqueue(
  queue: readonly ClusterEvent[],
  events: readonly ClusterEvent[],
  priority: Priority,
): ClusterEvent[] {
  const byKey = new Map(queue.map((e) => [e.key, e]));
  for (const e of events) if (!byKey.has(e.key)) byKey.set(e.key, e);
  return [...byKey.values()].sort(priority);
}

/** Sends `msg` to every member of the view but this node; `self` handling is the caller's. */
function toOthers(
  s: AgreementState,
  members: readonly NodeNo[],
  msg: AgreementMessage,
): AgreementSend[] {
  return members.filter((m) => m !== s.self).map((to) => ({ to, msg }));
}

interface Acc {
  state: AgreementState;
  sends: AgreementSend[];
  notices: AgreementNotice[];
}

function out(a: Acc): AgreementOutput {
  return { state: a.state, sends: a.sends, notices: a.notices };
}

/** A view was committed on this node. */
export function onView(
  s: AgreementState,
  view: View,
  joined: readonly NodeNo[],
  left: readonly NodeNo[],
  nowMs: number,
  priority: Priority,
): AgreementOutput {
  const a: Acc = {
    state: { ...s, view, vote: null, nextSeq: 1, heardLeader: false },
    sends: [],
    notices: [],
  };
  const leader = view.members[0] as NodeNo;
  if (leader === s.self) {
    // Membership changes are events, derived identically by whoever leads the new view. The
    // queue keeps at most one node_up and one node_down per node, and drops those the new
    // view contradicts (an up for a node gone again, a down for a node back), so churn cannot
    // pile up stale membership events.
    // A node_down with a mode is the operator's stop of a member: the view never contradicts it.
    const contradicted = (e: ClusterEvent): boolean =>
      (e.name === 'node_up' && !view.members.includes(e.node)) ||
      (e.name === 'node_down' &&
        e.details?.['mode'] === undefined &&
        view.members.includes(e.node));
    const kept = s.queue.filter((e) => !contradicted(e));
    const queued = (name: string, n: NodeNo): boolean =>
      kept.some((e) => e.name === name && e.node === n);
    const changes: ClusterEvent[] = [
      ...joined
        .filter((n) => !queued('node_up', n))
        .map((n) => ({
          key: `node_up:${n}:${epochText(view.epoch)}`,
          name: 'node_up',
          node: n,
        })),
      ...left
        .filter((n) => !queued('node_down', n))
        .map((n) => ({
          key: `node_down:${n}:${epochText(view.epoch)}`,
          name: 'node_down',
          node: n,
        })),
    ];
    a.state = {
      ...a.state,
      queue: enqueue(kept, [...changes, ...s.mine.filter((e) => !contradicted(e))], priority),
      awaitingSync: new Set(view.members.filter((m) => m !== s.self)),
      reports: new Map(),
      newestDone: null,
      reachedBy: new Map(s.running ? s.running.reached.map((k) => [k, new Set([s.self])]) : []),
      settleUntilMs: nowMs + s.settleMs,
    };
    // Alone in the view: nobody's sync to wait for, so settle the running event now.
    if (a.state.awaitingSync.size === 0) resolveRunning(a);
  } else {
    // A node reports, and keeps, only an event whose part it runs: one it merely coordinated
    // as the leader of an earlier view is the new leader's business now.
    const mineRunning = s.running?.participants.includes(s.self) ? s.running : null;
    a.state = { ...a.state, queue: [], running: mineRunning, reachedBy: new Map() };
    a.sends.push({ to: leader, msg: syncMsg(s, view.epoch, mineRunning) });
  }
  return step(a, nowMs, priority);
}

/** This node detected an event (topology, user-defined, operator). */
export function onLocalEvent(
  s: AgreementState,
  event: ClusterEvent,
  nowMs: number,
  priority: Priority,
): AgreementOutput {
  if (s.mine.some((e) => e.key === event.key)) return { state: s, sends: [], notices: [] };
  const a: Acc = { state: { ...s, mine: [...s.mine, event] }, sends: [], notices: [] };
  const leader = leaderOf(s);
  if (leader === s.self) {
    a.state = {
      ...a.state,
      queue: enqueue(a.state.queue, [event], priority),
      settleUntilMs: nowMs + s.settleMs,
    };
  } else if (leader !== undefined) {
    a.sends.push({ to: leader, msg: { type: 'submit', events: [event] } });
  }
  return step(a, nowMs, priority);
}

/** This node's part of the running event reached barrier k (END: the end of the program). */
export function onReached(
  s: AgreementState,
  barrier: number,
  nowMs: number,
  priority: Priority,
): AgreementOutput {
  const r = s.running;
  if (!r || r.reached.includes(barrier)) return { state: s, sends: [], notices: [] };
  const a: Acc = {
    state: { ...s, running: { ...r, reached: [...r.reached, barrier] } },
    sends: [],
    notices: [],
  };
  const leader = leaderOf(s);
  if (leader === s.self) markReached(a, s.self, r.id, barrier);
  else if (leader !== undefined)
    a.sends.push({ to: leader, msg: { type: 'reached', id: r.id, barrier } });
  return step(a, nowMs, priority);
}

function markReached(a: Acc, from: NodeNo, id: EventId, barrier: number): void {
  const r = a.state.running;
  if (!r || compareEventIds(r.id, id) !== 0) return;
  const by = new Map(a.state.reachedBy);
  by.set(barrier, new Set([...(by.get(barrier) ?? []), from]));
  a.state = { ...a.state, reachedBy: by };
}

export function onTimer(s: AgreementState, nowMs: number, priority: Priority): AgreementOutput {
  const a: Acc = { state: s, sends: [], notices: [] };
  if (nowMs >= s.nextRetryMs) {
    a.state = { ...s, nextRetryMs: nowMs + s.retryMs };
    retransmit(a);
  }
  return step(a, nowMs, priority);
}

/** Re-sends whatever may have been lost: every message here is harmless when duplicated. */
function retransmit(a: Acc): void {
  const s = a.state;
  const view = s.view;
  if (!view) return;
  const leader = view.members[0] as NodeNo;
  const r = s.running;
  if (leader === s.self) {
    // Before every sync is in, the running event is not settled for this view: what it shows
    // (participants, releases) belongs to an earlier view and must not be repeated.
    if (s.awaitingSync.size > 0) return;
    if (s.vote) {
      const { id, event } = s.vote;
      for (const m of view.members) {
        if (m !== s.self && !s.vote.approved.has(m))
          a.sends.push({ to: m, msg: { type: 'propose', id, event } });
      }
    }
    if (r) {
      for (const m of r.participants) {
        if (m === s.self || !view.members.includes(m)) continue;
        const reachedAny = [...s.reachedBy.values()].some((by) => by.has(m));
        if (!reachedAny)
          a.sends.push({
            to: m,
            msg: decideMsg(s, r.id, r.event, r.participants),
          });
        for (const k of r.released)
          a.sends.push({
            to: m,
            msg: { type: 'release', id: r.id, barrier: k, participants: r.participants },
          });
      }
    }
    return;
  }
  if (!s.heardLeader) {
    a.sends.push({
      to: leader,
      msg: syncMsg(s, view.epoch, r),
    });
  } else if (s.mine.length > 0) {
    a.sends.push({ to: leader, msg: { type: 'submit', events: s.mine } });
  }
  if (r) {
    for (const k of r.reached) {
      if (!r.released.includes(k))
        a.sends.push({ to: leader, msg: { type: 'reached', id: r.id, barrier: k } });
    }
  }
}

export function onAgreementMessage(
  s: AgreementState,
  from: NodeNo,
  msg: AgreementMessage,
  nowMs: number,
  priority: Priority,
): AgreementOutput {
  const a: Acc = { state: s, sends: [], notices: [] };
  const view = s.view;
  if (!view || !view.members.includes(from)) return out(a);
  const leader = view.members[0];
  switch (msg.type) {
    case 'submit':
      if (isLeader(s)) {
        a.state = {
          ...s,
          queue: enqueue(
            s.queue,
            msg.events.filter((e) => !isDone(s, e)),
            priority,
          ),
          settleUntilMs: nowMs + s.settleMs,
        };
      }
      break;
    case 'sync':
      if (isLeader(s) && compareEpochs(msg.epoch, view.epoch) === 0) {
        a.sends.push({ to: from, msg: { type: 'synced', epoch: view.epoch } });
        if (!s.awaitingSync.has(from)) break;
        const awaiting = new Set(s.awaitingSync);
        awaiting.delete(from);
        const fresh = msg.mine.filter((e) => !isDone(s, e));
        if (msg.extra !== undefined) a.notices.push({ type: 'extra', from, extra: msg.extra });
        a.state = {
          ...s,
          awaitingSync: awaiting,
          reports: new Map(s.reports).set(from, msg.running),
          newestDone: newer(s.newestDone, msg.lastDone),
          queue: enqueue(s.queue, fresh, priority),
        };
        if (awaiting.size === 0) resolveRunning(a);
      }
      break;
    case 'abandon':
      if (from === leader && s.running && compareEventIds(s.running.id, msg.id) === 0) {
        a.state = { ...s, running: null, reachedBy: new Map() };
        a.notices.push({ type: 'abandoned', id: msg.id, event: s.running.event });
      }
      break;
    case 'synced':
      if (from === leader && compareEpochs(msg.epoch, view.epoch) === 0) {
        a.state = { ...a.state, heardLeader: true };
      }
      break;
    case 'propose':
      if (from === leader && compareEpochs(msg.id.epoch, view.epoch) === 0) {
        a.state = { ...a.state, heardLeader: true };
        // Answer with a higher-priority event of our own that the leader has not proposed.
        const higher =
          [...s.mine]
            .sort(priority)
            .find((e) => e.key !== msg.event.key && priority(e, msg.event) < 0) ?? null;
        a.sends.push({ to: from, msg: { type: 'vote', id: msg.id, higher } });
      }
      break;
    case 'vote': {
      const v = s.vote;
      if (!isLeader(s) || !v || compareEventIds(v.id, msg.id) !== 0) break;
      if (msg.higher) {
        a.state = { ...s, vote: null, queue: enqueue(s.queue, [msg.higher], priority) };
      } else {
        a.state = { ...s, vote: { ...v, approved: new Set([...v.approved, from]) } };
      }
      break;
    }
    case 'decide':
      // Only a decision of this view's epoch: this node's sync for the view (sent when it
      // committed) told the leader what it runs, and the leader counts as participants of an
      // older event exactly the members that reported running it. A decision of an older epoch
      // that arrives late must not start a part nobody waits for. (A new leader re-sends the
      // older decision only to members that reported running it, which ignore the repeat.)
      if (from === leader && compareEpochs(msg.id.epoch, view.epoch) === 0) {
        start(a, msg.id, msg.event, msg.participants, msg.extra);
      }
      break;
    case 'reached':
      if (!isLeader(s)) break;
      if (s.done.some((d) => compareEventIds(d.id, msg.id) === 0 && d.finishers.includes(from))) {
        // We finished that event with this member, so every barrier of it was released: the
        // member missed the release, and needs it again.
        a.sends.push({
          to: from,
          msg: { type: 'release', id: msg.id, barrier: msg.barrier, participants: [] },
        });
      } else {
        markReached(a, from, msg.id, msg.barrier);
      }
      break;
    case 'release':
      if (from === leader) {
        release(a, msg.id, msg.barrier, msg.participants);
      }
      break;
  }
  return step(a, nowMs, priority);
}

function isDone(s: AgreementState, e: ClusterEvent): boolean {
  return s.running?.event.key === e.key || s.done.some((d) => d.key === e.key);
}

/**
 * Every member of a new view has synced: decide which event goes on. It is the leader's own
 * running event or, when the leader runs none, the newest one reported; never one older than
 * an event the leader or any member finished (the leader abandons its own then). Its participants are
 * the members running exactly that event; members running another one (from another partition,
 * or an event they cannot run any more) are told to abandon it, and a member that is not
 * running it can no longer hold it up.
 */
function resolveRunning(a: Acc): void {
  let s = a.state;
  // Only an event newer than the last one finished, by this leader or by any member (in
  // another partition), can go on: an older one was planned before what the cluster did since.
  const finished = newer(s.lastDone, s.newestDone);
  const stale = (id: EventId): boolean => finished !== null && compareEventIds(id, finished) <= 0;
  if (s.running && stale(s.running.id)) {
    a.notices.push({ type: 'abandoned', id: s.running.id, event: s.running.event });
    s = { ...s, running: null, reachedBy: new Map() };
    a.state = s;
  }
  let chosen = s.running;
  if (!chosen) {
    for (const r of s.reports.values()) {
      if (r && !stale(r.id)) {
        if (!chosen || compareEventIds(r.id, chosen.id) > 0) chosen = r;
      }
    }
    if (chosen) chosen = { ...chosen, reached: [] };
  }
  // The leader takes part only if its own part runs (not if it merely coordinated the event).
  const leaderRuns =
    chosen !== null && s.running === chosen && chosen.participants.includes(s.self);
  const participants = leaderRuns ? [s.self] : [];
  let reachedBy = new Map<number, Set<NodeNo>>();
  if (chosen && leaderRuns) {
    for (const k of chosen.reached) reachedBy.set(k, new Set([s.self]));
  }
  for (const [m, r] of s.reports) {
    if (!r) continue;
    if (chosen && compareEventIds(r.id, chosen.id) === 0) {
      participants.push(m);
      for (const k of r.reached) reachedBy.set(k, new Set([...(reachedBy.get(k) ?? []), m]));
    } else {
      a.sends.push({ to: m, msg: { type: 'abandon', id: r.id } });
    }
  }
  if (!chosen) {
    reachedBy = new Map();
    a.state = { ...s, running: null, reachedBy, reports: new Map() };
    return;
  }
  // Barriers are judged afresh in the new view: one released in an old partition was reached
  // by that partition's participants, not necessarily by these. Each opens again once every
  // current participant reports it reached (a node that passed it already ignores the repeat).
  a.state = {
    ...s,
    running: { ...chosen, participants: participants.sort((x, y) => x - y), released: [] },
    reachedBy,
    reports: new Map(),
  };
}

/** The newer of two event ids (null is older than any). */
function newer(a: EventId | null, b: EventId | null): EventId | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareEventIds(a, b) >= 0 ? a : b;
}

/** A member's sync, with the caller's extra when it set one (no field at all otherwise). */
function syncMsg(s: AgreementState, epoch: Epoch, running: Running | null): AgreementMessage {
  const base = { type: 'sync', epoch, running, mine: s.mine, lastDone: s.lastDone } as const;
  return s.decideExtra === undefined ? base : { ...base, extra: s.decideExtra };
}

/** A decision, with the caller's extra when it set one (no field at all otherwise). */
function decideMsg(
  s: AgreementState,
  id: EventId,
  event: ClusterEvent,
  participants: readonly NodeNo[],
): AgreementMessage {
  return s.decideExtra === undefined
    ? { type: 'decide', id, event, participants }
    : { type: 'decide', id, event, participants, extra: s.decideExtra };
}

function start(
  a: Acc,
  id: EventId,
  event: ClusterEvent,
  participants: readonly NodeNo[],
  extra?: unknown,
): void {
  const s = a.state;
  if (s.running && compareEventIds(s.running.id, id) >= 0) return;
  if (s.lastDone && compareEventIds(s.lastDone, id) >= 0) return;
  a.state = {
    ...s,
    running: { id, event, participants, reached: [], released: [] },
    mine: s.mine.filter((e) => e.key !== event.key),
    queue: s.queue.filter((e) => e.key !== event.key),
    reachedBy: new Map(),
  };
  a.notices.push(
    extra === undefined
      ? { type: 'start', id, event, participants }
      : { type: 'start', id, event, participants, extra },
  );
}

function release(
  a: Acc,
  id: EventId,
  barrier: number,
  participants?: readonly NodeNo[],
  finishers: readonly NodeNo[] = [],
): void {
  const running = a.state.running;
  if (!running || compareEventIds(running.id, id) !== 0 || running.released.includes(barrier))
    return;
  // The leader's participant list is the current one: it narrows after view changes.
  const r = participants && participants.length > 0 ? { ...running, participants } : running;
  if (barrier === END) {
    const done = [...a.state.done, { id, key: r.event.key, finishers }].slice(-DONE_KEYS);
    a.state = { ...a.state, running: null, lastDone: id, reachedBy: new Map(), done };
    a.notices.push({ type: 'done', id, event: r.event });
  } else {
    a.state = { ...a.state, running: { ...r, released: [...r.released, barrier] } };
    a.notices.push({ type: 'released', id, barrier });
  }
}

/** The leader's work after any input: release barriers, decide votes, propose the next event. */
function step(a: Acc, nowMs: number, priority: Priority): AgreementOutput {
  const s = a.state;
  const view = s.view;
  if (!view || !isLeader(s) || s.awaitingSync.size > 0) return out(a);
  const r = s.running;
  if (r) {
    // A barrier opens when every participant still in the view has reached it.
    const still = r.participants.filter((p) => view.members.includes(p));
    if (still.length === 0) {
      // Nobody left runs it (they left, restarted, or ran other events): it is over.
      release(a, r.id, END);
      return step(a, nowMs, priority);
    }
    const open = [...s.reachedBy]
      .filter(([k, by]) => !r.released.includes(k) && still.every((p) => by.has(p)))
      .map(([k]) => k)
      .sort((x, y) => (x === END ? 1 : y === END ? -1 : x - y));
    for (const k of open) {
      for (const m of still)
        if (m !== s.self) {
          a.sends.push({
            to: m,
            msg: { type: 'release', id: r.id, barrier: k, participants: still },
          });
        }
      release(a, r.id, k, undefined, still);
    }
    return out(a);
  }
  const v = s.vote;
  if (v) {
    if (view.members.every((m) => v.approved.has(m))) {
      a.state = { ...a.state, vote: null };
      a.sends.push(...toOthers(s, view.members, decideMsg(s, v.id, v.event, view.members)));
      start(a, v.id, v.event, view.members);
    }
    return out(a);
  }
  const next = s.queue[0];
  if (!next || nowMs < s.settleUntilMs) return out(a);
  const id: EventId = { epoch: view.epoch, seq: s.nextSeq };
  a.state = {
    ...s,
    nextSeq: s.nextSeq + 1,
    vote: { id, event: next, approved: new Set([s.self]) },
  };
  a.sends.push(...toOthers(s, view.members, { type: 'propose', id, event: next }));
  return step(a, nowMs, priority);
}

/** When the leader wants to be woken: at the end of the settle interval, if it is waiting on it. */
export function agreementWakeAt(s: AgreementState): number {
  // Only when a proposal can follow: while syncs are awaited the settle time may be long past,
  // and a past wake-up that changes nothing would make the runner spin.
  const settle =
    isLeader(s) && !s.running && !s.vote && s.queue.length > 0 && s.awaitingSync.size === 0
      ? s.settleUntilMs
      : Infinity;
  return Math.min(settle, s.view ? s.nextRetryMs : Infinity);
}
