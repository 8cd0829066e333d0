import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentLogs, type LogFileError } from './index.js';

describe('AgentLogs', { timeout: 10_000 }, () => {
  it('opens the three logs in one directory and writes each', async () => {
    const root = await mkdtemp(join(tmpdir(), 'haven-logs-'));
    try {
      const dir = join(root, 'var', 'log', 'haven');
      const errors: LogFileError[] = [];
      const now = Date.UTC(2026, 10, 22, 10, 15, 3, 123);
      const logs = AgentLogs.open(dir, 'node1', {
        clock: () => now,
        pid: 7,
        onError: (e) => errors.push(e),
      });
      logs.clusterLog.notice('node node2 left the cluster', { node: 'node2' });
      const event = { eventId: '4.12', name: 'node_down', eventNode: 'node2' };
      logs.event({ ...event, type: 'event-start', self: 'node1', members: ['node1'] });
      logs.event({ type: 'barrier', eventId: '4.12', index: 0, final: true, state: 'reached' });
      logs.event({ ...event, type: 'event-end', outcome: 'completed', durationMs: 5 });
      await logs.close();
      assert.deepEqual(errors, []);
      assert.deepEqual((await readdir(dir)).sort(), ['cluster.log', 'events.log', 'history']);
      assert.equal(
        await readFile(join(dir, 'cluster.log'), 'utf8'),
        '2026-11-22T10:15:03.123Z node1 haven[7]: NOTICE node node2 left the cluster node=node2\n',
      );
      const trace = await readFile(join(dir, 'events.log'), 'utf8');
      assert.match(trace, /EVENT START: node_down node2\n/);
      assert.match(trace, /\[4\.12\] BARRIER 1 \(end of program\) REACHED/);
      assert.match(trace, /EVENT COMPLETED: node_down node2 0\n/);
      assert.deepEqual(
        (await readFile(join(dir, 'history', 'cluster.20261122'), 'utf8')).split('\n'),
        [
          '2026-11-22T10:15:03.123Z node1 EVENT START: node_down node2 id=4.12',
          '2026-11-22T10:15:03.123Z node1 EVENT COMPLETED: node_down node2 0 id=4.12 took_ms=5',
          '',
        ],
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
