import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Expr } from './ast.js';
import type { Value } from './evaluate.js';
import { parsePredicate } from './parser.js';
import {
  INITIAL_TRIGGER_STATE,
  stepTrigger,
  type TriggerDefinition,
  type TriggerState,
} from './trigger.js';

function parse(text: string): Expr {
  const r = parsePredicate(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.expr;
}

function definition(predicate: string, rearm?: string): TriggerDefinition {
  return rearm === undefined
    ? { predicate: parse(predicate) }
    : { predicate: parse(predicate), rearm: parse(rearm) };
}

/** Feeds samples in order (each with the one before as previous); one letter per sample. */
function replay(def: TriggerDefinition, values: readonly Value[]): string {
  let state: TriggerState = INITIAL_TRIGGER_STATE;
  let previous: Value | undefined;
  let out = '';
  for (const current of values) {
    const step = stepTrigger(
      def,
      state,
      previous === undefined ? { current } : { current, previous },
    );
    assert.ok(!(step.fire && step.rearmed));
    out += step.error ? 'E' : step.fire ? 'F' : step.rearmed ? 'R' : '.';
    state = step.state;
    previous = current;
  }
  return out;
}

describe('stepTrigger', () => {
  it('replays the reference /tmp example: X>90, rearm X<80', () => {
    const tmp = definition('X>90', 'X<80');
    // % used of /tmp:  70   85   91   95   99   89   85   80   79   85   92   95
    assert.equal(replay(tmp, [70, 85, 91, 95, 99, 89, 85, 80, 79, 85, 92, 95]), '..F.....R.F.');
  });

  it('fires whenever usage passes 90 with rearm X<90, as the reference advises', () => {
    const tmp = definition('X>90', 'X<90');
    assert.equal(replay(tmp, [91, 85, 91, 95, 89, 92, 90, 91]), 'FRF.RF..');
  });

  it('without a rearm predicate, re-arms when the predicate is false', () => {
    assert.equal(replay(definition('X>90'), [91, 95, 85, 91, 91, 90, 99]), 'F.RF.RF');
  });

  it('never fires on the sample that re-arms it', () => {
    // A rearm predicate overlapping the predicate: re-arming and firing take two samples.
    assert.equal(replay(definition('X>90', 'X>95'), [99, 99, 99, 99]), 'FRFR');
  });

  it('fires at once if the predicate is already true on the first sample', () => {
    assert.equal(replay(definition('X>90', 'X<80'), [95, 95]), 'F.');
  });

  it('replays the rules file example: a process dies (X@0==0&&X@1!=0), rearm X@0>0', () => {
    const died = definition('X@0==0&&X@1!=0', 'X@0>0');
    const counts: Value[] = [
      [1, 1, [7218]],
      [0, 1, []], // upr6 died
      [0, 0, []],
      [1, 0, [7300]], // restarted
      [1, 1, [7300]],
      [0, 1, []], // died again
    ];
    assert.equal(replay(died, counts), '.F.R.F');
  });

  it('reports an evaluation error without changing state, then carries on', () => {
    const rising = definition('X > X@P + 10');
    // No previous sample at first: an error, not a silent false.
    assert.equal(replay(rising, [50, 70, 71, 72, 90]), 'EFR.F');
    const s = stepTrigger(rising, 'fired', { current: 1 });
    assert.deepEqual(s, {
      state: 'fired',
      fire: false,
      rearmed: false,
      error: { type: 'no-previous', message: 'X@P: there is no previous sample yet' },
    });
  });

  const percent = fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 60 });

  it('alternates fire and rearm, starting with fire (hysteresis)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        percent,
        (high, low, xs) => {
          const events = replay(definition(`X>${high}`, `X<${low}`), xs).replace(/\./g, '');
          assert.match(events, /^(FR)*F?$/);
        },
      ),
    );
  });

  it('without a rearm predicate, fires once per rising edge of the predicate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), percent, (high, xs) => {
        const events = replay(definition(`X>${high}`), xs);
        let edges = 0;
        let was = false;
        for (const x of xs) {
          if (x > high && !was) edges++;
          was = x > high;
        }
        assert.equal(events.split('F').length - 1, edges);
      }),
    );
  });
});
