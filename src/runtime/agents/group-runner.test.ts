import assert from 'node:assert/strict';
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ResourceKind } from '../../core/config/model.js';
import { AgentError, type ResourceAgent } from './agent.js';
import { ApplicationAgent } from './application.js';
import { acquireOrder, GroupRunner, type GroupStep } from './group-runner.js';

let dir = '';
let log = '';

/**
 * A real application agent whose commands append "start NAME" / "stop NAME" to the log, and
 * fail (after writing) when told to. It reports `kind` so that a group can mix kinds: the
 * runner orders by kind and never looks further.
 */
function res(
  name: string,
  kind: ResourceKind,
  fail: { start?: boolean; stop?: boolean } = {},
): ResourceAgent {
  const app = new ApplicationAgent({
    resource: {
      at: ['resources', 0],
      kind: 'application',
      name,
      start: `echo "start ${name}" >> ${log}${fail.start ? '; echo "cannot start" >&2; exit 1' : ''}`,
      stop: `echo "stop ${name}" >> ${log}${fail.stop ? '; echo "cannot stop" >&2; exit 2' : ''}`,
      startTimeoutMs: 10_000,
      stopTimeoutMs: 10_000,
      background: false,
      monitors: [],
    },
    group: 'rg1',
    node: 'node1',
  });
  return {
    resource: name,
    kind,
    start: (ctx) => app.start(ctx),
    stop: (ctx) => app.stop(ctx),
    monitor: (ctx) => app.monitor(ctx),
  };
}

async function lines(): Promise<string[]> {
  const text = await readFile(log, 'utf8');
  return text.split('\n').filter((l) => l.length > 0);
}

const brief = (s: GroupStep): string => `${s.phase} ${s.op} ${s.resource} ${s.outcome}`;

