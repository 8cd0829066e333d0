// The models of the world the simulator puts nodes in: how messages travel, how fast the
// failure detector follows the truth, how commands complete, how the tie-breaker decides. Plain
// parameters with documented defaults; README.md ("How the engine works") says what each means.
import type { NodeEffect, NodeNo } from '../core/cluster/node.js';
import type { SeededRandom } from '../core/random.js';
import type { Range } from './draw.js';
import type { World } from './world.js';

/** How messages travel. */
export interface NetworkModel {
  /** One-way delay of each message, uniform in this range (ms); different delays reorder. */
  readonly delayMs: Range;
  /** Percent of messages lost. */
  readonly lossPercent: number;
  /** Percent of messages delivered twice (the copy with its own delay). */
  readonly duplicatePercent: number;
  /** Keep each directed link in order (a TCP-like stream): no reordering, only loss. */
  readonly fifo: boolean;
}

/** How fast the `liveness` input follows the truth (see README.md, "Liveness model"). */
export interface LivenessModel {
  /** A peer that stopped being heard is reported gone after this long (ms)... */
  readonly downAfterMs: number;
  /** ...and one heard again is reported back after this long (ms)... */
  readonly upAfterMs: number;
  /** ...plus, each time, a uniform extra in [0, jitterMs]. */
  readonly jitterMs: number;
}

export type RunEffect = Extract<NodeEffect<unknown>, { readonly type: 'run' }>;

/** A scripted command result. */
export interface CommandOutcome {
  /** null: killed by a signal. */
  readonly exitCode: number | null;
  /** @default drawn from CommandModel.durationMs */
  readonly durationMs?: number | undefined;
  /** @default '' */
  readonly output?: string | undefined;
}

/** How `run` effects complete. */
export interface CommandModel {
  /** Time a command takes (ms). A duration over the run's timeoutMs is a timeout at timeoutMs. */
  readonly durationMs: Range;
  /** Percent of commands that fail with exit code 1 (when the script does not decide). */
  readonly failPercent: number;
  /** Decides a command's result; undefined leaves it to durationMs and failPercent. */
  readonly script?:
    | ((
        node: NodeNo,
        run: RunEffect,
        random: SeededRandom,
        nowMs: number,
      ) => CommandOutcome | undefined)
    | undefined;
}

/**
 * The tie-breaker: one lease (a disk reservation or a quorum server's grant). A request reaches
 * it after `latencyMs`; it grants when the lease is free (never granted, or expired), and then
 * the requester holds it for `leaseMs` from that moment; it also grants the current holder when
 * `renewable` (extending it by `leaseMs` from the renewal); it denies anyone else. The answer
 * travels back in `latencyMs`. The lease belongs to a node number, not an incarnation: a crashed
 * holder keeps it until it expires, and may renew it when restarted.
 */
export interface TiebreakerModel {
  readonly leaseMs: number;
  /** Each way (ms). */
  readonly latencyMs: Range;
  readonly renewable: boolean;
  /** Whether the node can reach the tie-breaker now; when not, it is denied after unreachableAnswerMs. */
  readonly reachable?: ((node: NodeNo, world: World<unknown>) => boolean) | undefined;
  readonly unreachableAnswerMs: number;
}

export const DEFAULT_NETWORK: NetworkModel = {
  delayMs: [1, 10],
  lossPercent: 0,
  duplicatePercent: 0,
  fifo: false,
};
export const DEFAULT_LIVENESS: LivenessModel = { downAfterMs: 1000, upAfterMs: 100, jitterMs: 100 };
export const DEFAULT_COMMANDS: CommandModel = { durationMs: [1, 50], failPercent: 0 };
export const DEFAULT_TIEBREAKER: TiebreakerModel = {
  leaseMs: 10_000,
  latencyMs: [1, 20],
  renewable: true,
  unreachableAnswerMs: 1000,
};
