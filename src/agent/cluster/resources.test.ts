import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseClusterDefinition } from '../../core/config/load.js';
import { alive } from '../../testing/probes.js';
import { haltScript, ResourceManager } from './resources.js';

describe('the halt script', () => {
  it('is empty when nothing is held', () => {
    assert.deepEqual(haltScript([]), []);
    assert.deepEqual(haltScript([[], []]), []);
  });

  it("halts every group at once: one group's slow stop does not hold back another's", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haven-halt-'));
    try {
      const script = join(dir, 'halt.sh');
      const slow = join(dir, 'slow-done');
      const quick = join(dir, 'quick-done');
      const order = join(dir, 'order');
      await writeFile(
        script,
        haltScript([
          [`sleep 3; touch ${slow}`],
          [`echo first >> ${order}`, `echo second >> ${order}`, `touch ${quick}`],
        ]).join('\n') + '\n',
      );
      // Sourced by /bin/sh, as the dead man switch's sentinel does.
      const sh = spawn('/bin/sh', ['-c', '. "$1"', 'sh', script], { stdio: 'ignore' });
      const exited = new Promise<void>((r) => {
        sh.once('exit', () => {
          r();
        });
      });
      for (let i = 0; i < 100 && !existsSync(quick); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(existsSync(quick), 'the quick group was halted');
      assert.ok(!existsSync(slow), 'while the slow one was still stopping');
      await exited;
      assert.ok(existsSync(slow), 'the script waits for every group');
      assert.equal(await readFile(order, 'utf8'), 'first\nsecond\n', 'in order within a group');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('halting at once after lost quorum', { timeout: 60_000 }, () => {
  it('kills an application whose stop is slow at once, and the release then runs no stop command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haven-haltnow-'));
    const pidfile = join(dir, 'pid');
    const stopped = join(dir, 'stop-ran');
    const text = [
      'cluster: { name: t, id: 5, port: 23000 }',
      'networks:',
      '  - { name: net1, type: ether }',
      'nodes:',
      '  - name: n1',
      '    id: 1',
      '    interfaces:',
      '      - { network: net1, device: lo, address: 127.0.0.1/8 }',
      'resources:',
      '  applications:',
      '    - name: app1',
      // The application: a sleep in the background, its pid written down.
      `      start: ${JSON.stringify(`sleep 300 & echo $! > ${pidfile}`)}`,
      // A stop that takes its time, as a database's clean shutdown does.
      `      stop: ${JSON.stringify(`touch ${stopped}; sleep 20; kill $(cat ${pidfile})`)}`,
      '      stopTimeout: 30s',
      'resourceGroups:',
      '  - name: rg1',
      '    nodes: [n1]',
      '    resources: [app1]',
      '',
    ].join('\n');
    const loaded = parseClusterDefinition(text, 'test.yaml', { verify: false });
    assert.ok(loaded.config, loaded.diagnostics.map((d) => d.message).join('\n'));
    const resources = new ResourceManager({ config: loaded.config, node: 'n1' });
    let pid = 0;
    try {
      assert.deepEqual(await resources.acquire(['rg1'], () => undefined), []);
      resources.holding(new Set(['rg1']));
      pid = Number((await readFile(pidfile, 'utf8')).trim());
      assert.ok(alive(pid), 'the application runs');

      const h = await resources.haltNow(['rg1']);
      assert.equal(h.exitCode, 0, h.output);
      assert.ok(!alive(pid), 'the halt killed it');
      // The release finds it stopped: its slow stop command does not run.
      assert.deepEqual(await resources.release(['rg1'], () => undefined), []);
      assert.ok(!existsSync(stopped), 'the stop command did not run');
    } finally {
      resources.holding(new Set());
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
