// Group services' membership: nodes agree on views (epoch, members) of mutually connected
// nodes, by the rule in connectivity.ts, through a two-phase view change led by the view's
// lowest-numbered node. Pure: every function takes the state and the time and returns the new
// state and the messages to send.
//
// - Epochs are (n, leader) pairs, ordered by n then leader: two leaders can never use the same
//   epoch, so there is at most one leader per epoch by construction.
// - A member acks a PREPARE only for an epoch above every epoch it promised, and only when its
//   own rows give the same view: knowledge that differs is settled by gossip, then a retry.
// - The leader commits when every proposed member acked; a member adopts a COMMIT unless it has
//   promised a higher epoch since. So any two nodes that commit epoch e commit the same members.
// - Membership changes between the previous view and the new one become node_up / node_down
//   events, derived by the new leader from the latest view its members report.

import type { NodeNo } from '../cluster/node.js';
import { mergeRows, myViewMemo, type Row, type Rows, type ViewMemo } from './connectivity.js';

export interface Epoch {
  readonly n: number;
  readonly leader: NodeNo;
  /**
   * The leader's incarnation: a node that restarts may have forgotten the epochs it used, and
   * must never reuse one, so its new life's epochs sort after its old life's.
   */
  readonly inc: number;
}

/** Also a text form for logs and keys: n.leader.inc */
export function epochText(e: Epoch): string {
  return `${e.n}.${e.leader}.${e.inc}`;
}

export function compareEpochs(a: Epoch | null, b: Epoch | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return a.n - b.n || a.leader - b.leader || a.inc - b.inc;
}

export interface View {
  readonly epoch: Epoch;
  /** Sorted; the first is the leader. */
  readonly members: readonly NodeNo[];
  /**
   * The incarnation of each member (same order) when it acked: a member that restarts is a new
   * member, so a commit is adopted only by the incarnation that acked it, and the leader starts
   * a new view when a member's row shows a newer incarnation.
   */
  readonly incarnations: readonly number[];
}

/** The incarnation `node` has in `view`, or undefined when it is not a member. */
export function incarnationIn(view: View, node: NodeNo): number | undefined {
  const i = view.members.indexOf(node);
  return i < 0 ? undefined : view.incarnations[i];
}

export type MembershipMessage =
  | {
      readonly type: 'rows';
      readonly rows: readonly Row[];
      /**
       * What the sender knows: (node, incarnation, version) of each of its rows. The receiver
       * answers at once with the rows the sender lacks (push-pull anti-entropy).
       */
      readonly known?: readonly Known[];
    }
  | { readonly type: 'prepare'; readonly epoch: Epoch; readonly members: readonly NodeNo[] }
  | {
      readonly type: 'prepare-ok';
      readonly epoch: Epoch;
      /** The incarnation that acks. */
      readonly inc: number;
      /** The member's last committed view: the new leader derives joins and leaves from it. */
      readonly last: View | null;
    }
  | {
      readonly type: 'prepare-no';
      readonly epoch: Epoch;
      readonly promised: Epoch | null;
      readonly rows: readonly Row[];
    }
  | {
      readonly type: 'commit';
      readonly view: View;
      /** Nodes that joined and left relative to the latest previous view of the members. */
      readonly joined: readonly NodeNo[];
      readonly left: readonly NodeNo[];
    };

export type Known = readonly [node: NodeNo, incarnation: number, version: number];

export interface MembershipTiming {
  /** Rows are gossiped to every node we hear this often. */
  readonly gossipMs: number;
  /** A view change that has not gathered every ack by then is abandoned and retried. */
  readonly attemptTimeoutMs: number;
}

export const DEFAULT_MEMBERSHIP_TIMING: MembershipTiming = { gossipMs: 200, attemptTimeoutMs: 600 };

type Committed = NonNullable<MembershipOutput['committed']>;

interface Ack {
  readonly last: View | null;
  readonly inc: number;
}

