// Dynamic node priority facts read from this machine's real /proc, and a group's priority
// script run for real.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterDefinition } from '../../core/config/load.js';
import { ChildProcessRunner } from '../../runtime/process.js';
import { FactsCollector } from './facts.js';

const text = (script: string): string =>
  [
    'cluster: { name: t, id: 1, port: 7000 }',
    'networks:',
    '  - { name: net1, type: ether }',
    'nodes:',
    ...[1, 2, 3].map(
      (i) =>
        `  - { name: n${String(i)}, id: ${String(i)}, interfaces: [ { network: net1, device: eth0, address: 10.9.0.${String(i)}/24 } ] }`,
    ),
    'resources:',
    '  applications:',
    "    - { name: app, start: 'true', stop: 'true' }",
    'resourceGroups:',
    '  - name: rg',
    '    nodes: [n1, n2, n3]',
    '    resources: [app]',
    '    fallover: dynamic-priority',
    `    dynamicPriority: { policy: script, script: '${script}' }`,
  ].join('\n');

function collector(script: string, errors: string[]): FactsCollector {
  const r = parseClusterDefinition(text(script), 't.yaml');
  assert.ok(r.ok && r.config, r.diagnostics.map((d) => d.message).join('\n'));
  return new FactsCollector({
    config: r.config,
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
