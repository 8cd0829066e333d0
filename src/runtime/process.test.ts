import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, ProcessAbortedError, ProcessSpawnError } from '../core/errors.js';
import type { ProcessSpec } from '../core/ports/process.js';
import { ChildProcessRunner } from './process.js';

const runner = new ChildProcessRunner();
const env = { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin' };
const node = process.execPath;

/** Descendants a test started and must not leave behind if it fails half-way. */
const strays = new Set<number>();

/** Dead, or a zombie (dead, but its reaper has not collected it; some containers' PID 1 never does). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!isGone(pid)) {
    if (Date.now() >= end) return false;
    await sleep(10);
  }
  return true;
}

describe('ChildProcessRunner', { timeout: 30_000 }, () => {
  let dir: string;
  let spec: (command: ProcessSpec['command'], more?: Partial<ProcessSpec>) => ProcessSpec;
  before(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'haven-process-')));
    spec = (command, more = {}) => ({
      command,
      env,
      cwd: dir,
      timeoutMs: 10_000,
      killGraceMs: 500,
      maxOutputBytes: 64 * 1024,
      ...more,
    });
  });
  after(async () => {
    for (const pid of strays) {
      if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the exit code and output', async () => {
    const r = await runner.run(spec({ shell: 'echo out; echo err >&2; exit 3' }));
    assert.equal(r.exitCode, 3);
    assert.equal(r.signal, null);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.deepEqual(
      [r.timedOut, r.aborted, r.stdoutTruncated, r.stderrTruncated],
      [false, false, false, false],
    );
    assert.ok(r.pid > 0 && r.durationMs >= 0);
  });

  it('passes argv verbatim, without a shell', async () => {
    const r = await runner.run(spec(['printf', '%s|', 'a b', '$HOME;`x`', '*']));
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'a b|$HOME;`x`|*|');
  });

  it('reports the signal that ended the process', async () => {
    const r = await runner.run(spec({ shell: 'kill -USR1 $$' }));
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, 'SIGUSR1');
    assert.equal(r.timedOut, false);
  });

  it('gives exactly the env and cwd of the spec, nothing inherited', async () => {
    process.env['HAVEN_TEST_LEAK'] = 'leaked';
    try {
      const r = await runner.run(
        spec(
          { shell: 'echo "$FOO"; pwd; echo "${HAVEN_TEST_LEAK-unset}"' },
          {
            env: { ...env, FOO: 'bar baz' },
          },
        ),
      );
      assert.equal(r.stdout, `bar baz\n${dir}\nunset\n`);
    } finally {
      delete process.env['HAVEN_TEST_LEAK'];
    }
  });

  it('on timeout, SIGTERMs the group, then SIGKILLs what ignores it, grandchildren included', async () => {
    // The shell and its background sleep both ignore SIGTERM (an ignored disposition is inherited).
    const r = await runner.run(
      spec(
        { shell: 'trap "" TERM; sleep 30 & echo $!; wait' },
        { timeoutMs: 300, killGraceMs: 300 },
      ),
    );
    const grandchild = Number(r.stdout.trim());
    assert.ok(grandchild > 0, `no grandchild pid in ${JSON.stringify(r.stdout)}`);
    strays.add(grandchild);
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(r.exitCode, null);
    assert.ok(r.durationMs >= 550 && r.durationMs < 5000, `took ${r.durationMs} ms`);
    assert.ok(await waitGone(grandchild, 2000), `grandchild ${grandchild} survived`);
    assert.ok(isGone(r.pid));
  });

  it('on timeout, finishes early when the group obeys SIGTERM', async () => {
    const script =
      "process.on('SIGTERM', () => { console.log('got TERM'); process.exit(7); });" +
      "console.log('ready'); setInterval(() => {}, 1000);";
    const r = await runner.run(spec([node, '-e', script], { timeoutMs: 500, killGraceMs: 20_000 }));
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, 7);
    assert.equal(r.stdout, 'ready\ngot TERM\n');
    assert.ok(r.durationMs < 5000, `waited for the grace period: ${r.durationMs} ms`);
  });

  it('does not wait for, nor kill, a daemon that keeps the output pipe open', async () => {
    const started = Date.now();
    const r = await runner.run(spec({ shell: 'sleep 30 & echo $!' }));
    const daemon = Number(r.stdout.trim());
    strays.add(daemon);
    assert.equal(r.exitCode, 0);
    assert.ok(Date.now() - started < 3000, 'waited for the daemon');
    assert.equal(isGone(daemon), false);
    process.kill(daemon, 'SIGKILL');
    assert.ok(await waitGone(daemon, 2000));
  });

  it('truncates output beyond maxOutputBytes, and says so', async () => {
    const script =
      "process.stdout.write('x'.repeat(200000)); process.stderr.write('e'.repeat(1000));";
    const r = await runner.run(spec([node, '-e', script], { maxOutputBytes: 1000 }));
    assert.equal(r.exitCode, 0, 'the child must not block on a full pipe');
    assert.equal(r.stdout, 'x'.repeat(1000));
    assert.equal(r.stdoutTruncated, true);
    assert.equal(r.stderr, 'e'.repeat(1000));
    assert.equal(r.stderrTruncated, false);
  });

  it('kills the group when the signal aborts, and refuses to start when already aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 100);
    const r = await runner.run(spec(['sleep', '30'], { signal: controller.signal }));
    assert.equal(r.aborted, true);
    assert.equal(r.timedOut, false);
    assert.equal(r.signal, 'SIGTERM');
    assert.ok(r.durationMs < 5000);
    await assert.rejects(
      runner.run(spec(['sleep', '30'], { signal: controller.signal })),
      ProcessAbortedError,
    );
  });

  it('rejects with ProcessSpawnError when the process cannot start', async () => {
    await assert.rejects(runner.run(spec(['/nonexistent/haven-test'])), (e: unknown) => {
      assert.ok(e instanceof ProcessSpawnError);
      assert.equal(e.details.errno, 'ENOENT');
      assert.equal(e.details.command, '/nonexistent/haven-test');
      return true;
    });
    await assert.rejects(
      runner.run(spec(['true'], { cwd: join(dir, 'missing') })),
      ProcessSpawnError,
    );
    await assert.rejects(runner.run(spec(['true'], { env: { BAD: 'nul\0' } })), ProcessSpawnError);
  });

  it('rejects invalid specs', async () => {
    await assert.rejects(
      runner.run(spec(['true'], { timeoutMs: Number.NaN })),
      InvalidArgumentError,
    );
    await assert.rejects(runner.run(spec(['true'], { killGraceMs: -1 })), InvalidArgumentError);
    await assert.rejects(runner.run(spec(['true'], { maxOutputBytes: 1.5 })), InvalidArgumentError);
    await assert.rejects(runner.run(spec({ shell: '' })), InvalidArgumentError);
  });
});
