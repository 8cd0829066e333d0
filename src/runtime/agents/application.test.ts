import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApplicationResource, MonitorDef } from '../../core/config/model.js';
import { AgentError, type AgentCommand, type MonitorStatus } from './agent.js';
import { ApplicationAgent, type ApplicationAgentOptions } from './application.js';
import { agentContract } from './contract.test-helper.js';

let root = '';
/** Names of the copies of sleep(1) the tests run as "applications"; every one is ours. */
const binaries = new Set<string>();
let counter = 0;

/** A fresh directory and a copy of sleep with a name no other process on the machine has. */
function fresh(): { dir: string; bin: string; name: string; pidfile: string } {
  counter += 1;
  // comm keeps 15 bytes: "hv" + 8 hex + counter stays below.
  const name = `hv${randomBytes(4).toString('hex')}${counter}`;
  const dir = join(root, name);
  const bin = join(dir, name);
  mkdirSync(dir);
  copyFileSync('/usr/bin/sleep', bin);
  chmodSync(bin, 0o755);
  binaries.add(name);
  return { dir, bin, name, pidfile: join(dir, 'pid') };
}

/** Live (not zombie) pids whose comm is `name`, read straight from /proc. */
function livePids(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (comm === name && state !== 'Z' && state !== 'X') pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !'ZX'.includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

function pidOf(pidfile: string): number | undefined {
  if (!existsSync(pidfile)) return undefined;
  const n = Number(readFileSync(pidfile, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function app(
  fields: Partial<ApplicationResource> & { start: string; stop: string },
): ApplicationResource {
  return {
    at: ['resources', 0],
    kind: 'application',
    name: 'app1',
    startTimeoutMs: 10_000,
    stopTimeoutMs: 10_000,
    background: false,
    monitors: [],
    ...fields,
  };
}

function monitor(fields: Partial<MonitorDef> & Pick<MonitorDef, 'type'>): MonitorDef {
  return {
    at: ['resources', 0, 'monitors', 0],
    name: fields.type === 'process' ? 'proc' : 'check',
    process: undefined,
    owner: undefined,
    instances: 1,
    command: undefined,
    intervalMs: 10_000,
    timeoutMs: 5_000,
    stabilizationMs: 5_000,
    restartCount: 3,
    restartIntervalMs: 60_000,
    failureAction: 'fallover',
    notifyCommand: undefined,
    cleanupCommand: undefined,
    restartCommand: undefined,
    ...fields,
  };
}

function agent(
  resource: ApplicationResource,
  more: Partial<ApplicationAgentOptions> = {},
): ApplicationAgent {
  return new ApplicationAgent({
    resource,
    group: 'rg1',
    node: 'node1',
    killGraceMs: 1_000,
    ...more,
  });
}

function failedReason(status: MonitorStatus): string {
  assert.equal(status.state, 'failed', JSON.stringify(status));
  return 'reason' in status ? status.reason : '';
}

function reasonOf(e: unknown): string {
  assert.ok(e instanceof AgentError, String(e));
  return e.details.reason;
}

describe('ApplicationAgent', { timeout: 120_000 }, () => {
  before(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), 'haven-app-')));
  });
  after(async () => {
    // Whatever a failed test left running: only our uniquely named binaries, by pid.
    for (const name of binaries) for (const pid of livePids(name)) process.kill(pid, 'SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  describe('foreground start, custom monitor', () => {
    let t: ReturnType<typeof fresh>;
    before(() => {
      t = fresh();
    });
    agentContract({
      make: () =>
        agent(
          app({
            start: `${t.bin} 600 >/dev/null 2>&1 & echo $! > ${t.pidfile}`,
            stop: `kill $(cat ${t.pidfile}) && rm -f ${t.pidfile}`,
            monitors: [
              monitor({
                type: 'custom',
                command: `test -f ${t.pidfile} && kill -0 $(cat ${t.pidfile})`,
              }),
            ],
          }),
        ),
      isOnline: () => {
        const pid = pidOf(t.pidfile);
        return Promise.resolve(pid !== undefined && isAlive(pid));
      },
      makeFailing: () =>
        agent(app({ start: 'echo "cannot bind port 80" >&2; exit 3', stop: 'true' })),
    });
  });

  describe('background start, process monitor', () => {
    let t: ReturnType<typeof fresh>;
    before(() => {
      t = fresh();
    });
    agentContract({
      make: () =>
        agent(
          app({
            start: `echo $$ > ${t.pidfile}; exec ${t.bin} 600`,
            stop: `kill $(cat ${t.pidfile})`,
            background: true,
            monitors: [monitor({ type: 'process', process: t.name })],
          }),
          { backgroundGraceMs: 200 },
        ),
      isOnline: () => Promise.resolve(livePids(t.name).length > 0),
      makeFailing: () =>
        agent(app({ start: 'exit 7', stop: 'true', background: true }), {
          backgroundGraceMs: 2_000,
        }),
    });
  });

  describe('no monitor: the state the agent knows', () => {
    let t: ReturnType<typeof fresh>;
    before(() => {
      t = fresh();
    });
    agentContract({
      make: () =>
        agent(
          app({
            start: `${t.bin} 600 >/dev/null 2>&1 & echo $! > ${t.pidfile}`,
            stop: `if [ -f ${t.pidfile} ]; then kill $(cat ${t.pidfile}); rm -f ${t.pidfile}; fi`,
          }),
        ),
      isOnline: () => Promise.resolve(livePids(t.name).length > 0),
    });
  });

  it('start does not run the start command when the monitor says it runs', async () => {
    const t = fresh();
    const starts = join(t.dir, 'starts');
    const def = app({
      start: `echo started >> ${starts}; ${t.bin} 600 >/dev/null 2>&1 &`,
      stop: `kill $(cat ${t.pidfile})`,
      monitors: [monitor({ type: 'process', process: t.name })],
    });
    const first = agent(def);
    await first.start();
    // A fresh agent (Haven restarted) sees it running through the monitor.
    const second = agent(def);
    const seen: AgentCommand[] = [];
    await second.start({ onCommand: (c) => seen.push(c) });
    assert.deepEqual(seen, []);
    assert.equal((await readFile(starts, 'utf8')).trim().split('\n').length, 1);
    assert.equal(livePids(t.name).length, 1);
    for (const pid of livePids(t.name)) process.kill(pid, 'SIGTERM');
  });

  it('commands get exactly the environment the agent was given, plus the HAVEN_ variables', async () => {
    const t = fresh();
    const envFile = join(t.dir, 'env');
    process.env['HAVEN_TEST_LEAK'] = 'must-not-reach-the-script';
    try {
      const a = agent(app({ name: 'web', start: `env > ${envFile}`, stop: 'true' }), {
        group: 'rgweb',
        node: 'alpha',
        env: { LANG: 'C.UTF-8' },
      });
      await a.start();
      const vars = Object.fromEntries(
        (await readFile(envFile, 'utf8'))
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      assert.equal(vars['HAVEN_RESOURCE'], 'web');
      assert.equal(vars['HAVEN_GROUP'], 'rgweb');
      assert.equal(vars['HAVEN_NODE'], 'alpha');
      assert.equal(vars['HAVEN_OP'], 'start');
      assert.equal(vars['LANG'], 'C.UTF-8');
      assert.match(vars['PATH'] ?? '', /\/usr\/bin/);
      assert.equal(vars['HAVEN_TEST_LEAK'], undefined);
      assert.equal(vars['HOME'], undefined);
    } finally {
      delete process.env['HAVEN_TEST_LEAK'];
    }
  });

  it('a failing start names the exit status and the last output', async () => {
    const a = agent(app({ start: 'echo "port 80 in use" >&2; exit 3', stop: 'true' }));
    await assert.rejects(a.start(), (e: unknown) => {
      assert.match(reasonOf(e), /exited with status 3/);
      assert.match(reasonOf(e), /port 80 in use/);
      assert.ok(e instanceof AgentError && e.details.exitCode === 3);
      return true;
    });
  });

  it('a start command that overruns its time limit is killed and the start fails', async () => {
    const t = fresh();
    const a = agent(app({ start: `${t.bin} 30`, stop: 'true', startTimeoutMs: 300 }), {
      killGraceMs: 200,
    });
    await assert.rejects(a.start(), (e: unknown) => {
      assert.ok(e instanceof AgentError && e.details.timedOut);
      assert.match(reasonOf(e), /did not finish within 300 ms/);
      return true;
    });
    assert.deepEqual(livePids(t.name), []);
  });

  it('foreground start waits for the monitors to report healthy', async () => {
    const t = fresh();
    const ready = join(t.dir, 'ready');
    const a = agent(
      app({
        start: `(sleep 0.4; touch ${ready}) >/dev/null 2>&1 &`,
        stop: `rm -f ${ready}`,
        monitors: [
          monitor({ type: 'custom', command: `test -f ${ready}`, stabilizationMs: 10_000 }),
        ],
      }),
    );
    await a.start();
    assert.deepEqual(await a.monitor(), { state: 'running' });
    await a.stop();
    assert.equal((await a.monitor()).state, 'stopped');
  });

  it('background: a command that fails within the grace fails the start, with its output', async () => {
    const t = fresh();
    const out = join(t.dir, 'out.log');
    const a = agent(
      app({ start: 'echo "no config file" >&2; exit 2', stop: 'true', background: true }),
      {
        backgroundGraceMs: 3_000,
        backgroundOutput: out,
      },
    );
    await assert.rejects(a.start(), (e: unknown) => {
      assert.match(reasonOf(e), /background start command exited with status 2/);
      assert.match(reasonOf(e), /no config file/);
      return true;
    });
  });

  it('background: a command that daemonises and exits 0 is a success; the monitor judges', async () => {
    const t = fresh();
    const a = agent(
      app({
        start: `${t.bin} 600 >/dev/null 2>&1 & echo $! > ${t.pidfile}; exit 0`,
        stop: `kill $(cat ${t.pidfile})`,
        background: true,
        monitors: [monitor({ type: 'process', process: t.name })],
      }),
      { backgroundGraceMs: 3_000 },
    );
    await a.start();
    // start returned when the script exited; the daemon it forked may not have exec'd yet.
    let status = await a.monitor();
    for (let i = 0; i < 100 && status.state !== 'running'; i++) {
      await sleep(20);
      status = await a.monitor();
    }
    assert.deepEqual(status, { state: 'running' });
    await a.stop();
    assert.deepEqual(livePids(t.name), []);
  });

  it('background: a later exit is reported, and with no monitor makes monitor say failed', async () => {
    const t = fresh();
    let reported: (c: AgentCommand) => void = () => undefined;
    const exited = new Promise<AgentCommand>((resolve) => {
      reported = resolve;
    });
    const a = agent(
      app({ start: `${t.bin} 0.6; echo crashed; exit 4`, stop: 'true', background: true }),
      {
        backgroundGraceMs: 100,
        backgroundOutput: join(t.dir, 'out.log'),
        onBackgroundExit: (c) => {
          reported(c);
        },
      },
    );
    const seen: AgentCommand[] = [];
    await a.start({ onCommand: (c) => seen.push(c) });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.exitCode, null); // still running when start returned
    assert.deepEqual(await a.monitor(), { state: 'running' });
    // The agent unref()s the background child (the application must not keep Haven alive
    // on its way out); this test has to keep the event loop alive while it waits.
    const keepAlive = setInterval(() => undefined, 1000);
    const c = await exited.finally(() => {
      clearInterval(keepAlive);
    });
    assert.equal(c.exitCode, 4);
    assert.match(c.stderr, /crashed/);
    const status = await a.monitor();
    assert.equal(status.state, 'failed');
    assert.match(failedReason(status), /exited with status 4/);
  });

  it('stop: a failing stop command escalates to SIGTERM then SIGKILL of the start’s process group', async () => {
    const t = fresh();
    const a = agent(
      app({
        // The loop ignores SIGTERM (and so do the sleeps it runs): only SIGKILL ends it.
        start: `sh -c 'trap "" TERM; while :; do ${t.bin} 1; done' >/dev/null 2>&1 & echo $! > ${t.pidfile}`,
        stop: 'echo "stop script broken" >&2; exit 1',
      }),
      { killGraceMs: 300 },
    );
    await a.start();
    const loop = pidOf(t.pidfile);
    assert.ok(loop !== undefined && isAlive(loop));
    const seen: AgentCommand[] = [];
    await a.stop({ onCommand: (c) => seen.push(c) });
    assert.ok(!isAlive(loop), 'the loop survived');
    assert.deepEqual(livePids(t.name), []);
    const commands = seen.map((c) => c.command);
    assert.equal(seen[0]?.exitCode, 1);
    assert.ok(
      commands.some((c) => /^kill -TERM -\d+$/.test(c)),
      commands.join('\n'),
    );
    assert.ok(
      commands.some((c) => /^kill -KILL -\d+$/.test(c)),
      commands.join('\n'),
    );
  });

  it('stop: a stop command that overruns is killed, then the application is', async () => {
    const t = fresh();
    const a = agent(
      app({ start: `${t.bin} 600 >/dev/null 2>&1 &`, stop: 'sleep 30', stopTimeoutMs: 300 }),
      { killGraceMs: 300 },
    );
    await a.start();
    assert.equal(livePids(t.name).length, 1);
    const seen: AgentCommand[] = [];
    await a.stop({ onCommand: (c) => seen.push(c) });
    assert.equal(seen[0]?.timedOut, true);
    assert.deepEqual(livePids(t.name), []);
    // Twice is still success, and runs nothing.
    const again: AgentCommand[] = [];
    await a.stop({ onCommand: (c) => again.push(c) });
    assert.deepEqual(again, []);
  });

  it('stop: aborting kills the stop command, not the application', async () => {
    const t = fresh();
    const a = agent(app({ start: `${t.bin} 600 >/dev/null 2>&1 &`, stop: 'sleep 30' }), {
      killGraceMs: 200,
    });
    await a.start();
    const abort = new AbortController();
    setTimeout(() => {
      abort.abort();
    }, 100);
    await assert.rejects(a.stop({ signal: abort.signal }), (e: unknown) => {
      // Usually "aborted while the stop command ran"; on a loaded machine the abort can come
      // before the command has started ("aborted before sleep 30 ran").
      assert.match(reasonOf(e), /aborted (while the stop command ran|before sleep 30 ran)/);
      return true;
    });
    assert.equal(livePids(t.name).length, 1);
    for (const pid of livePids(t.name)) process.kill(pid, 'SIGKILL');
  });

  it('stop fails, naming what survived, when the application left the process group', async () => {
    const t = fresh();
    const a = agent(
      app({
        start: `setsid ${t.bin} 600 >/dev/null 2>&1 & echo $! > ${t.pidfile}`,
        stop: 'exit 1',
        monitors: [monitor({ type: 'process', process: t.name })],
      }),
      { killGraceMs: 200 },
    );
    await a.start();
    await assert.rejects(a.stop(), (e: unknown) => {
      assert.equal(e instanceof AgentError && e.details.op, 'stop');
      assert.match(reasonOf(e), /the stop command exited with status 1/);
      assert.match(
        reasonOf(e),
        new RegExp(`monitor proc still sees it: 1 process named ${t.name} running`),
      );
      return true;
    });
    const pid = pidOf(t.pidfile);
    assert.ok(pid !== undefined && isAlive(pid));
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(10);
    // Now the monitor sees nothing: the failed stop command no longer matters.
    await a.stop();
    assert.equal((await a.monitor()).state, 'stopped');
  });

  it('stop without monitor fails when the stop command fails and nothing shows it is down', async () => {
    const a = agent(app({ start: 'true', stop: 'exit 5' }));
    await a.start();
    await assert.rejects(a.stop(), (e: unknown) => {
      assert.match(reasonOf(e), /exited with status 5/);
      assert.match(reasonOf(e), /cannot tell whether the application is down/);
      return true;
    });
  });

  it('process monitor: instance count and owner', async () => {
    const t = fresh();
    const two = `${t.bin} 600 >/dev/null 2>&1 & ${t.bin} 600 >/dev/null 2>&1 &`;
    const def = (m: Partial<MonitorDef>): ApplicationResource =>
      app({
        start: two,
        stop: 'true',
        monitors: [monitor({ type: 'process', process: t.name, ...m })],
      });
    const starter = agent(def({ instances: 2 }));
    await starter.start();
    assert.deepEqual(await starter.monitor(), { state: 'running' });
    // Fresh agents (they started nothing) looking at the same two processes:
    assert.deepEqual(await agent(def({ instances: 2, owner: 'root' })).monitor(), {
      state: 'running',
    });
    const three = await agent(def({ instances: 3 })).monitor();
    assert.equal(three.state, 'failed');
    assert.match(failedReason(three), /only 2 of 3 processes named/);
    assert.deepEqual(await agent(def({ owner: 'nobody' })).monitor(), { state: 'stopped' });
    await assert.rejects(agent(def({ owner: 'no-such-user-xyz' })).monitor(), AgentError);
    for (const pid of livePids(t.name)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && livePids(t.name).length > 0; i++) await sleep(10);
    // The agent that started them knows they should run: failed, not stopped.
    const crashed = await starter.monitor();
    assert.equal(crashed.state, 'failed');
    assert.match(failedReason(crashed), /no processes named/);
  });

  it('custom monitor: a check that overruns its timeout reports failed', async () => {
    const a = agent(
      app({
        start: 'true',
        stop: 'true',
        monitors: [
          monitor({ type: 'custom', command: 'sleep 5', timeoutMs: 200, stabilizationMs: 0 }),
        ],
      }),
      { killGraceMs: 100 },
    );
    await a.start();
    const status = await a.monitor();
    assert.equal(status.state, 'failed');
    assert.match(failedReason(status), /did not finish within 200 ms/);
  });

  it('validate reports shell syntax errors and unknown owners, naming the field', async () => {
    const ok = agent(app({ start: 'echo hi', stop: 'true' }));
    assert.deepEqual(await ok.validate(), []);
    const bad = agent(
      app({
        start: 'echo hi',
        stop: 'if then',
        monitors: [monitor({ type: 'process', process: 'x', owner: 'no-such-user-xyz' })],
      }),
    );
    const problems = await bad.validate();
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('stop is not a valid /bin/sh script')));
    assert.ok(problems.some((p) => p.includes('owner no-such-user-xyz is not a user')));
  });
});
