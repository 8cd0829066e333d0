// The replay guard: after a heartbeat has been authenticated, is it news? A captured packet
// stays authentic for ever, so the tag alone does not stop it being sent again; this does.
// Pure: each check returns a new state, the old one is untouched.
//
// Windows are kept per path, (sender interface, local interface it arrived on), because a
// sender sends the same (incarnation, seq) to each of our interfaces on its network: keyed
// per sender interface alone, the copy reaching our second adapter would count as a replay
// in every round, and 'replayed' would be noise instead of a signal. Incarnations are kept
// per sender node, as the detector keeps them: a node restarts as a whole.
//
// Memory is bounded by the configuration: one incarnation per peer node and one window per
// (peer interface, local interface on the same network); anything else is dropped as
// 'unknown-sender' or 'wrong-network' without being remembered. Each check is O(1) to judge
// and O(paths) to copy the state when it accepts.
import { InvalidArgumentError } from '../errors.js';
import type { HeartbeatMessage } from './wire.js';

/** Why an authentic heartbeat was dropped. */
export const REPLAY_REJECT_REASONS = [
  /** Claims to come from this node: looped back, or another node configured with our id. */
  'from-self',
  /** No such (node, interface) in the cluster definition. */
  'unknown-sender',
  /** The sender interface, the network it claims and the local interface it reached disagree. */
  'wrong-network',
  /** From an earlier life of the sender than one already heard: delayed or replayed. */
  'old-incarnation',
  /** Same life, seq not above the last accepted on this path: a replay or a network duplicate. */
  'replayed',
] as const;
export type ReplayRejectReason = (typeof REPLAY_REJECT_REASONS)[number];

/** One configured interface, in the wire's numbers. */
export interface GuardInterfaceSpec {
  /** The node's `id`. */
  readonly node: number;
  /** 1-based position among its node's interfaces (HeartbeatMessage.fromInterface). */
  readonly index: number;
  /** The network's number (HeartbeatMessage.network). */
  readonly network: number;
}

export interface ReplayGuardModel {
  readonly localNode: number;
  /** Every interface of the cluster, this node's included (they are the receiving ends). */
  readonly interfaces: readonly GuardInterfaceSpec[];
}

interface Sender {
  readonly nodeSlot: number;
  readonly network: number;
  /** Local interface index -> path slot, for the local interfaces on this sender's network. */
  readonly paths: ReadonlyMap<number, number>;
}

interface CompiledGuard {
  readonly localNode: number;
  /** Keyed by senderKey(node, index). */
  readonly senders: ReadonlyMap<number, Sender>;
  /** Local interface index -> its network. */
  readonly local: ReadonlyMap<number, number>;
  readonly nodeCount: number;
  readonly pathCount: number;
}

interface Window {
  readonly incarnation: bigint;
  readonly seq: bigint;
}

export interface ReplayGuardState {
  readonly model: CompiledGuard;
  /** Per peer node: the highest incarnation accepted, null before the first. */
  readonly incarnations: readonly (bigint | null)[];
  /** Per path: the last accepted (incarnation, seq), null before the first. */
  readonly windows: readonly (Window | null)[];
}

export type ReplayCheck =
  | { readonly ok: true; readonly state: ReplayGuardState }
  | { readonly ok: false; readonly reason: ReplayRejectReason };

/** A guard that has heard nobody yet. Throws InvalidArgumentError on a bad or ambiguous model. */
export function createReplayGuard(model: ReplayGuardModel): ReplayGuardState {
  const compiled = compile(model);
  return {
    model: compiled,
    incarnations: Array.from({ length: compiled.nodeCount }, () => null),
    windows: Array.from({ length: compiled.pathCount }, () => null),
  };
}

/**
 * Judges an authenticated heartbeat that arrived on local interface `toLocalInterface` (the
 * index of the socket's interface). Accepts a strictly newer (incarnation, seq) for its
 * path; a newer incarnation than any heard from the node opens a new life, in which every
 * path of the node starts afresh. Never throws for any message; a `toLocalInterface` that
 * is not one of ours is a bug of the caller and throws InvalidArgumentError.
 */
