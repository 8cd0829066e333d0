// A toy protocol to prove the simulator on: the lowest-numbered node a node can hear leads, and
// the leader holds one exclusive group, G, under a tie-breaker lease. It is small on purpose,
// but it uses every input and effect of the node contract (messages, wake-ups, liveness,
// commands, the tie-breaker, holdings, logs), so the engine's plumbing is exercised end to end.
//
// Why it is safe (with a dead man switch shorter than `marginMs`): a node's lease deadline is
// anchored at the moment it *sent* the request, so it is always earlier than the expiry the
// tie-breaker counts from its decision; the node wakes at its deadline and releases, and checks
// the deadline first thing on every input, so it never holds past it while running. A node
// paused past its deadline is either halted by the dead man switch before the tie-breaker's
// lease runs out, or resumes before that and releases at once. Without a dead man switch, a
// long pause breaks it: that is the fault the simulator exists to find.
import type {
  NodeEffect,
  NodeInput,
  NodeMachine,
  NodeNo,
  StepResult,
} from '../../core/cluster/node.js';

export const GROUP = 'G';

export interface ToyMsg {
  /** The sender holds G. */
  readonly type: 'held';
}

export interface ToyConfig {
  /** Every node of the cluster. */
  readonly peers: readonly NodeNo[];
  readonly tickMs: number;
  /** The tie-breaker's lease length. */
  readonly leaseMs: number;
  /** How long before the lease could end at the tie-breaker the node lets go. */
  readonly marginMs: number;
  /** Renew when the deadline is this close. */
  readonly renewBeforeMs: number;
  /** Forget a request unanswered for this long. */
  readonly requestTimeoutMs: number;
  /** The command timeout of the acquire command. */
  readonly acquireTimeoutMs: number;
  /**
   * An intentional bug, for the simulator's own tests:
   * - `no-tiebreaker`: the candidate holds G without asking the tie-breaker (split brain on any
   *   partition).
   */
  readonly bug?: 'no-tiebreaker' | undefined;
}

export interface ToyState {
  readonly self: NodeNo;
  /** The last liveness input. */
  readonly up: readonly NodeNo[];
  readonly holding: boolean;
  /** Hold no later than this (own clock); meaningless when not holding. */
  readonly deadline: number;
  /** The tie-breaker request in flight. */
  readonly request: { readonly id: string; readonly sentAt: number } | null;
  /** The acquire command in flight. */
  readonly acquiring: string | null;
  readonly nextTickMs: number;
  /** Makes request and run ids unique within an incarnation. */
  readonly counter: number;
  /** Who this node last heard holds G (itself when it does). */
  readonly knownHolder: NodeNo | null;
}

export function initialToyState(self: NodeNo): ToyState {
  return {
    self,
    up: [],
    holding: false,
    deadline: -Infinity,
    request: null,
    acquiring: null,
    nextTickMs: 0,
    counter: 0,
    knownHolder: null,
  };
}

// Each step works on one fresh copy of the state and returns it: the input state is never
// touched, so the step stays pure, at the cost of a single allocation.
type Draft = { -readonly [K in keyof ToyState]: ToyState[K] };

function copy(s: ToyState): Draft {
  return {
    self: s.self,
    up: s.up,
    holding: s.holding,
    deadline: s.deadline,
    request: s.request,
    acquiring: s.acquiring,
    nextTickMs: s.nextTickMs,
    counter: s.counter,
    knownHolder: s.knownHolder,
  };
}

