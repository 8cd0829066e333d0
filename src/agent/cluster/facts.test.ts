// Dynamic node priority facts read from this machine's real /proc, and a group's priority
// script run for real.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterOf } from '../../core/placement/placement.test-helper.js';
import { ChildProcessRunner } from '../../runtime/process.js';
import { FactsCollector } from './facts.js';

function collector(script: string, errors: string[]): FactsCollector {
  const config = clusterOf({
    nodes: ['n1', 'n2', 'n3'],
    groups: [
      {
        name: 'rg',
        nodes: ['n1', 'n2', 'n3'],
        fallover: 'dynamic-priority',
        dynamicPriority: { policy: 'script', script },
      },
    ],
  });
  return new FactsCollector({
    config,
    node: 'n1',
    runner: new ChildProcessRunner(),
    onFacts: () => undefined,
    onError: (what, e) => errors.push(`${what}: ${String(e)}`),
  });
}

describe('dynamic node priority facts', () => {
  it('reads free memory at once, CPU and disk use from the second reading on, and the script’s number', async () => {
    const errors: string[] = [];
    const c = collector('echo 42.5', errors);
    const first = await c.collect();
    assert.ok(first?.freeMemory !== undefined && first.freeMemory > 0, JSON.stringify(first));
    assert.equal(first.idleCpu, undefined);
    assert.deepEqual(first.script, { rg: 42.5 });
    await new Promise((r) => setTimeout(r, 200));
    const second = await c.collect();
    assert.ok(second?.idleCpu !== undefined && second.idleCpu >= 0 && second.idleCpu <= 100);
    assert.ok(second.diskBusy === undefined || (second.diskBusy >= 0 && second.diskBusy <= 100));
    assert.deepEqual(errors, []);
  });

  it('a script that fails gives no value for its group, and says why', async () => {
    const errors: string[] = [];
    const f = await collector('echo nope; exit 3', errors).collect();
    assert.equal(f?.script, undefined);
    assert.match(errors.join('\n'), /dynamic priority script of rg: exit 3/);
  });
});
