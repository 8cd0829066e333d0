import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeNo } from '../core/cluster/node.js';
import { SeededRandom } from '../core/random.js';
import { generateFaults, type ScheduledFault } from './faults.js';

function replayStatus(nodes: readonly NodeNo[], faults: readonly ScheduledFault[]): string[] {
  // Walk the schedule as the engine would and report anything that would be a no-op.
  const down = new Set<NodeNo>();
  const pausedUntil = new Map<NodeNo, number>();
  const problems: string[] = [];
  for (const { atMs, fault } of faults) {
    const paused = (n: NodeNo): boolean => (pausedUntil.get(n) ?? 0) > atMs;
    switch (fault.type) {
      case 'crash':
        if (down.has(fault.node) || paused(fault.node))
          problems.push(`crash of ${fault.node} at ${atMs}`);
        down.add(fault.node);
        break;
      case 'restart':
        if (!down.has(fault.node)) problems.push(`restart of ${fault.node} at ${atMs}`);
        down.delete(fault.node);
        break;
      case 'pause':
        if (down.has(fault.node) || paused(fault.node))
          problems.push(`pause of ${fault.node} at ${atMs}`);
        pausedUntil.set(fault.node, atMs + fault.durationMs);
        break;
      case 'split':
        assert.deepEqual(
          [...fault.a, ...fault.b].sort((x, y) => x - y),
          nodes,
        );
        assert.ok(fault.b.length >= 1 && fault.b.length <= fault.a.length);
        break;
      case 'bridge':
        assert.deepEqual(
          [fault.node, ...fault.a, ...fault.b].sort((x, y) => x - y),
          nodes,
        );
        assert.ok(fault.a.length >= 1 && fault.b.length >= 1);
        break;
      default:
        break;
    }
  }
  return problems;
}

describe('generateFaults', () => {
  it('is deterministic for a seed', () => {
    const nodes = [1, 2, 3, 4, 5];
    assert.deepEqual(
      generateFaults(new SeededRandom(9), nodes, 30_000),
      generateFaults(new SeededRandom(9), nodes, 30_000),
    );
    assert.notDeepEqual(
      generateFaults(new SeededRandom(9), nodes, 30_000),
      generateFaults(new SeededRandom(10), nodes, 30_000),
    );
  });

  it('produces every shape, sorted, only meaningful crashes/restarts/pauses, and heal-all at the end', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const nodes = Array.from({ length: 2 + (seed % 7) }, (_, i) => i + 1);
      const faults = generateFaults(new SeededRandom(seed), nodes, 30_000);
      for (let i = 1; i < faults.length; i++) {
        assert.ok((faults[i]?.atMs ?? 0) >= (faults[i - 1]?.atMs ?? 0));
      }
      assert.deepEqual(faults.at(-1), { atMs: 30_000, fault: { type: 'heal-all' } });
      assert.ok(faults.slice(0, -1).every((f) => f.atMs < 30_000));
      assert.deepEqual(replayStatus(nodes, faults), [], `seed ${seed}`);
      for (const f of faults) seen.add(f.fault.type);
    }
    assert.deepEqual([...seen].sort(), [
      'bridge',
      'crash',
      'heal',
      'heal-all',
      'isolate',
      'link',
      'one-way',
      'pause',
      'restart',
      'split',
    ]);
  });

  it('leaves out kinds weighted 0, and splits 2k nodes into equal halves sometimes', () => {
    let ties = 0;
    for (let seed = 0; seed < 100; seed++) {
      const faults = generateFaults(new SeededRandom(seed), [1, 2, 3, 4], 30_000, {
        weights: { crash: 0, pause: 0, restart: 0, flap: 0 },
      });
      for (const { fault } of faults) {
        assert.ok(!['crash', 'pause', 'restart', 'link'].includes(fault.type), fault.type);
        if (fault.type === 'split' && fault.a.length === fault.b.length) ties++;
      }
    }
    assert.ok(ties > 0);
  });
});
