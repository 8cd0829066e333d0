// Runs many seeds of one scenario: the loop behind `npm run sim -- --seeds N`, in the main
// thread or in each worker. Seeds are start + offset, start + offset + stride, ... below
// start + count, so `stride` workers with offsets 0..stride-1 share a range without overlap.
import type { NodeCountRange } from './scenario.js';
import type { RunResult } from './run.js';
import type { ScenarioEntry } from './scenarios.js';

export interface BatchOptions {
  readonly start: number;
  readonly count: number;
  /** @default 1 */
  readonly stride?: number | undefined;
  /** @default 0 */
  readonly offset?: number | undefined;
  readonly nodeCount?: NodeCountRange | undefined;
  /** Trace lines kept in a failure's report. */
  readonly traceLines?: number | undefined;
  /** See RunOptions.freeze. */
  readonly freeze?: boolean | undefined;
  /** Go on after a failure (collecting all of them) instead of stopping at the first. */
  readonly keepGoing?: boolean | undefined;
  /** Asked between seeds: true stops the batch (a time budget, another worker's failure). */
  readonly shouldStop?: (() => boolean) | undefined;
  /** Called after each seed. */
  readonly onSeed?: ((result: RunResult) => void) | undefined;
}

export interface BatchResult {
  /** Seeds run. */
  readonly done: number;
  readonly failures: readonly RunResult[];
  readonly events: number;
  readonly steps: number;
  /** The slowest convergence seen (after the faults ended), and its seed. */
  readonly slowest?: { readonly seed: number; readonly ms: number } | undefined;
}

export function runBatch(scenario: ScenarioEntry, options: BatchOptions): BatchResult {
  const stride = options.stride ?? 1;
  const end = options.start + options.count;
  const failures: RunResult[] = [];
  let done = 0;
  let events = 0;
  let steps = 0;
  let slowest: BatchResult['slowest'];
  for (let seed = options.start + (options.offset ?? 0); seed < end; seed += stride) {
    if (options.shouldStop?.() === true) break;
    const result = scenario.run(seed, {
      nodeCount: options.nodeCount,
      traceLines: options.traceLines,
      freeze: options.freeze,
    });
    done++;
    events += result.stats.events;
    steps += result.stats.steps;
    const c = result.convergedAfterMs;
    if (c !== undefined && (slowest === undefined || c > slowest.ms)) slowest = { seed, ms: c };
    options.onSeed?.(result);
    if (!result.ok) {
      failures.push(result);
      if (options.keepGoing !== true) break;
    }
  }
  return { done, failures, events, steps, slowest };
}
