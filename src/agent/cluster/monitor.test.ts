import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseClusterDefinition } from '../../core/config/load.js';
import { SystemClock } from '../../runtime/clock.js';
import { ChildProcessRunner } from '../../runtime/process.js';
import { SystemTimers } from '../../runtime/timers.js';
import { alive } from '../../testing/probes.js';
import { ApplicationMonitor, type MonitorLogLevel } from './monitor.js';
import { ResourceManager } from './resources.js';
import type { ResourceTrace } from './service.js';

const WITHIN_MS = 10_000;

interface Logged {
  readonly level: MonitorLogLevel;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

/** One node, one group rg1 with one application app1 and its monitor (YAML flow mapping). */
function definition(app: { start: string; stop: string }, monitor: string): string {
  return [
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
    `      start: ${JSON.stringify(app.start)}`,
    `      stop: ${JSON.stringify(app.stop)}`,
    '      startTimeout: 5s',
    '      stopTimeout: 5s',
    '      monitors:',
    `        - ${monitor}`,
    'resourceGroups:',
    '  - name: rg1',
    '    nodes: [n1]',
    '    resources: [app1]',
    '',
  ].join('\n');
}

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

async function until(what: string, f: () => boolean): Promise<void> {
  const deadline = Date.now() + WITHIN_MS;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`not within ${WITHIN_MS} ms: ${what}`);
    await sleep(50);
  }
}

