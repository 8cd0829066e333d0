import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DROP_REASONS,
  addDrop,
  emptyDropCounters,
  sumDropCounters,
  totalDrops,
} from './counters.js';
import { REPLAY_REJECT_REASONS } from './replay.js';
import { WIRE_REJECT_REASONS } from './wire.js';

describe('drop counters', () => {
  it('list every reason of both layers once, wire first', () => {
    assert.deepEqual(DROP_REASONS, [...WIRE_REJECT_REASONS, ...REPLAY_REJECT_REASONS]);
    assert.equal(new Set(DROP_REASONS).size, DROP_REASONS.length);
    const empty = emptyDropCounters();
    assert.deepEqual(Object.keys(empty), DROP_REASONS);
    assert.equal(totalDrops(empty), 0);
  });

  it('add without changing the record they are given', () => {
    const empty = emptyDropCounters();
    const one = addDrop(empty, 'bad-mac');
    const more = addDrop(one, 'replayed', 3);
    assert.equal(empty['bad-mac'], 0);
    assert.equal(one['bad-mac'], 1);
    assert.equal(more['bad-mac'], 1);
    assert.equal(more.replayed, 3);
    assert.equal(totalDrops(more), 4);
  });

  it('sum reason by reason', () => {
    const a = addDrop(addDrop(emptyDropCounters(), 'too-short'), 'wrong-cluster', 2);
    const b = addDrop(emptyDropCounters(), 'wrong-cluster', 5);
    const sum = sumDropCounters([a, b]);
    assert.equal(sum['too-short'], 1);
    assert.equal(sum['wrong-cluster'], 7);
    assert.equal(totalDrops(sum), 8);
    assert.deepEqual(sumDropCounters([]), emptyDropCounters());
  });
});
