// The arm/rearm state machine of a user-defined event (the reference's predicate and rearm
// predicate). It is edge-triggered with hysteresis: `X>90` / `X<80` fires once when a file
// system passes 90 % and not again until it has dropped below 80 %.
//
// One sample evaluates one predicate: the predicate while armed, the rearm predicate while
// fired. So the sample that re-arms never also fires; the next sample may. This is how PSSP
// Event Management behaved (a rearm event, then the predicate on later observations).

import type { Expr } from './ast.js';
import { evaluate, type EvalError, type Sample } from './evaluate.js';

export type TriggerState = 'armed' | 'fired';

/** A new trigger is armed: a predicate already true at the first sample fires at once. */
export const INITIAL_TRIGGER_STATE: TriggerState = 'armed';

export interface TriggerDefinition {
  readonly predicate: Expr;
  /** Without one, the trigger re-arms on the first sample where the predicate is false. */
  readonly rearm?: Expr;
}

export interface TriggerStep {
  readonly state: TriggerState;
  /** The event happens: run its recovery program. */
  readonly fire: boolean;
  /** The trigger re-armed on this sample (worth a line in the event log). */
  readonly rearmed: boolean;
  /**
   * The predicate could not be evaluated on this sample (e.g. X@P on the first sample, a
   * missing field). The state is unchanged and nothing fires; the caller should log it.
   */
  readonly error?: EvalError;
}

export function stepTrigger(
  definition: TriggerDefinition,
  state: TriggerState,
  sample: Sample,
): TriggerStep {
  switch (state) {
    case 'armed': {
      const r = evaluate(definition.predicate, sample);
      if (!r.ok) return { state, fire: false, rearmed: false, error: r.error };
      return r.value
        ? { state: 'fired', fire: true, rearmed: false }
        : { state, fire: false, rearmed: false };
    }
    case 'fired': {
      const rearm = definition.rearm;
      const r = evaluate(rearm ?? definition.predicate, sample);
      if (!r.ok) return { state, fire: false, rearmed: false, error: r.error };
      const rearmed = rearm === undefined ? !r.value : r.value;
      return rearmed
        ? { state: 'armed', fire: false, rearmed: true }
        : { state, fire: false, rearmed: false };
    }
  }
}
