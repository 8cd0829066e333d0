import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BUILTIN_EVENTS } from '../config/events.js';
import {
  addEvent,
  compareEvents,
  EMPTY_QUEUE,
  eventKey,
  hasEvent,
  isHigherPriority,
  peekEvent,
  priorityClassOf,
  removeEvent,
  sortEvents,
  type EventQueue,
  type QueuedEvent,
} from './queue.js';

const show = (e: QueuedEvent): string =>
  `${e.name}@${e.node}${e.network === undefined ? '' : `/${String(e.network)}`}`;

function drain(queue: EventQueue): string[] {
  const out: string[] = [];
  let q = queue;
  for (let e = peekEvent(q); e !== undefined; e = peekEvent(q)) {
    out.push(show(e));
    q = removeEvent(q, e);
  }
  return out;
}

describe('event priority (4.6)', () => {
  it('processes the reference example in its order: joins of 3, 4, 5, then the failure of 3', () => {
    // Node 3 fails while cluster services start on nodes 3, 4 and 5.
    let q = EMPTY_QUEUE;
    for (const e of [
      { name: 'node_up', node: 5 },
      { name: 'node_down', node: 3 },
      { name: 'node_up', node: 3 },
      { name: 'node_up', node: 4 },
    ]) {
      q = addEvent(q, e);
    }
    assert.deepEqual(drain(q), ['node_up@3', 'node_up@4', 'node_up@5', 'node_down@3']);
  });

  it('orders the classes: join, failure, adapter, network up, network down, other, user', () => {
    const events: QueuedEvent[] = [
      { name: 'my_event', node: 1 },
      { name: 'rg_move', node: 1 },
      { name: 'network_down', node: 1, network: 1 },
      { name: 'network_up', node: 1, network: 1 },
      { name: 'join_interface', node: 1, network: 1 },
      { name: 'swap_adapter', node: 1, network: 1 },
      { name: 'fail_interface', node: 1, network: 1 },
      { name: 'node_down', node: 9 },
      { name: 'node_up', node: 9 },
    ];
    assert.deepEqual(sortEvents(events).map(show), [
      'node_up@9',
      'node_down@9',
      'swap_adapter@1/1',
      'fail_interface@1/1',
      'join_interface@1/1',
      'network_up@1/1',
      'network_down@1/1',
      'rg_move@1',
      'my_event@1',
    ]);
  });

  it('within a class: lower nodes first, then lower networks, then the rank and the name', () => {
    const events: QueuedEvent[] = [
      { name: 'network_down', node: 2, network: 1 },
      { name: 'network_down', node: 1, network: 'net_b' },
      { name: 'network_down', node: 1, network: 'net_a' },
      { name: 'network_down', node: 1, network: 2 },
      { name: 'network_down', node: 1, network: 10 },
      { name: 'network_down', node: 1 },
      { name: 'join_interface', node: 1, network: 1 },
      { name: 'swap_adapter', node: 1, network: 2 },
      { name: 'ue_b', node: 1 },
      { name: 'ue_a', node: 1 },
      { name: 'UE_Z', node: 1 },
    ];
    assert.deepEqual(sortEvents(events).map(show), [
      'join_interface@1/1',
      'swap_adapter@1/2',
      'network_down@1',
      'network_down@1/2',
      'network_down@1/10',
      'network_down@1/net_a',
      'network_down@1/net_b',
      'network_down@2/1',
      // code unit order: upper case before lower case, on every node whatever its locale
      'UE_Z@1',
      'ue_a@1',
      'ue_b@1',
    ]);
  });

  it('classifies every built-in event, and any other name as a user event', () => {
    const table: [name: string, cls: string][] = [
      ['node_up', 'join'],
      ['node_down', 'failure'],
      ['swap_adapter', 'adapter'],
      ['fail_interface', 'adapter'],
      ['join_interface', 'adapter'],
      ['network_up', 'network_up'],
      ['network_down', 'network_down'],
      ['rg_move', 'other'],
      ['node_up_complete', 'other'],
      ['UE_PGMRWHO_DOWN', 'user'],
    ];
    for (const [name, cls] of table) assert.equal(priorityClassOf(name), cls, name);
    for (const name of BUILTIN_EVENTS) assert.notEqual(priorityClassOf(name), 'user', name);
  });

  it('isHigherPriority is what a voter checks against the proposal', () => {
    const proposal = { name: 'node_down', node: 1 };
    assert.ok(isHigherPriority({ name: 'node_up', node: 7 }, proposal));
    assert.ok(!isHigherPriority({ name: 'node_down', node: 2 }, proposal));
    assert.ok(!isHigherPriority(proposal, proposal));
  });
});