describe('GroupRunner', { timeout: 60_000 }, () => {
  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'haven-group-')));
    log = join(dir, 'log');
  });
  beforeEach(async () => {
    await writeFile(log, '');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('orders by kind (storage, file systems, IPs, applications, ocf, systemd), then as listed', () => {
    const listed = [
      res('app1', 'application'),
      res('fs1', 'filesystem'),
      res('unit1', 'systemd'),
      res('ip1', 'serviceIp'),
      res('ocf1', 'ocf'),
      res('vg1', 'volumeGroup'),
      res('app2', 'application'),
      res('fs2', 'filesystem'),
    ];
    assert.deepEqual(
      acquireOrder(listed).map((a) => a.resource),
      ['vg1', 'fs1', 'fs2', 'ip1', 'app1', 'app2', 'ocf1', 'unit1'],
    );
  });

  it('acquires in order and releases in the exact reverse, reporting every step', async () => {
    const steps: GroupStep[] = [];
    const runner = new GroupRunner({
      group: 'rg1',
      agents: [
        res('app1', 'application'),
        res('ip1', 'serviceIp'),
        res('fs1', 'filesystem'),
        res('app2', 'application'),
        res('vg1', 'volumeGroup'),
      ],
      onStep: (s) => steps.push(s),
    });
    const acquired = await runner.acquire();
    assert.equal(acquired.ok, true);
    const released = await runner.release();
    assert.equal(released.ok, true);
    assert.deepEqual(released.failures, []);
    assert.deepEqual(await lines(), [
      'start vg1',
      'start fs1',
      'start ip1',
      'start app1',
      'start app2',
      'stop app2',
      'stop app1',
      'stop ip1',
      'stop fs1',
      'stop vg1',
    ]);
    assert.deepEqual(steps.map(brief), [
      'acquire start vg1 ok',
      'acquire start fs1 ok',
      'acquire start ip1 ok',
      'acquire start app1 ok',
      'acquire start app2 ok',
      'release stop app2 ok',
      'release stop app1 ok',
      'release stop ip1 ok',
      'release stop fs1 ok',
      'release stop vg1 ok',
    ]);
    for (const s of steps) {
      assert.equal(s.group, 'rg1');
      assert.ok(s.durationMs >= 0);
      assert.equal(s.error, undefined);
    }
    assert.equal(steps[1]?.kind, 'filesystem');
    assert.deepEqual(acquired.steps, steps.slice(0, 5));
  });

  it('a failed start rolls back: the failed resource, then those acquired, in reverse', async () => {
    const steps: GroupStep[] = [];
    const runner = new GroupRunner({
      group: 'rg1',
      agents: [
        res('app2', 'application'),
        res('app1', 'application', { start: true }),
        res('fs1', 'filesystem'),
        res('ip1', 'serviceIp'),
      ],
      onStep: (s) => steps.push(s),
    });
    const result = await runner.acquire();
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.failure.resource, 'app1');
    assert.equal(result.failure.op, 'start');
    assert.ok(result.failure.error instanceof AgentError);
    assert.equal(result.failure.error.details.exitCode, 1);
    assert.match(result.failure.error.message, /cannot start/);
    assert.deepEqual(result.rollbackFailures, []);
    // app1 is listed after app2: app2 started first; app1 failed; nothing after it started.
    assert.deepEqual(await lines(), [
      'start fs1',
      'start ip1',
      'start app2',
      'start app1',
      'stop app1',
      'stop app2',
      'stop ip1',
      'stop fs1',
    ]);
    assert.deepEqual(steps.map(brief), [
      'acquire start fs1 ok',
      'acquire start ip1 ok',
      'acquire start app2 ok',
      'acquire start app1 failed',
      'rollback stop app1 ok',
      'rollback stop app2 ok',
      'rollback stop ip1 ok',
      'rollback stop fs1 ok',
    ]);
  });

  it('rollback goes on past a failing stop and reports it with the start failure', async () => {
    const runner = new GroupRunner({
      group: 'rg1',
      agents: [
        res('fs1', 'filesystem'),
        res('ip1', 'serviceIp', { stop: true }),
        res('app1', 'application', { start: true }),
      ],
    });
    const result = await runner.acquire();
    assert.ok(!result.ok);
    assert.equal(result.failure.resource, 'app1');
    assert.deepEqual(
      result.rollbackFailures.map((f) => `${f.op} ${f.resource}`),
      ['stop ip1'],
    );
    assert.match(result.rollbackFailures[0]?.error.message ?? '', /cannot stop/);
    assert.deepEqual(await lines(), [
      'start fs1',
      'start ip1',
      'start app1',
      'stop app1',
      'stop ip1',
      'stop fs1',
    ]);
  });

  it('release goes on past failures and reports every one', async () => {
    const runner = new GroupRunner({
      group: 'rg1',
      agents: [
        res('fs1', 'filesystem'),
        res('ip1', 'serviceIp', { stop: true }),
        res('app1', 'application', { stop: true }),
        res('app2', 'application'),
      ],
    });
    assert.equal((await runner.acquire()).ok, true);
    const released = await runner.release();
    assert.equal(released.ok, false);
    assert.deepEqual(
      released.failures.map((f) => `${f.kind} ${f.resource}`),
      ['application app1', 'serviceIp ip1'],
    );
    assert.deepEqual((await lines()).slice(4), ['stop app2', 'stop app1', 'stop ip1', 'stop fs1']);
    assert.deepEqual(
      released.steps.map((s) => s.outcome),
      ['ok', 'failed', 'failed', 'ok'],
    );
  });

  it('an aborted acquire starts nothing more, and its rollback still runs', async () => {
    const abort = new AbortController();
    const runner = new GroupRunner({
      group: 'rg1',
      agents: [res('fs1', 'filesystem'), res('ip1', 'serviceIp'), res('app1', 'application')],
      onStep: (s) => {
        if (s.resource === 'ip1' && s.phase === 'acquire') abort.abort();
      },
    });
    const result = await runner.acquire({ signal: abort.signal });
    assert.ok(!result.ok);
    assert.equal(result.failure.resource, 'app1');
    assert.match(result.failure.error.message, /aborted/);
    assert.deepEqual(await lines(), ['start fs1', 'start ip1', 'stop ip1', 'stop fs1']);
  });

  it('an agent that breaks the contract (rejects with a plain Error) is reported as an AgentError', async () => {
    const broken: ResourceAgent = {
      resource: 'broken',
      kind: 'ocf',
      start: () => Promise.reject(new TypeError('x is undefined')),
      stop: () => Promise.resolve(),
      monitor: () => Promise.resolve({ state: 'stopped' }),
    };
    const result = await new GroupRunner({
      group: 'rg1',
      agents: [res('fs1', 'filesystem'), broken],
    }).acquire();
    assert.ok(!result.ok);
    assert.ok(result.failure.error instanceof AgentError);
    assert.match(
      result.failure.error.message,
      /broken: start failed: unexpected error: x is undefined/,
    );
    assert.deepEqual(await lines(), ['start fs1', 'stop fs1']);
  });
});
