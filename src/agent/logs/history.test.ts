import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { TraceEventEnd, TraceEventStart } from './event-trace.js';
import { formatHistoryLine, History, historyFileName } from './history.js';

const start: TraceEventStart = {
  type: 'event-start',
  eventId: '4.12',
  name: 'node_down',
  eventNode: 'node2',
  args: ['graceful'],
  self: 'node1',
  members: ['node1', 'node3'],
};
const end: TraceEventEnd = {
  type: 'event-end',
  eventId: '4.12',
  name: 'node_down',
  eventNode: 'node2',
  args: ['graceful'],
  outcome: 'completed',
  durationMs: 1877.4,
};

describe('daily history', { timeout: 10_000 }, () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'haven-history-')), 'history');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('names files by the UTC day and formats one line per start and end', () => {
    const t = Date.UTC(2026, 10, 22, 23, 59, 59, 999);
    assert.equal(historyFileName(t), 'cluster.20261122');
    assert.equal(historyFileName(t + 1), 'cluster.20261123');
    assert.equal(
      formatHistoryLine(start, 'node1', t),
      '2026-11-22T23:59:59.999Z node1 EVENT START: node_down node2 graceful id=4.12',
    );
    assert.equal(
      formatHistoryLine(end, 'node1', t),
      '2026-11-22T23:59:59.999Z node1 EVENT COMPLETED: node_down node2 graceful 0 id=4.12 took_ms=1877',
    );
    assert.equal(
      formatHistoryLine({ ...end, outcome: 'error', reason: 'step 3 failed' }, 'node1', t),
      '2026-11-22T23:59:59.999Z node1 EVENT FAILED: node_down node2 graceful 1 id=4.12 took_ms=1877 reason="step 3 failed"',
    );
  });

  it('starts a new file at midnight (UTC), by the time of each line', async () => {
    let now = Date.UTC(2026, 10, 22, 23, 59, 59, 900);
    const h = new History(dir, 'node1', { clock: () => now });
    h.write(start);
    now = Date.UTC(2026, 10, 23, 0, 0, 0, 100);
    h.write(end);
    h.write({ ...start, eventId: '4.13' });
    await h.close();
    assert.deepEqual((await readdir(dir)).sort(), ['cluster.20261122', 'cluster.20261123']);
    assert.equal(
      await readFile(join(dir, 'cluster.20261122'), 'utf8'),
      '2026-11-22T23:59:59.900Z node1 EVENT START: node_down node2 graceful id=4.12\n',
    );
    assert.equal(
      await readFile(join(dir, 'cluster.20261123'), 'utf8'),
      '2026-11-23T00:00:00.100Z node1 EVENT COMPLETED: node_down node2 graceful 0 id=4.12 took_ms=1877\n' +
        '2026-11-23T00:00:00.100Z node1 EVENT START: node_down node2 graceful id=4.13\n',
    );
  });

  it('keeps the last N days and removes older ones, leaving other files alone', async () => {
    await mkdir(dir, { recursive: true });
    const old = [
      'cluster.20261101',
      'cluster.20261119',
      'cluster.20261119.1',
      'cluster.20261120',
      'cluster.20261121',
      'cluster.20261130', // after "today": a clock stepped back must not lose it
      'notes.txt',
      'cluster.2026112',
    ];
    for (const name of old) await writeFile(join(dir, name), 'x\n');
    let now = Date.UTC(2026, 10, 22, 8, 0, 0);
    const h = new History(dir, 'node1', { clock: () => now, days: 3 });
    h.write(start);
    await h.flush();
    assert.deepEqual((await readdir(dir)).sort(), [
      'cluster.2026112',
      'cluster.20261120',
      'cluster.20261121',
      'cluster.20261122',
      'cluster.20261130',
      'notes.txt',
    ]);
    // The next day, the oldest kept day goes.
    now += 86_400_000;
    h.write(end);
    await h.close();
    assert.deepEqual((await readdir(dir)).sort(), [
      'cluster.2026112',
      'cluster.20261121',
      'cluster.20261122',
      'cluster.20261123',
      'cluster.20261130',
      'notes.txt',
    ]);
  });
});
