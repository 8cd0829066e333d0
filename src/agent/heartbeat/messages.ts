// Messages between the agent's main thread and its heartbeat worker thread.

import type { TopologyEvent } from '../../core/topology/events.js';
import type { RunnerProblem, RunnerStatus } from './runner.js';

/** What the worker needs to start; structured-cloned into the worker. */
export interface WorkerInit {
  readonly configText: string;
  readonly configFile: string;
  readonly localNode: string;
  readonly key: Uint8Array;
  readonly incarnation: bigint;
  readonly createDiskFiles: boolean;
}

export type ToWorker =
  | { readonly type: 'status'; readonly id: number }
  | { readonly type: 'close-interface'; readonly id: number; readonly name: string }
  | { readonly type: 'stop' };

export interface LoopDelay {
  /** Event-loop delay of this thread, ms: the median, the 99th percentile, the worst. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'event'; readonly event: TopologyEvent; readonly wallMs: number }
  | { readonly type: 'problem'; readonly problem: RunnerProblem; readonly wallMs: number }
  | {
      readonly type: 'status';
      readonly id: number;
      readonly status: RunnerStatus;
      readonly loopDelay: LoopDelay;
    }
  | { readonly type: 'closed-interface'; readonly id: number; readonly ok: boolean }
  | { readonly type: 'stopped' };