export function toyMachine(config: ToyConfig): NodeMachine<ToyState, ToyMsg> {
  return {
    step(state: ToyState, input: NodeInput<ToyMsg>, nowMs: number): StepResult<ToyState, ToyMsg> {
      const fx: NodeEffect<ToyMsg>[] = [];
      const s = copy(state);
      // First, whatever the input: a lease past its deadline is let go (after a pause, the
      // first input may be anything).
      if (s.holding && nowMs >= s.deadline) release(s, fx, 'lease deadline passed');
      switch (input.type) {
        case 'start':
          s.nextTickMs = nowMs;
          break;
        case 'liveness':
          s.up = input.up;
          if (s.holding && !isCandidate(s)) release(s, fx, 'a lower node is up');
          break;
        case 'message':
          s.knownHolder = input.from;
          break;
        case 'tiebreak-result':
          if (s.request?.id === input.requestId) onAnswer(config, s, input.granted, nowMs, fx);
          break;
        case 'resources-result':
        case 'facts':
          break; // the toy asks for no resources and ranks no nodes
        case 'run-result':
          if (input.runId === s.acquiring) {
            s.acquiring = null;
            if (input.exitCode !== 0 && s.holding) release(s, fx, 'acquire failed');
          }
          break;
        case 'wake':
          if (nowMs >= s.nextTickMs) tick(config, s, nowMs, fx);
          break;
        case 'local-event':
        case 'operator':
          break;
      }
      const wake = s.holding ? Math.min(s.nextTickMs, s.deadline) : s.nextTickMs;
      fx.push({ type: 'wake-at', atMs: wake });
      return { state: s, effects: fx };
    },
  };
}

function isCandidate(s: ToyState): boolean {
  // `up` is ascending: the lowest node heard is its first element.
  const lowest = s.up[0];
  return lowest === undefined || s.self < lowest;
}

function tick(config: ToyConfig, s: Draft, nowMs: number, fx: NodeEffect<ToyMsg>[]): void {
  s.nextTickMs = nowMs + config.tickMs;
  if (s.request && nowMs - s.request.sentAt > config.requestTimeoutMs) s.request = null;
  if (!isCandidate(s)) {
    if (s.holding) release(s, fx, 'not the lowest node');
    return;
  }
  if (config.bug === 'no-tiebreaker') {
    if (!s.holding) hold(config, s, Infinity, fx);
  } else if (!s.request && (!s.holding || s.deadline - nowMs <= config.renewBeforeMs)) {
    const id = `${s.self}.${s.counter}`;
    s.request = { id, sentAt: nowMs };
    s.counter++;
    fx.push({ type: 'tiebreak', requestId: id });
  }
  if (s.holding) {
    for (const peer of config.peers) {
      if (peer !== s.self) fx.push({ type: 'send', to: peer, msg: HELD });
    }
    s.knownHolder = s.self;
  }
}

function onAnswer(
  config: ToyConfig,
  s: Draft,
  granted: boolean,
  nowMs: number,
  fx: NodeEffect<ToyMsg>[],
): void {
  const sentAt = (s.request as { sentAt: number }).sentAt;
  s.request = null;
  if (!granted) {
    if (s.holding) release(s, fx, 'tie-breaker denied');
    return;
  }
  // Counted from the request, not the answer: the tie-breaker's lease began after we asked.
  const deadline = sentAt + config.leaseMs - config.marginMs;
  if (nowMs >= deadline || !isCandidate(s)) return;
  if (s.holding) s.deadline = deadline;
  else hold(config, s, deadline, fx);
}

function hold(config: ToyConfig, s: Draft, deadline: number, fx: NodeEffect<ToyMsg>[]): void {
  const runId = `acquire.${s.self}.${s.counter}`;
  fx.push({ type: 'holding', group: GROUP, held: true, exclusive: true });
  fx.push({ type: 'log', level: 'info', msg: 'acquiring G', fields: { deadline } });
  fx.push({
    type: 'run',
    runId,
    command: 'acquire G',
    env: {},
    timeoutMs: config.acquireTimeoutMs,
  });
  s.holding = true;
  s.deadline = deadline;
  s.acquiring = runId;
  s.counter++;
  s.knownHolder = s.self;
}

function release(s: Draft, fx: NodeEffect<ToyMsg>[], why: string): void {
  fx.push({ type: 'holding', group: GROUP, held: false, exclusive: true });
  fx.push({ type: 'log', level: 'info', msg: `releasing G: ${why}` });
  s.holding = false;
  s.deadline = -Infinity;
  s.acquiring = null;
  s.knownHolder = null;
}

const HELD: ToyMsg = Object.freeze({ type: 'held' });
