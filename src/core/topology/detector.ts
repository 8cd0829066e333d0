// The failure detector of topology services: heartbeats in, interface / network / node
// liveness events out. A pure state machine: every input carries the current monotonic
// time, nothing here reads a clock, and the state is never mutated (each input returns a
// new one). Design notes, the start-up rule and the local stall rule: README.md.
//
// Cost: each input is O(peer interfaces): it copies the per-interface table, checks every
// deadline once and takes the minimum for `nextDeadlineMs`. Memory is O(peer interfaces).
import { InvalidArgumentError } from '../errors.js';
import type { TopologyEvent } from './events.js';
import { deriveLevel, transition, type LinkState } from './liveness.js';
import {
  compileModel,
  type CompiledModel,
  type InterfaceId,
  type NetworkId,
  type TopologyModel,
} from './model.js';

/** One received heartbeat, as decoded and authenticated by the runtime. */
export interface Heartbeat {
  /** The peer interface that sent it. */
  readonly fromInterface: InterfaceId;
  /** The local interface it arrived on, if the transport knows; kept for status only. */
  readonly toLocalInterface?: InterfaceId | undefined;
  readonly network: NetworkId;
  /** Monotonic time of reception, in ms. */
  readonly nowMs: number;
  /** The sender's process life: must grow each time the peer's agent restarts. */
  readonly incarnation: number;
  /** Per sending interface, strictly increasing within one incarnation. */
  readonly seq: number;
}

export interface InterfaceState {
  readonly status: LinkState;
  readonly lastHeardMs: number | null;
  /**
   * Start of the current silence window: the last accepted heartbeat, the start of the
   * detector, or the resumption after a local stall. The interface is down once
   * `windowStartMs + detection time <= now`.
   */
  readonly windowStartMs: number;
  /** Set when a local stall restarted the window; cleared by the next accepted heartbeat. */
  readonly graced: boolean;
  readonly lastSeq: number | null;
  readonly viaLocalInterface: InterfaceId | null;
  readonly staleHeartbeats: number;
  readonly changedAtMs: number;
}

export interface LevelState {
  readonly status: LinkState;
  readonly changedAtMs: number;
}

export interface PeerState extends LevelState {
  /** The highest incarnation heard from the node, null if never heard. */
  readonly incarnation: number | null;
}

/** Heartbeats and inputs that were counted rather than believed. */
export interface DetectorCounters {
  readonly accepted: number;
  /** Duplicates and reordered heartbeats: seq <= the last seen for that interface and incarnation. */
  readonly stale: number;
  /** From an earlier incarnation than the one already heard (delayed from a previous life). */
  readonly staleIncarnation: number;
  readonly unknownInterface: number;
  /** "From" one of our own interfaces (looped back). */
  readonly fromLocalNode: number;
  /** The interface is not on the network the heartbeat claims. */
  readonly wrongNetwork: number;
  /** Non-finite incarnation or seq. */
  readonly malformed: number;
  readonly restarts: number;
  readonly stalls: number;
  /** Inputs whose time was earlier than the previous input's (treated as the previous time). */
  readonly clockRegressions: number;
}

export interface DetectorState {
  readonly model: CompiledModel;
  readonly startedAtMs: number;
  /** Parallel to model.interfaces. */
  readonly interfaces: readonly InterfaceState[];
  /** Parallel to model.pairs: the state of one network for one node. */
  readonly pairs: readonly LevelState[];
  /** Parallel to model.peers. */
  readonly peers: readonly PeerState[];
  readonly lastInputMs: number;
  /** The nextDeadlineMs last returned: when we asked to be called again. */
  readonly wakeAtMs: number | null;
  readonly counters: DetectorCounters;
}

export interface DetectorResult {
  readonly state: DetectorState;
  /** In order: local_stall, then expiries, then the effects of the heartbeat; see README. */
  readonly events: readonly TopologyEvent[];
  /**
   * The earliest time at which a state change can happen without a heartbeat (a silence
   * window ending), or null if none can. The runtime keeps exactly one timer, re-armed at
   * this value after every input, and calls onTick when it fires.
   */
  readonly nextDeadlineMs: number | null;
}

const zeroCounters: DetectorCounters = {
  accepted: 0,
  stale: 0,
  staleIncarnation: 0,
  unknownInterface: 0,
  fromLocalNode: 0,
  wrongNetwork: 0,
  malformed: 0,
  restarts: 0,
  stalls: 0,
  clockRegressions: 0,
};

/**
 * A detector at time `nowMs` in which every peer interface is 'unknown'; each becomes
 * 'up' on its first heartbeat or 'down' once its detection time has elapsed from `nowMs`.
 * Throws TopologyModelError if the model is inconsistent.
 */
