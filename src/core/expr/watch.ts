// One user-defined event watching every instance of its resource variable: a trigger (armed or
// fired) and the previous value (for X@P) per concrete instance. A wildcard instance such as
// `mount=*` is many instances, each with its own trigger: /tmp passing 90 % fires once for /tmp,
// and /var may fire on the same sample.
//
// An instance missing from a sample (a file system unmounted, a figure that needs two readings)
// keeps its state: it neither fires nor re-arms until it is read again. An evaluation error is
// reported when it first happens on an instance and when it changes, not on every sample, so a
// predicate that cannot be evaluated does not fill the log.

import type { Expr } from './ast.js';
import type { Value } from './evaluate.js';
import type { Instance } from './instance.js';
import { INITIAL_TRIGGER_STATE, stepTrigger, type TriggerState } from './trigger.js';

export interface WatchDefinition {
  readonly predicate: Expr;
  readonly rearm?: Expr | undefined;
}

/** One concrete instance's value at this sample. */
export interface WatchReading {
  /** The instance as text (`mount=/tmp`); the identity of its trigger. */
  readonly key: string;
  readonly instance: Instance;
  readonly value: Value;
}

interface KeyState {
  readonly trigger: TriggerState;
  readonly previous: Value;
  /** The last evaluation error reported for this instance (reported again only when it changes). */
  readonly error?: string;
}

export type WatchState = ReadonlyMap<string, KeyState>;

export const INITIAL_WATCH_STATE: WatchState = new Map();

export interface WatchStep {
  readonly state: WatchState;
  /** Readings whose predicate became true: the event happens, once for each. */
  readonly fired: readonly WatchReading[];
  /** Instances whose trigger re-armed on this sample. */
  readonly rearmed: readonly string[];
  /** New or changed evaluation errors, by instance: worth one line in the log each. */
  readonly errors: readonly { readonly key: string; readonly message: string }[];
}

export function stepWatch(
  definition: WatchDefinition,
  state: WatchState,
  readings: readonly WatchReading[],
): WatchStep {
  const next = new Map(state);
  const fired: WatchReading[] = [];
  const rearmed: string[] = [];
  const errors: { key: string; message: string }[] = [];
  const trigger =
    definition.rearm === undefined
      ? { predicate: definition.predicate }
      : { predicate: definition.predicate, rearm: definition.rearm };
  for (const r of readings) {
    const before = state.get(r.key);
    const step = stepTrigger(
      trigger,
      before?.trigger ?? INITIAL_TRIGGER_STATE,
      before === undefined ? { current: r.value } : { current: r.value, previous: before.previous },
    );
    if (step.fire) fired.push(r);
    if (step.rearmed) rearmed.push(r.key);
    const error = step.error?.message;
    if (error !== undefined && error !== before?.error) errors.push({ key: r.key, message: error });
    next.set(r.key, {
      trigger: step.state,
      previous: r.value,
      ...(error === undefined ? {} : { error }),
    });
  }
  return { state: next, fired, rearmed, errors };
}
