import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRandom } from '../core/random.js';
import { EventQueue } from './queue.js';

describe('EventQueue', () => {
  it('pops by time, and same-time items in sequence order', () => {
    const q = new EventQueue<{ t: number; seq: number }>();
    let seq = 0;
    for (const t of [30, 10, 20, 10, 10, 0]) q.push({ t, seq: seq++ });
    const out: string[] = [];
    for (let item = q.pop(); item; item = q.pop()) out.push(`${item.t}/${item.seq}`);
    assert.deepEqual(out, ['0/5', '10/1', '10/3', '10/4', '20/2', '30/0']);
    assert.equal(q.size, 0);
    assert.equal(q.pop(), undefined);
  });

  it('agrees with a sort on random interleavings of pushes and pops', () => {
    const random = new SeededRandom(3);
    const q = new EventQueue<{ t: number; seq: number }>();
    const model: { t: number; seq: number }[] = [];
    let seq = 0;
    for (let i = 0; i < 5000; i++) {
      if (random.int(3) > 0) {
        const item = { t: random.int(50), seq: seq++ };
        q.push(item);
        model.push(item);
      } else {
        model.sort((a, b) => a.t - b.t || a.seq - b.seq);
        assert.equal(q.peek(), model[0]);
        assert.equal(q.pop(), model.shift());
      }
    }
    assert.equal(q.size, model.length);
  });
});