export function createDetector(model: TopologyModel, nowMs: number): DetectorState {
  checkTime(nowMs);
  const compiled = compileModel(model);
  const interfaces = compiled.interfaces.map((): InterfaceState => ({
    status: 'unknown',
    lastHeardMs: null,
    windowStartMs: nowMs,
    graced: false,
    lastSeq: null,
    viaLocalInterface: null,
    staleHeartbeats: 0,
    changedAtMs: nowMs,
  }));
  const level: LevelState = { status: 'unknown', changedAtMs: nowMs };
  const state: DetectorState = {
    model: compiled,
    startedAtMs: nowMs,
    interfaces,
    pairs: compiled.pairs.map(() => level),
    peers: compiled.peers.map(() => ({ ...level, incarnation: null })),
    lastInputMs: nowMs,
    wakeAtMs: null,
    counters: zeroCounters,
  };
  return { ...state, wakeAtMs: nextDeadlineMs(state) };
}

/** Time passes: ends the silence windows that are due. Call at `nextDeadlineMs` (or later). */
export function onTick(state: DetectorState, nowMs: number): DetectorResult {
  const d = begin(state, nowMs);
  advance(state, d);
  return finish(state, d);
}

/** A heartbeat arrived. Windows due at or before its time are judged first, as onTick would. */
export function onHeartbeat(state: DetectorState, hb: Heartbeat): DetectorResult {
  const d = begin(state, hb.nowMs);
  advance(state, d);
  receive(state.model, d, hb);
  return finish(state, d);
}

/** See DetectorResult.nextDeadlineMs. */
export function nextDeadlineMs(state: Pick<DetectorState, 'model' | 'interfaces'>): number | null {
  let next: number | null = null;
  for (let k = 0; k < state.interfaces.length; k++) {
    const itf = at(state.interfaces, k);
    if (itf.status === 'down') continue;
    const due = itf.windowStartMs + at(state.model.interfaces, k).detectionMs;
    if (next === null || due < next) next = due;
  }
  return next;
}

// ---- internals -----------------------------------------------------------------------

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The working copy of one input's new state. */
interface Draft {
  readonly now: number;
  readonly interfaces: InterfaceState[];
  readonly pairs: LevelState[];
  readonly peers: PeerState[];
  readonly counters: Mutable<DetectorCounters>;
  readonly events: TopologyEvent[];
}

function checkTime(nowMs: number): void {
  if (!Number.isFinite(nowMs))
    throw new InvalidArgumentError('nowMs', nowMs, 'a finite number of ms');
}

function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`topology detector: internal index ${i} out of range`);
  return x;
}

function begin(state: DetectorState, nowMs: number): Draft {
  checkTime(nowMs);
  const counters = { ...state.counters };
  // A monotonic clock does not go back; if the runtime's does, do not let time run backwards.
  if (nowMs < state.lastInputMs) counters.clockRegressions++;
  return {
    now: Math.max(nowMs, state.lastInputMs),
    interfaces: state.interfaces.slice(),
    pairs: state.pairs.slice(),
    peers: state.peers.slice(),
    counters,
    events: [],
  };
}

function finish(state: DetectorState, d: Draft): DetectorResult {
  const next = nextDeadlineMs({ model: state.model, interfaces: d.interfaces });
  return {
    state: {
      model: state.model,
      startedAtMs: state.startedAtMs,
      interfaces: d.interfaces,
      pairs: d.pairs,
      peers: d.peers,
      lastInputMs: d.now,
      wakeAtMs: next,
      counters: d.counters,
    },
    events: d.events,
    nextDeadlineMs: next,
  };
}

/** Applies the local stall rule, then ends every silence window due at or before `now`. */
function advance(state: DetectorState, d: Draft): void {
  const { model } = state;
  const { now } = d;

  // Local stall: we were called long after the previous input AND well after the time we
  // asked to be woken. Only the two together mean "we were not running": a long quiet gap
  // on its own is normal when the only pending deadline is far away (a slow disk path).
  const gap = now - state.lastInputMs;
  const late = state.wakeAtMs === null ? null : now - state.wakeAtMs;
  if (late !== null && gap > model.stallThresholdMs && late > model.stallToleranceMs) {
    d.counters.stalls++;
    d.events.push({
      type: 'local_stall',
      atMs: now,
      sinceMs: state.lastInputMs,
      durationMs: gap,
      lateMs: late,
    });
    // Everyone looks silent because we were not listening: restart the windows from now
    // rather than judge them. Once per window only: an interface already graced and still
    // unheard is judged, so a node that keeps stalling still detects a dead peer.
    d.interfaces.forEach((itf, k) => {
      if (itf.status !== 'down' && !itf.graced) {
        d.interfaces[k] = { ...itf, windowStartMs: now, graced: true };
      }
    });
  }

  for (let n = 0; n < model.peers.length; n++) {
    const peer = at(model.peers, n);
    let changed = false;
    for (let k = peer.firstInterface; k < peer.endInterface; k++) {
      const itf = at(d.interfaces, k);
      const spec = at(model.interfaces, k);
      if (itf.status === 'down' || itf.windowStartMs + spec.detectionMs > now) continue;
      d.interfaces[k] = { ...itf, status: 'down', changedAtMs: now };
      d.events.push({
        type: 'fail_interface',
        node: spec.node,
        network: spec.network,
        iface: spec.id,
        atMs: now,
        lastHeardMs: itf.lastHeardMs,
      });
      changed = true;
    }
    if (changed) rederive(model, d, n);
  }
}