describe('ApplicationMonitor', { timeout: 60_000 }, () => {
  let dir = '';
  let resources: ResourceManager;
  let monitor: ApplicationMonitor;
  let logs: Logged[];
  let traces: ResourceTrace[];
  let failed: { group: string; reason: string }[];
  /** Pids of the applications the tests started, to end whatever is left. */
  const pidfile = (): string => join(dir, 'pid');
  const marker = (name: string): string => join(dir, name);
  const groupFailures = (): readonly { group: string; reason: string }[] => failed;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haven-monitor-'));
    logs = [];
    traces = [];
    failed = [];
  });

  afterEach(async () => {
    await monitor.stop();
    await resources.release(['rg1'], () => undefined);
    resources.holding(new Set());
    const pid = lines(pidfile()).map(Number)[0];
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  /** Builds the resource manager and the monitor, and brings rg1 online. */
  async function online(app: { start: string; stop: string }, m: string): Promise<void> {
    const loaded = parseClusterDefinition(definition(app, m), 'test.yaml');
    assert.ok(
      loaded.ok && loaded.config,
      loaded.diagnostics.map((d) => `${d.severity}: ${d.message}`).join('\n'),
    );
    resources = new ResourceManager({
      config: loaded.config,
      node: 'n1',
      runner: new ChildProcessRunner(),
      outputDir: dir,
    });
    monitor = new ApplicationMonitor({
      resources,
      node: 'n1',
      runner: new ChildProcessRunner(),
      clock: new SystemClock(),
      timers: new SystemTimers(),
      onGroupFailed: (group, reason) => failed.push({ group, reason }),
      log: (level, msg, fields) => logs.push({ level, msg, fields }),
      trace: (t) => traces.push(t),
    });
    resources.watch(monitor);
    resources.holding(new Set(['rg1']));
    const r = await resources.acquire(['rg1'], () => undefined);
    assert.deepEqual(r, []);
    assert.deepEqual(monitor.monitoring(), ['rg1']);
  }

  /** A copy of sleep(1) with a name no other process has, for process monitors. */
  function program(): { bin: string; name: string } {
    const name = `hm${randomBytes(5).toString('hex')}`;
    const bin = join(dir, name);
    copyFileSync('/usr/bin/sleep', bin);
    chmodSync(bin, 0o755);
    return { bin, name };
  }

  /** A custom-monitored "application": up while the file up exists and broken does not. */
  const markerApp = (): { start: string; stop: string } => ({
    start: `echo start >> ${marker('starts')}; touch ${marker('up')}`,
    stop: `rm -f ${marker('up')}`,
  });
  const markerCheck = (): string =>
    JSON.stringify(
      `echo check >> ${marker('checks')}; test -e ${marker('up')} && ! test -e ${marker('broken')}`,
    );

  it('a process monitor notices the process gone and restarts the application', async () => {
    const { bin, name } = program();
    await online(
      {
        start: `${bin} 600 >/dev/null 2>&1 & echo $! > ${pidfile()}; echo start >> ${marker('starts')}`,
        stop: `kill $(cat ${pidfile()}) 2>/dev/null; true`,
      },
      `{ name: proc, type: process, process: ${name}, interval: 100ms, stabilization: 200ms, restartCount: 3, restartInterval: 60s }`,
    );
    const first = Number(lines(pidfile())[0]);
    assert.ok(alive(first), 'the application runs');
    process.kill(first, 'SIGKILL');
    await until('the application restarted', () => {
      const pid = Number(lines(pidfile())[0]);
      return pid !== first && alive(pid);
    });
    assert.equal(lines(marker('starts')).length, 2);
    await until('the restart traced', () => traces.some((t) => t.op === 'start'));
    const start = traces.find((t) => t.op === 'start');
    assert.equal(start?.resource, 'app1');
    assert.equal(start.outcome, 'ok');
    assert.match(start.detail ?? '', /restart 1 of 3 by monitor proc/);
    assert.ok(
      traces.some((t) => t.op === 'stop' && /cleanup before restart 1/.test(t.detail ?? '')),
    );
    const failure = logs.find((l) => l.level === 'warn' && l.msg.includes('restarting app1'));
    assert.match(String(failure?.fields['reason']), new RegExp(`no process named ${name}`));
    assert.deepEqual(failed, []);
  });

  it('a custom monitor failing restartCount + 1 times within the restart interval fails the group over', async () => {
    await online(
      markerApp(),
      `{ name: check, type: custom, command: ${markerCheck()}, interval: 100ms, timeout: 2s, stabilization: 150ms, restartCount: 2, restartInterval: 60s }`,
    );
    assert.equal(lines(marker('starts')).length, 1);
    writeFileSync(marker('broken'), '');
    await until('onGroupFailed', () => failed.length > 0);
    const [f, ...more] = failed;
    assert.deepEqual(more, []);
    assert.equal(f?.group, 'rg1');
    assert.equal(
      f.reason,
      'monitor check of app1 failed 3 times within 60 s (restart count 2): the check command exited with status 1',
    );
    // The first start and two restarts; then nothing more: monitoring of the group ended.
    assert.equal(lines(marker('starts')).length, 3);
    assert.equal(traces.filter((t) => t.op === 'start').length, 2);
    assert.deepEqual(monitor.monitoring(), []);
    const checks = lines(marker('checks')).length;
    await sleep(500);
    assert.equal(lines(marker('checks')).length, checks, 'no check after the fallover');
    assert.equal(failed.length, 1);
  });

  it('failure action notify runs the notify command and keeps monitoring, never failing the group', async () => {
    const notify = `echo "$HAVEN_ACTION $HAVEN_FAILURES" >> ${marker('notes')}; echo told-the-admin`;
    await online(
      markerApp(),
      `{ name: check, type: custom, command: ${markerCheck()}, interval: 100ms, timeout: 2s, stabilization: 150ms, restartCount: 1, restartInterval: 60s, failureAction: notify, notifyCommand: ${JSON.stringify(notify)} }`,
    );
    writeFileSync(marker('broken'), '');
    await until('the notify action', () => lines(marker('notes')).includes('notify 2'));
    assert.deepEqual(lines(marker('notes')), ['restart 1', 'notify 2']);
    const checks = lines(marker('checks')).length;
    // Monitoring goes on: more failed checks, but no restart, no second notification.
    await until('more checks', () => lines(marker('checks')).length >= checks + 3);
    assert.deepEqual(lines(marker('notes')), ['restart 1', 'notify 2']);
    assert.equal(lines(marker('starts')).length, 2, 'the first start and one restart');
    assert.deepEqual(failed, []);
    assert.deepEqual(monitor.monitoring(), ['rg1']);
    assert.ok(logs.some((l) => /failure action notify.*monitoring goes on/.test(l.msg)));
    const ran = logs.filter((l) => l.msg.startsWith('notify command'));
    assert.equal(ran.length, 2);
    assert.equal(ran[0]?.fields['stdout'], 'told-the-admin');
  });

  it('the restart count resets after the restart interval without a failure', async () => {
    await online(
      markerApp(),
      `{ name: check, type: custom, command: ${markerCheck()}, interval: 100ms, timeout: 2s, stabilization: 100ms, restartCount: 1, restartInterval: 1500ms }`,
    );
    // A crash, and the restart brings the application back.
    await rm(marker('up'));
    await until('the first restart', () => lines(marker('starts')).length === 2);
    // Healthy for longer than the restart interval: the next crash gets a restart again.
    await sleep(2000);
    await rm(marker('up'));
    await until('the second restart', () => lines(marker('starts')).length === 3);
    assert.deepEqual(failed, []);
    // A crash within the restart interval of that restart: its one restart is used up.
    await until('the restarted application checked', () => existsSync(marker('up')));
    await rm(marker('up'));
    await until('onGroupFailed', () => failed.length > 0);
    // (A function call: TypeScript narrowed `failed` to [] at the deepEqual above.)
    assert.match(groupFailures()[0]?.reason ?? '', /failed 2 times within 1\.5 s/);
    assert.equal(lines(marker('starts')).length, 3);
  });

  it('checks nothing during the stabilisation interval', async () => {
    await online(
      markerApp(),
      `{ name: check, type: custom, command: ${markerCheck()}, interval: 100ms, timeout: 2s, stabilization: 2s, restartCount: 1, restartInterval: 60s }`,
    );
    // The start's own checks (is it running yet?) ran during the acquisition, before this.
    const before = lines(marker('checks')).length;
    writeFileSync(marker('broken'), '');
    await sleep(800);
    assert.equal(lines(marker('checks')).length, before, 'no check within the stabilisation');
    assert.equal(lines(marker('starts')).length, 1);
    await until('checks after the stabilisation', () => lines(marker('starts')).length === 2);
  });

  it('releasing a group stops its monitoring; a check still running is ignored', async () => {
    await online(
      markerApp(),
      `{ name: check, type: custom, command: ${JSON.stringify(`${JSON.parse(markerCheck()) as string}; rc=$?; sleep 0.3; exit $rc`)}, interval: 100ms, timeout: 2s, stabilization: 100ms, restartCount: 3, restartInterval: 60s }`,
    );
    const checksBefore = lines(marker('checks')).length;
    await until('a check running', () => lines(marker('checks')).length > checksBefore);
    // The check in flight will fail (broken), but the release comes first.
    writeFileSync(marker('broken'), '');
    assert.deepEqual(await resources.release(['rg1'], () => undefined), []);
    // The release itself ends the monitoring (holding() only follows it, as in the agent).
    assert.deepEqual(monitor.monitoring(), []);
    const checks = lines(marker('checks')).length;
    await sleep(800);
    resources.holding(new Set());
    assert.equal(lines(marker('checks')).length, checks, 'no check after the release');
    assert.equal(lines(marker('starts')).length, 1, 'no restart');
    assert.equal(existsSync(marker('up')), false, 'released, not restarted');
    assert.deepEqual(traces, []);
    assert.deepEqual(failed, []);
  });

  it('a release during a restart aborts it: the application stays stopped', async () => {
    const restart = `sleep 1; echo restart >> ${marker('starts')}; touch ${marker('up')}`;
    await online(
      markerApp(),
      `{ name: check, type: custom, command: ${markerCheck()}, interval: 100ms, timeout: 2s, stabilization: 100ms, restartCount: 3, restartInterval: 60s, restartCommand: ${JSON.stringify(restart)} }`,
    );
    await rm(marker('up'));
    // The cleanup is done and the restart command is sleeping.
    await until('the cleanup', () => traces.some((t) => t.op === 'stop'));
    assert.deepEqual(await resources.release(['rg1'], () => undefined), []);
    assert.deepEqual(monitor.monitoring(), []);
    await sleep(1500);
    resources.holding(new Set());
    assert.equal(existsSync(marker('up')), false, 'not started again behind the release');
    assert.deepEqual(lines(marker('starts')), ['start']);
    const start = traces.find((t) => t.op === 'start');
    assert.equal(start?.outcome, 'failed');
  });
});
