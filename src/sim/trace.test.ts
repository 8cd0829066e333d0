import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatValue, TraceKind, TraceRing } from './trace.js';

describe('TraceRing', () => {
  it('keeps the last `capacity` records, oldest first', () => {
    const ring = new TraceRing(3);
    for (let i = 1; i <= 5; i++) ring.record(i * 10, i, TraceKind.wake);
    assert.equal(ring.total, 5);
    assert.deepEqual(ring.lines(), [
      '       30 n3    wake',
      '       40 n4    wake',
      '       50 n5    wake',
    ]);
    assert.deepEqual(ring.lines(1), ['       50 n5    wake']);
  });

  it('formats each kind with its details', () => {
    const ring = new TraceRing(10);
    ring.record(5, 2, TraceKind.recv, 1, { type: 'vote', epoch: 3 });
    ring.record(6, 0, TraceKind.fault, { type: 'isolate', node: 2 }, 'no effect: not up');
    ring.record(7, 2, TraceKind.log, {
      type: 'log',
      level: 'info',
      msg: 'hello',
      fields: { a: 1 },
    });
    ring.record(8, 2, TraceKind.holding, 'G', true);
    assert.deepEqual(ring.lines(), [
      '        5 n2    recv           from n1 {type:"vote",epoch:3}',
      '        6 --    fault          {type:"isolate",node:2} (no effect: not up)',
      '        7 n2    log            info hello {a:1}',
      '        8 n2    holding        "G" held',
    ]);
  });

  it('records nothing at capacity 0 but still counts', () => {
    const ring = new TraceRing(0);
    ring.record(1, 1, TraceKind.wake);
    assert.equal(ring.total, 1);
    assert.deepEqual(ring.lines(), []);
  });
});

describe('formatValue', () => {
  it('renders any value compactly and deterministically', () => {
    assert.equal(
      formatValue({
        a: [1, 'x', null, undefined],
        m: new Map([[1, new Set([2])]]),
        b: 3n,
        'odd key': true,
      }),
      '{a:[1,"x",null,undefined],m:Map{1=>Set{2}},b:3n,"odd key":true}',
    );
    const deep: Record<string, unknown> = {};
    let cur = deep;
    for (let i = 0; i < 10; i++) cur = cur.x = {};
    assert.equal(formatValue(deep), '{x:{x:{x:{x:{x:{x:…}}}}}}');
    assert.equal(formatValue('y'.repeat(1000)).length, 400);
  });
});