function wellFormed(hb: Heartbeat): boolean {
  return (
    typeof hb.fromInterface === 'string' &&
    typeof hb.network === 'string' &&
    Number.isFinite(hb.incarnation) &&
    Number.isFinite(hb.seq)
  );
}

/** Judges one heartbeat, after time has been advanced to its arrival. */
function receive(model: CompiledModel, d: Draft, hb: Heartbeat): void {
  const c = d.counters;
  if (!wellFormed(hb)) {
    c.malformed++;
    return;
  }
  const k = model.interfaceIndex.get(hb.fromInterface);
  if (k === undefined) {
    if (model.localInterfaces.has(hb.fromInterface)) c.fromLocalNode++;
    else c.unknownInterface++;
    return;
  }
  const spec = at(model.interfaces, k);
  if (spec.network !== hb.network) {
    c.wrongNetwork++;
    return;
  }

  const n = spec.nodeIndex;
  const peerSpec = at(model.peers, n);
  const peer = at(d.peers, n);
  if (peer.incarnation !== null && hb.incarnation < peer.incarnation) {
    c.staleIncarnation++; // a delayed heartbeat from the peer's previous life
    return;
  }
  if (peer.incarnation === null) {
    d.peers[n] = { ...peer, incarnation: hb.incarnation };
  } else if (hb.incarnation > peer.incarnation) {
    // The peer restarted. Its paths may well have stayed alive (a fast restart fits inside
    // one detection window), so liveness is untouched, but the layer above must hear of it.
    c.restarts++;
    d.events.push({
      type: 'peer_restarted',
      node: peerSpec.id,
      atMs: d.now,
      previousIncarnation: peer.incarnation,
      incarnation: hb.incarnation,
    });
    d.peers[n] = { ...peer, incarnation: hb.incarnation };
    // Sequence numbers start afresh with the new life, on every interface of the node.
    for (let j = peerSpec.firstInterface; j < peerSpec.endInterface; j++) {
      d.interfaces[j] = { ...at(d.interfaces, j), lastSeq: null };
    }
  }

  const itf = at(d.interfaces, k);
  if (itf.lastSeq !== null && hb.seq <= itf.lastSeq) {
    // Duplicate or reordered: says nothing new about liveness (a later one already did).
    c.stale++;
    d.interfaces[k] = { ...itf, staleHeartbeats: itf.staleHeartbeats + 1 };
    return;
  }

  c.accepted++;
  const wasUp = itf.status === 'up';
  d.interfaces[k] = {
    ...itf,
    status: 'up',
    lastHeardMs: d.now,
    windowStartMs: d.now,
    graced: false,
    lastSeq: hb.seq,
    viaLocalInterface: hb.toLocalInterface ?? null,
    changedAtMs: wasUp ? itf.changedAtMs : d.now,
  };
  if (!wasUp) {
    d.events.push({
      type: 'join_interface',
      node: spec.node,
      network: spec.network,
      iface: spec.id,
      atMs: d.now,
    });
    rederive(model, d, n);
  }
}

/** Recomputes the network and node levels of peer `n`, emitting network then node events. */
function rederive(model: CompiledModel, d: Draft, n: number): void {
  const peerSpec = at(model.peers, n);
  for (let p = peerSpec.firstPair; p < peerSpec.endPair; p++) {
    const pairSpec = at(model.pairs, p);
    const prev = at(d.pairs, p);
    const members = d.interfaces
      .slice(pairSpec.firstInterface, pairSpec.endInterface)
      .map((i) => i.status);
    const next = deriveLevel(prev.status, members);
    const dir = transition(prev.status, next);
    if (next !== prev.status) d.pairs[p] = { status: next, changedAtMs: d.now };
    if (dir !== null) {
      d.events.push({
        type: dir === 'up' ? 'network_up' : 'network_down',
        node: pairSpec.node,
        network: pairSpec.network,
        atMs: d.now,
      });
    }
  }

  const peer = at(d.peers, n);
  const members = d.pairs.slice(peerSpec.firstPair, peerSpec.endPair).map((p) => p.status);
  const next = deriveLevel(peer.status, members);
  const dir = transition(peer.status, next);
  if (next !== peer.status) d.peers[n] = { ...peer, status: next, changedAtMs: d.now };
  if (dir === 'down') d.events.push({ type: 'node_down', node: peerSpec.id, atMs: d.now });
  if (dir === 'up') {
    // Only an accepted heartbeat raises a node, and it recorded the incarnation first.
    d.events.push({
      type: 'node_up',
      node: peerSpec.id,
      atMs: d.now,
      incarnation: peer.incarnation ?? 0,
    });
  }
}