describe('the queue', () => {
  it('holds an event once, whatever its id; the first copy stays', () => {
    const a = { name: 'node_down', node: 2, id: 'first' };
    const q1 = addEvent(EMPTY_QUEUE, a);
    const q2 = addEvent(q1, { name: 'node_down', node: 2, id: 'second' });
    assert.equal(q2, q1);
    assert.equal(q2.length, 1);
    assert.equal(q2[0]?.id, 'first');
  });

  it('tells events apart by network and details, details in any key order', () => {
    let q = EMPTY_QUEUE;
    q = addEvent(q, { name: 'network_down', node: 1, network: 1 });
    q = addEvent(q, { name: 'network_down', node: 1, network: '1' });
    q = addEvent(q, { name: 'rg_move', node: 1, details: { group: 'a', to: '2' } });
    q = addEvent(q, { name: 'rg_move', node: 1, details: { to: '2', group: 'a' } });
    q = addEvent(q, { name: 'rg_move', node: 1, details: { group: 'b', to: '2' } });
    assert.equal(q.length, 4);
    assert.ok(hasEvent(q, { name: 'rg_move', node: 1, details: { to: '2', group: 'a' } }));
  });

  it('removes by identity, and returns the same queue when the event is absent', () => {
    const q = addEvent(addEvent(EMPTY_QUEUE, { name: 'node_up', node: 1 }), {
      name: 'node_up',
      node: 2,
    });
    assert.equal(removeEvent(q, { name: 'node_up', node: 3 }), q);
    assert.deepEqual(removeEvent(q, { name: 'node_up', node: 1, id: 'other id' }).map(show), [
      'node_up@2',
    ]);
    assert.equal(peekEvent(EMPTY_QUEUE), undefined);
  });

  it('peeks right even in a queue built by hand, unsorted', () => {
    const q: EventQueue = [
      { name: 'my_event', node: 1 },
      { name: 'node_up', node: 4 },
    ];
    assert.equal(peekEvent(q)?.name, 'node_up');
  });
});

const eventArb: fc.Arbitrary<QueuedEvent> = fc.record(
  {
    name: fc.constantFrom(
      'node_up',
      'node_down',
      'swap_adapter',
      'fail_interface',
      'network_up',
      'network_down',
      'rg_move',
      'ue_a',
      'UE_b',
      'é',
    ),
    node: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(Number.NaN)),
    network: fc.option(
      fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom('net_a', 'net_b', '1')),
      { nil: undefined },
    ),
    details: fc.option(fc.dictionary(fc.constantFrom('a', 'b', 'B'), fc.constantFrom('x', 'y')), {
      nil: undefined,
    }),
    id: fc.option(fc.constantFrom('i1', 'i2'), { nil: undefined }),
  },
  { requiredKeys: ['name', 'node'] },
);

describe('the order, for any events', () => {
  it('is a total order: antisymmetric, transitive, and 0 only for identical events', () => {
    fc.assert(
      fc.property(eventArb, eventArb, eventArb, (a, b, c) => {
        assert.ok(Math.sign(compareEvents(a, b)) === -Math.sign(compareEvents(b, a)));
        if (compareEvents(a, b) <= 0 && compareEvents(b, c) <= 0)
          assert.ok(compareEvents(a, c) <= 0);
        if (compareEvents(a, b) === 0) {
          assert.equal(eventKey(a), eventKey(b));
          assert.equal(a.id, b.id);
        }
      }),
    );
  });

  it('does not depend on the order events arrive in: every node picks the same next event', () => {
    const arrivals = fc
      .uniqueArray(eventArb, { selector: eventKey, maxLength: 12 })
      .chain((events) =>
        fc.tuple(
          fc.constant(events),
          fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        ),
      );
    fc.assert(
      fc.property(arrivals, ([events, shuffled]) => {
        let q1 = EMPTY_QUEUE;
        for (const e of events) q1 = addEvent(q1, e);
        let q2 = EMPTY_QUEUE;
        for (const e of shuffled) q2 = addEvent(q2, e);
        assert.deepEqual(q1.map(eventKey), q2.map(eventKey));
        const p1 = peekEvent(q1);
        const p2 = peekEvent(q2);
        assert.equal(p1 && eventKey(p1), p2 && eventKey(p2));
        assert.equal(p1, q1[0]);
      }),
    );
  });
});
