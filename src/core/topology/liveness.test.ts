import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deriveLevel, transition, type LinkState } from './liveness.js';

describe('deriveLevel', () => {
  it('is down only when every member is down', () => {
    assert.equal(deriveLevel('up', ['down', 'down']), 'down');
    assert.equal(deriveLevel('unknown', ['down']), 'down');
    assert.equal(deriveLevel('up', ['down', 'unknown']), 'up');
  });

  it('is up as soon as one member is up', () => {
    assert.equal(deriveLevel('down', ['down', 'up']), 'up');
    assert.equal(deriveLevel('unknown', ['unknown', 'up']), 'up');
  });

  it('stays undecided while members are unknown and none is up', () => {
    assert.equal(deriveLevel('unknown', ['unknown', 'down']), 'unknown');
    assert.equal(deriveLevel('unknown', ['unknown']), 'unknown');
  });

  it('keeps a decided up until every member is known to be down', () => {
    // An IP path failed while the disk path is still in its start-up window.
    assert.equal(deriveLevel('up', ['down', 'unknown']), 'up');
  });

  it('keeps its previous state with no members', () => {
    const all: LinkState[] = ['unknown', 'up', 'down'];
    for (const s of all) assert.equal(deriveLevel(s, []), s);
  });
});

describe('transition', () => {
  it('reports only decided changes', () => {
    assert.equal(transition('unknown', 'up'), 'up');
    assert.equal(transition('unknown', 'down'), 'down');
    assert.equal(transition('up', 'down'), 'down');
    assert.equal(transition('down', 'up'), 'up');
    assert.equal(transition('up', 'up'), null);
    assert.equal(transition('up', 'unknown'), null);
  });
});