export function checkReplay(
  state: ReplayGuardState,
  msg: HeartbeatMessage,
  toLocalInterface: number,
): ReplayCheck {
  const { model } = state;
  const localNetwork = model.local.get(toLocalInterface);
  if (localNetwork === undefined) {
    throw new InvalidArgumentError('toLocalInterface', toLocalInterface, 'a local interface index');
  }
  if (msg.fromNode === model.localNode) return reject('from-self');
  const sender = model.senders.get(senderKey(msg.fromNode, msg.fromInterface));
  if (sender === undefined) return reject('unknown-sender');
  const path = sender.paths.get(toLocalInterface);
  if (sender.network !== msg.network || localNetwork !== msg.network || path === undefined) {
    return reject('wrong-network');
  }

  const known = at(state.incarnations, sender.nodeSlot);
  if (known !== null && msg.incarnation < known) return reject('old-incarnation');
  const window = at(state.windows, path);
  // window.incarnation <= known <= msg.incarnation here: an older window is a previous
  // life's, and any seq of the new life is news.
  if (window !== null && window.incarnation === msg.incarnation && msg.seq <= window.seq) {
    return reject('replayed');
  }

  const incarnations = state.incarnations.slice();
  incarnations[sender.nodeSlot] = msg.incarnation;
  const windows = state.windows.slice();
  windows[path] = { incarnation: msg.incarnation, seq: msg.seq };
  return { ok: true, state: { model, incarnations, windows } };
}

/**
 * The incarnation for an agent starting now: the wall-clock time in ms, or one more than the
 * previous incarnation if that is not larger. Both the guard and the detector need
 * incarnations to grow (a smaller one is a previous life, dropped), so a random value will
 * not do, and neither will the clock alone: a node that boots with its clock set back would
 * be ignored by every peer that heard its previous life. The runtime keeps the result in its
 * durable store, written before the first heartbeat is sent, and passes it as `previous` on
 * the next start. Values stay far below 2^53, so they convert exactly to the detector's
 * numbers.
 */
export function nextIncarnation(previous: bigint | null, wallMs: number): bigint {
  if (!Number.isFinite(wallMs) || wallMs < 0) {
    throw new InvalidArgumentError('wallMs', wallMs, 'a finite, non-negative number of ms');
  }
  const now = BigInt(Math.floor(wallMs));
  return previous !== null && previous >= now ? previous + 1n : now;
}

// ---- internals -----------------------------------------------------------------------

function reject(reason: ReplayRejectReason): ReplayCheck {
  return { ok: false, reason };
}

function senderKey(node: number, index: number): number {
  return node * 0x10000 + index;
}

function at<T>(xs: readonly T[], i: number): T {
  const x = xs[i];
  if (x === undefined) throw new Error(`replay guard: internal index ${i} out of range`);
  return x;
}

function compile(model: ReplayGuardModel): CompiledGuard {
  checkU16('localNode', model.localNode);
  const local = new Map<number, number>();
  const peers: GuardInterfaceSpec[] = [];
  const seen = new Set<number>();
  model.interfaces.forEach((spec, i) => {
    checkU16(`interfaces[${i}].node`, spec.node);
    checkU16(`interfaces[${i}].index`, spec.index);
    checkU16(`interfaces[${i}].network`, spec.network);
    const key = senderKey(spec.node, spec.index);
    if (seen.has(key)) {
      throw new InvalidArgumentError(
        `interfaces[${i}]`,
        `${spec.node}/${spec.index}`,
        'each (node, index) once',
      );
    }
    seen.add(key);
    if (spec.node === model.localNode) local.set(spec.index, spec.network);
    else peers.push(spec);
  });

  const nodeSlots = new Map<number, number>();
  const senders = new Map<number, Sender>();
  let pathCount = 0;
  for (const spec of peers) {
    let nodeSlot = nodeSlots.get(spec.node);
    if (nodeSlot === undefined) {
      nodeSlot = nodeSlots.size;
      nodeSlots.set(spec.node, nodeSlot);
    }
    const paths = new Map<number, number>();
    for (const [index, network] of local) {
      if (network === spec.network) paths.set(index, pathCount++);
    }
    senders.set(senderKey(spec.node, spec.index), { nodeSlot, network: spec.network, paths });
  }
  return { localNode: model.localNode, senders, local, nodeCount: nodeSlots.size, pathCount };
}

function checkU16(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new InvalidArgumentError(field, value, 'an integer from 0 to 65535');
  }
}