interface Attempt {
  readonly epoch: Epoch;
  readonly members: readonly NodeNo[];
  readonly acks: ReadonlyMap<NodeNo, Ack>;
  readonly deadlineMs: number;
}

export interface MembershipState {
  readonly self: NodeNo;
  readonly incarnation: number;
  readonly timing: MembershipTiming;
  readonly rows: Rows;
  readonly up: readonly NodeNo[];
  readonly view: View | null;
  /** The highest epoch this node acked (or proposed): it acks nothing at or below it again. */
  readonly promised: Epoch | null;
  /** The highest epoch number seen anywhere, so a new attempt goes above it. */
  readonly highestN: number;
  readonly attempt: Attempt | null;
  /** Do not start another attempt before this time (after a failed one). */
  readonly retryAtMs: number;
  readonly nextGossipMs: number;
  /** Gossip ticks so far: every DIGEST_EVERY-th sends the digest even when nothing changed. */
  readonly ticks: number;
  /** The rows as last sent to every peer, to find what changed since. */
  readonly sentRows: Rows;
  /** The view the rule gives this node, as last computed (see ViewMemo). */
  readonly viewMemo: ViewMemo | null;
  /** As leader: the commit of the current view, re-sent to members that missed it. */
  readonly lastCommit: Committed | null;
  /**
   * Since when the rule has wanted a view without members of the current view that this node
   * still hears (see evaluate); null when it does not.
   */
  readonly droppingSinceMs: number | null;
}

export interface Send {
  readonly to: NodeNo;
  readonly msg: MembershipMessage;
}

/** What a step produced besides the state. */
export interface MembershipOutput {
  readonly state: MembershipState;
  readonly sends: readonly Send[];
  /** Set when this node adopted a new view in this step. */
  readonly committed?: {
    readonly view: View;
    readonly joined: readonly NodeNo[];
    readonly left: readonly NodeNo[];
  };
}

export function createMembership(
  self: NodeNo,
  incarnation: number,
  nowMs: number,
  timing: MembershipTiming = DEFAULT_MEMBERSHIP_TIMING,
): MembershipState {
  const row: Row = { node: self, version: 1, incarnation, hears: [], view: null };
  return {
    self,
    incarnation,
    timing,
    rows: new Map([[self, row]]),
    up: [],
    view: null,
    promised: null,
    highestN: 0,
    attempt: null,
    retryAtMs: nowMs,
    nextGossipMs: nowMs,
    ticks: 0,
    droppingSinceMs: null,
    sentRows: new Map(),
    viewMemo: null,
    lastCommit: null,
  };
}

/** Replaces this node's own row (a new version) with the changes given. */
function ownRow(s: MembershipState, change: Partial<Pick<Row, 'hears' | 'view'>>): Rows {
  const mine = s.rows.get(s.self);
  const row: Row = {
    node: s.self,
    incarnation: s.incarnation,
    version: (mine?.version ?? 0) + 1,
    hears: change.hears ?? mine?.hears ?? [],
    view: change.view !== undefined ? change.view : (mine?.view ?? null),
  };
  return mergeRows(s.rows, [row]);
}

/** True when some member's row reports a view newer than ours: it has moved on without us. */
function memberAhead(s: MembershipState, view: View): boolean {
  return view.members.some((m) => {
    const v = s.rows.get(m)?.view ?? null;
    return m !== s.self && compareEpochs(v, view.epoch) > 0;
  });
}

/** True when some member's row shows a newer incarnation than the view has: it restarted. */
function memberRestarted(s: MembershipState, view: View): boolean {
  return view.members.some((m, i) => {
    const inc = s.rows.get(m)?.incarnation;
    return m !== s.self && inc !== undefined && inc > (view.incarnations[i] ?? 0);
  });
}

