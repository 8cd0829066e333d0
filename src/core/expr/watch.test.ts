import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Expr } from './ast.js';
import type { Value } from './evaluate.js';
import { parsePredicate } from './parser.js';
import {
  INITIAL_WATCH_STATE,
  stepWatch,
  type WatchDefinition,
  type WatchReading,
  type WatchState,
} from './watch.js';

function parse(text: string): Expr {
  const r = parsePredicate(text);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.expr;
}

const def = (predicate: string, rearm?: string): WatchDefinition => ({
  predicate: parse(predicate),
  rearm: rearm === undefined ? undefined : parse(rearm),
});

const mount = (m: string, value: Value): WatchReading => ({
  key: `mount=${m}`,
  instance: { mount: m },
  value,
});

/** Runs samples (each a list of readings); one line per sample: what fired, re-armed, erred. */
function run(d: WatchDefinition, samples: readonly (readonly WatchReading[])[]): string[] {
  let state: WatchState = INITIAL_WATCH_STATE;
  return samples.map((readings) => {
    const s = stepWatch(d, state, readings);
    state = s.state;
    return [
      ...s.fired.map((r) => `F ${r.key}`),
      ...s.rearmed.map((k) => `R ${k}`),
      ...s.errors.map((e) => `E ${e.key}`),
    ].join(', ');
  });
}

describe('stepWatch', () => {
  it('keeps one trigger per instance: each file system fires and re-arms on its own', () => {
    const d = def('X>90', 'X<80');
    assert.deepEqual(
      run(d, [
        [mount('/tmp', 70), mount('/var', 95)],
        [mount('/tmp', 91), mount('/var', 96)],
        [mount('/tmp', 95), mount('/var', 79)],
        [mount('/tmp', 79), mount('/var', 91)],
      ]),
      ['F mount=/var', 'F mount=/tmp', 'R mount=/var', 'F mount=/var, R mount=/tmp'],
    );
  });

  it('gives X@P the previous value of the same instance, not of another', () => {
    const d = def('X-X@P>10');
    assert.deepEqual(
      run(d, [
        [mount('/a', 10), mount('/b', 50)],
        // /a rose by 45, /b by 5: only /a fires, although /a's value minus /b's old one is small.
        [mount('/a', 55), mount('/b', 55)],
      ]),
      // The first sample has no previous value: an error each, reported once.
      ['E mount=/a, E mount=/b', 'F mount=/a'],
    );
  });

  it('leaves an instance that is not read alone: no fire, no re-arm, its previous value kept', () => {
    const d = def('X>90');
    assert.deepEqual(
      run(d, [[mount('/tmp', 95)], [], [mount('/tmp', 95)], [mount('/tmp', 50)], []]),
      ['F mount=/tmp', '', '', 'R mount=/tmp', ''],
    );
    const p = def('X@P<50&&X>50');
    assert.deepEqual(run(p, [[mount('/x', 10)], [mount('/y', 1)], [mount('/x', 60)]]), [
      'E mount=/x',
      'E mount=/y',
      'F mount=/x',
    ]);
  });

  it('reports an evaluation error when it starts or changes, not on every sample', () => {
    const d = def('X@1>0');
    const proc = (value: Value): WatchReading => ({
      key: 'name=upr6',
      instance: { name: 'upr6' },
      value,
    });
    assert.deepEqual(
      run(d, [[proc(3)], [proc(3)], [proc(['a', 1])], [proc(['a', 2])], [proc([1])], [proc([1])]]),
      ['E name=upr6', '', 'F name=upr6', '', 'E name=upr6', ''],
    );
  });

  it('does not change the state it was given', () => {
    const d = def('X>90');
    const first = stepWatch(d, INITIAL_WATCH_STATE, [mount('/tmp', 95)]);
    stepWatch(d, first.state, [mount('/tmp', 10)]);
    assert.equal(first.state.get('mount=/tmp')?.trigger, 'fired');
    assert.equal(INITIAL_WATCH_STATE.size, 0);
  });
});
