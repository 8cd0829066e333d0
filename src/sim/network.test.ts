import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeNo } from '../core/cluster/node.js';
import { InvalidArgumentError } from '../core/errors.js';
import { SeededRandom } from '../core/random.js';
import { flap } from './faults.js';
import { Network } from './network.js';
import { recorderSim, seenBy } from './testing.js';

/** Every directed link that is cut, as "a>b", sorted. */
function cuts(net: Network): string[] {
  const out: string[] = [];
  for (const a of net.nodes)
    for (const b of net.nodes) if (!net.canSend(a, b)) out.push(`${a}>${b}`);
  return out;
}

describe('Network', () => {
  it('starts fully connected, and a node always reaches itself', () => {
    const net = new Network([3, 1, 2]);
    assert.deepEqual(net.nodes, [1, 2, 3]);
    assert.deepEqual(cuts(net), []);
    assert.equal(net.healed, true);
    net.isolate(2);
    assert.equal(net.canSend(2, 2), true);
  });

  it('rejects unknown, duplicate and out-of-range nodes', () => {
    assert.throws(() => new Network([1, 1]), InvalidArgumentError);
    assert.throws(() => new Network([0]), InvalidArgumentError);
    assert.throws(() => new Network([1025]), InvalidArgumentError);
    assert.throws(() => new Network([]), InvalidArgumentError);
    assert.throws(() => new Network([1, 2]).canSend(1, 3), InvalidArgumentError);
    assert.equal(new Network([1, 2]).indexOf(7), -1);
  });

  it('isolate cuts every link to and from the node, and only those', () => {
    const net = new Network([1, 2, 3]);
    net.isolate(2);
    assert.deepEqual(cuts(net), ['1>2', '2>1', '2>3', '3>2']);
  });

  it('split cuts both ways across the sides and leaves each side whole', () => {
    const net = new Network([1, 2, 3, 4, 5]);
    net.split([1, 2, 3], [4, 5]);
    assert.deepEqual(cuts(net), [
      '1>4',
      '1>5',
      '2>4',
      '2>5',
      '3>4',
      '3>5',
      '4>1',
      '4>2',
      '4>3',
      '5>1',
      '5>2',
      '5>3',
    ]);
    assert.equal(net.canSend(4, 5), true);
    assert.equal(net.canSend(1, 3), true);
  });

  it('bridge: the bridge node hears and is heard by both halves, the halves not each other', () => {
    const net = new Network([1, 2, 3, 4, 5]);
    net.isolate(3); // the bridge's links are set up even if they were cut before
    net.bridge(3, [1, 2], [4, 5]);
    for (const other of [1, 2, 4, 5]) {
      assert.equal(net.canSend(3, other), true, `3>${other}`);
      assert.equal(net.canSend(other, 3), true, `${other}>3`);
    }
    assert.deepEqual(cuts(net), ['1>4', '1>5', '2>4', '2>5', '4>1', '4>2', '5>1', '5>2']);
  });

  it('oneWay: the first node reaches the second, not the reverse', () => {
    const net = new Network([1, 2, 3]);
    net.setLink(1, 2, false);
    net.oneWay(1, 2);
    assert.deepEqual(cuts(net), ['2>1']);
  });

  it('setDirected and setLink set exactly the named links; heal restores everything', () => {
    const net = new Network([1, 2, 3]);
    net.setDirected(3, 1, false);
    assert.deepEqual(cuts(net), ['3>1']);
    net.setLink(1, 2, false);
    assert.deepEqual(cuts(net), ['1>2', '2>1', '3>1']);
    net.setLink(1, 2, true);
    assert.deepEqual(cuts(net), ['3>1']);
    net.split([1], [2, 3]);
    net.heal();
    assert.deepEqual(cuts(net), []);
  });

  it('calls onChange after every change', () => {
    const net = new Network([1, 2]);
    let changes = 0;
    net.onChange = () => changes++;
    net.isolate(1);
    net.heal();
    net.oneWay(1, 2);
    assert.equal(changes, 3);
  });

  it('flapping toggles the link down and up at random intervals and leaves it up', () => {
    const steps = flap(new SeededRandom(5), 1, 2, 1000, 3000, [10, 400]);
    assert.ok(steps.length >= 5);
    const ups = steps.map((s) => (s.fault.type === 'link' ? s.fault.up : undefined));
    assert.equal(ups[0], false);
    assert.equal(ups.at(-1), true);
    for (let i = 1; i < ups.length; i++) assert.notEqual(ups[i], ups[i - 1]);
    for (let i = 1; i < steps.length; i++) {
      assert.ok((steps[i]?.atMs ?? 0) > (steps[i - 1]?.atMs ?? 0));
    }
    assert.ok(steps.every((s) => s.atMs >= 1000 && s.atMs <= 3000));
    assert.deepEqual(flap(new SeededRandom(5), 1, 2, 1000, 3000, [10, 400]), steps);
  });
});

describe('fault shapes, as delivered by the engine', () => {
  // Every node sends "ping" to every other node at t=100, after the fault; who got what?
  function deliveries(nodes: readonly NodeNo[], fault: (net: Network) => void): string[] {
    const { sim } = recorderSim<string>(nodes, (node, input) =>
      input.type === 'operator'
        ? nodes.filter((n) => n !== node).map((to) => ({ type: 'send', to, msg: 'ping' }))
        : [],
    );
    sim.startAll();
    sim.runUntil(50);
    fault(sim.network);
    for (const n of nodes) sim.inject(100, n, { type: 'operator', request: { type: 'resume' } });
    sim.runUntil(200);
    const got: string[] = [];
    for (const n of nodes) {
      for (const line of seenBy(sim, n)) {
        const m = /^message (\d+):ping/.exec(line);
        if (m) got.push(`${m[1]}>${n}`);
      }
    }
    return got.sort();
  }

  const all = (nodes: readonly NodeNo[]): string[] =>
    nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => `${a}>${b}`)).sort();

  it('delivers everything on a healed network', () => {
    assert.deepEqual(
      deliveries([1, 2, 3], () => undefined),
      all([1, 2, 3]),
    );
  });

  it('isolate: nothing to or from the node', () => {
    assert.deepEqual(
      deliveries([1, 2, 3], (net) => {
        net.isolate(1);
      }),
      ['2>3', '3>2'],
    );
  });

  it('split: only within each side', () => {
    assert.deepEqual(
      deliveries([1, 2, 3, 4], (net) => {
        net.split([1, 2, 3], [4]);
      }),
      ['1>2', '1>3', '2>1', '2>3', '3>1', '3>2'],
    );
  });

  it('bridge: the bridge node with everyone, the halves only within themselves', () => {
    assert.deepEqual(
      deliveries([1, 2, 3, 4, 5], (net) => {
        net.bridge(3, [1, 2], [4, 5]);
      }),
      ['1>2', '1>3', '2>1', '2>3', '3>1', '3>2', '3>4', '3>5', '4>3', '4>5', '5>3', '5>4'],
    );
  });

  it('one-way: the reverse direction is lost', () => {
    assert.deepEqual(
      deliveries([1, 2], (net) => {
        net.oneWay(1, 2);
      }),
      ['1>2'],
    );
  });

  it('a flapping link loses what is sent while it is down', () => {
    assert.deepEqual(
      deliveries([1, 2, 3], (net) => {
        net.setLink(1, 3, false);
      }),
      ['1>2', '2>1', '2>3', '3>2'],
    );
  });
});