const sameMembers = (a: readonly NodeNo[], b: readonly NodeNo[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Gossip: at each tick, the rows that changed since the last tick go to every peer we hear,
 * with a digest of what we know; every DIGEST_EVERY-th tick the digest goes even when nothing
 * changed. A peer that knows rows the digest lacks (a lost message, a restart, a link that came
 * back one way first) answers with them at once. So a quiet cluster sends one small message per
 * peer a second, and a change crosses a connected component in a few ticks.
 */
const DIGEST_EVERY = 5;

function digest(rows: Rows): Known[] {
  return [...rows.values()].map((r) => [r.node, r.incarnation, r.version] as const);
}

function gossip(s: MembershipState, to: readonly NodeNo[], always: boolean): Send[] {
  const changed = [...s.rows.values()].filter((r) => s.sentRows.get(r.node) !== r);
  if (changed.length === 0 && !always) return [];
  const msg: MembershipMessage = { type: 'rows', rows: changed, known: digest(s.rows) };
  return to.map((peer) => ({ to: peer, msg }));
}

/**
 * The rows we hold that are newer than those in `known` (a digest: one entry per node). Runs on
 * every gossip message, so it looks entries up by a scan that starts where the last one was
 * found (digests list rows in similar orders) instead of building a Map.
 */
function missing(rows: Rows, known: readonly Known[]): Row[] {
  const out: Row[] = [];
  const k = known.length;
  let at = 0;
  for (const r of rows.values()) {
    let theirs: Known | undefined;
    for (let c = 0; c < k; c++) {
      const i = at + c < k ? at + c : at + c - k;
      const e = known[i] as Known;
      if (e[0] === r.node) {
        theirs = e;
        at = i + 1 < k ? i + 1 : 0;
        break;
      }
    }
    if (
      theirs === undefined ||
      r.incarnation > theirs[1] ||
      (r.incarnation === theirs[1] && r.version > theirs[2])
    )
      out.push(r);
  }
  return out;
}

/** After any change: start a view change when the rule makes this node the leader of a new view. */
function evaluate(s: MembershipState, nowMs: number, sends: Send[]): MembershipOutput {
  let state = s;
  // An attempt that timed out is abandoned; the retry waits a little, to let gossip settle.
  if (state.attempt && nowMs >= state.attempt.deadlineMs) {
    state = { ...state, attempt: null, retryAtMs: nowMs + state.timing.gossipMs };
  }
  const mv = myViewMemo(state.rows, state.self, state.viewMemo);
  if (mv.memo !== state.viewMemo) state = { ...state, viewMemo: mv.memo };
  const desired = mv.view;
  const leader = desired[0];
  const current = state.view;
  const settled =
    current !== null &&
    sameMembers(current.members, desired) &&
    current.epoch.leader === leader &&
    !memberAhead(state, current) &&
    !memberRestarted(state, current);
  if (leader !== state.self || settled) {
    return {
      state:
        state.attempt && !sameMembers(state.attempt.members, desired)
          ? { ...state, attempt: null }
          : state,
      sends,
    };
  }
  if (state.attempt && sameMembers(state.attempt.members, desired)) return { state, sends };
  if (nowMs < state.retryAtMs) return { state, sends };
  // A view that leaves out members of the current view whom this node still hears is most often
  // a moment's disagreement: a node died, and a survivor's row still says it hears it (the rule
  // then separates that survivor from us) until its new row arrives. Proposing at once would
  // commit a view without it, which may have no quorum and let go of every group, then merge
  // again a moment later. So wait a little for the rows to agree; a real one-way cut stays and
  // is acted on once the wait is over.
  const dropping =
    current !== null &&
    current.members.some((m) => m !== state.self && state.up.includes(m) && !desired.includes(m));
  if (!dropping) {
    if (state.droppingSinceMs !== null) state = { ...state, droppingSinceMs: null };
  } else {
    const since = state.droppingSinceMs ?? nowMs;
    if (state.droppingSinceMs === null) state = { ...state, droppingSinceMs: since };
    if (nowMs < since + 2 * state.timing.gossipMs) return { state, sends };
  }
  const epoch: Epoch = {
    n: Math.max(state.highestN, state.promised?.n ?? 0, current?.epoch.n ?? 0) + 1,
    leader: state.self,
    inc: state.incarnation,
  };
  const attempt: Attempt = {
    epoch,
    members: desired,
    acks: new Map([[state.self, { last: current, inc: state.incarnation }]]),
    deadlineMs: nowMs + state.timing.attemptTimeoutMs,
  };
  state = { ...state, attempt, promised: epoch, highestN: epoch.n };
  for (const m of desired)
    if (m !== state.self) sends.push({ to: m, msg: { type: 'prepare', epoch, members: desired } });
  return maybeCommit(state, sends);
}

function maybeCommit(s: MembershipState, sends: Send[]): MembershipOutput {
  const a = s.attempt;
  if (!a || !a.members.every((m) => a.acks.has(m))) return { state: s, sends };
  // The latest view any member had is the one the change is relative to.
  let last: View | null = null;
  for (const { last: v } of a.acks.values())
    if (v && compareEpochs(v.epoch, last?.epoch ?? null) > 0) last = v;
  const incarnations = a.members.map((m) => a.acks.get(m)?.inc ?? 0);
  // A member that restarted since the last view joins again (it holds nothing it held before).
  const joined = a.members.filter((m, i) => !last || incarnationIn(last, m) !== incarnations[i]);
  const left = (last?.members ?? []).filter((m) => !a.members.includes(m));
  const view: View = { epoch: a.epoch, members: a.members, incarnations };
  for (const m of a.members)
    if (m !== s.self) sends.push({ to: m, msg: { type: 'commit', view, joined, left } });
  const committed = { view, joined, left };
  const state: MembershipState = {
    ...s,
    view,
    attempt: null,
    lastCommit: committed,
    rows: ownRow(s, { view: view.epoch }),
  };
  return { state, sends, committed };
}

/** Topology services say which nodes this node hears now. */
export function onLiveness(
  s: MembershipState,
  up: readonly NodeNo[],
  nowMs: number,
): MembershipOutput {
  const sorted = [...new Set(up)].filter((n) => n !== s.self).sort((a, b) => a - b);
  if (sameMembers(sorted, s.up)) return evaluate(s, nowMs, []);
  const next = { ...s, up: sorted, rows: ownRow(s, { hears: sorted }) };
  // A peer we have just started hearing gets what changed and our digest at once, and answers
  // with every row we lack. The others get our new row at our next gossip tick (within
  // gossipMs), with whatever else changes by then: liveness changes come in bursts (a split is
  // detected peer by peer), and pushing each one to every peer at once, each push with a
  // digest that every peer answered with the rows it had just received itself, was most of the
  // membership traffic. Safe: rows only decide which view a leader proposes, and a proposal is
  // refused until the member's own rows agree, so a row that arrives one tick later can delay a
  // view change, never make two views of one epoch; and it does arrive, since the tick pushes
  // every row changed since the last one (sentRows is left as it is here) to every peer heard.
  const added = sorted.filter((n) => !s.up.includes(n));
  // A peer lost, though, is news every survivor needs at once: until it has our new row, the
  // rule may separate it from us (see evaluate).
  const lost = s.up.some((n) => !sorted.includes(n));
  return evaluate(next, nowMs, gossip(next, lost ? sorted : added, true));
}

/** The node's timer: gossip, and retry or time out view changes. */
export function onMembershipTimer(s: MembershipState, nowMs: number): MembershipOutput {
  let state = s;
  const sends: Send[] = [];
  if (nowMs >= state.nextGossipMs) {
    sends.push(...gossip(state, state.up, state.ticks % DIGEST_EVERY === 0));
    state = {
      ...state,
      nextGossipMs: nowMs + state.timing.gossipMs,
      ticks: state.ticks + 1,
      sentRows: state.rows,
    };
    // Repair: a member whose row still shows an older view missed our commit.
    const c = state.lastCommit;
    if (c && state.view && compareEpochs(c.view.epoch, state.view.epoch) === 0) {
      for (const m of c.view.members) {
        const row = state.rows.get(m);
        if (
          m !== state.self &&
          row !== undefined &&
          row.incarnation === incarnationIn(c.view, m) &&
          compareEpochs(row.view ?? null, c.view.epoch) < 0
        ) {
          sends.push({ to: m, msg: { type: 'commit', ...c } });
        }
      }
    }
  }
  return evaluate(state, nowMs, sends);
}

export function onMembershipMessage(
  s: MembershipState,
  from: NodeNo,
  msg: MembershipMessage,
  nowMs: number,
): MembershipOutput {
  switch (msg.type) {
    case 'rows': {
      const rows = mergeRows(s.rows, msg.rows);
      const lacking = msg.known ? missing(rows, msg.known) : [];
      const sends: Send[] =
        lacking.length > 0 ? [{ to: from, msg: { type: 'rows', rows: lacking } }] : [];
      return rows === s.rows ? { state: s, sends } : evaluate({ ...s, rows }, nowMs, sends);
    }
    case 'prepare': {
      const highestN = Math.max(s.highestN, msg.epoch.n);
      const mv = myViewMemo(s.rows, s.self, s.viewMemo);
      const agree = sameMembers(mv.view, msg.members) && msg.members.includes(s.self);
      if (compareEpochs(msg.epoch, s.promised) <= 0 || !agree || msg.epoch.leader !== from) {
        const no: MembershipMessage = {
          type: 'prepare-no',
          epoch: msg.epoch,
          promised: s.promised,
          rows: [...s.rows.values()],
        };
        return { state: { ...s, highestN }, sends: [{ to: from, msg: no }] };
      }
      // Promising a higher epoch abandons any attempt of our own.
      const state: MembershipState = { ...s, promised: msg.epoch, highestN, attempt: null };
      return {
        state,
        sends: [
          {
            to: from,
            msg: { type: 'prepare-ok', epoch: msg.epoch, last: s.view, inc: s.incarnation },
          },
        ],
      };
    }
    case 'prepare-ok': {
      const a = s.attempt;
      if (!a || compareEpochs(a.epoch, msg.epoch) !== 0 || !a.members.includes(from))
        return { state: s, sends: [] };
      const acks = new Map(a.acks).set(from, { last: msg.last, inc: msg.inc });
      return maybeCommit({ ...s, attempt: { ...a, acks } }, []);
    }
    case 'prepare-no': {
      const rows = mergeRows(s.rows, msg.rows);
      const highestN = Math.max(s.highestN, msg.promised?.n ?? 0);
      const mine = s.attempt && compareEpochs(s.attempt.epoch, msg.epoch) === 0;
      // Refused: learn what the member knows, and retry after gossip has had a round.
      const state: MembershipState = {
        ...s,
        rows,
        highestN,
        attempt: mine ? null : s.attempt,
        retryAtMs: mine ? nowMs + s.timing.gossipMs : s.retryAtMs,
      };
      return evaluate(state, nowMs, []);
    }
    case 'commit': {
      const v = msg.view;
      if (
        incarnationIn(v, s.self) !== s.incarnation ||
        v.epoch.leader !== from ||
        compareEpochs(v.epoch, s.promised) < 0
      ) {
        return { state: s, sends: [] };
      }
      if (s.view && compareEpochs(v.epoch, s.view.epoch) <= 0) return { state: s, sends: [] };
      const state: MembershipState = {
        ...s,
        view: v,
        promised: v.epoch,
        highestN: Math.max(s.highestN, v.epoch.n),
        lastCommit: null,
        rows: ownRow(s, { view: v.epoch }),
      };
      return { state, sends: [], committed: { view: v, joined: msg.joined, left: msg.left } };
    }
  }
}

/**
 * The earliest time this node wants its timer to fire. Retries after a refusal ride on the
 * gossip tick, which is never in the past, so a runner cannot be made to spin.
 */
export function membershipWakeAt(s: MembershipState): number {
  return Math.min(s.nextGossipMs, s.attempt?.deadlineMs ?? Infinity);
}
