import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { haven } from './control-fixture.test-helper.js';
import { logsCommand } from './logs.js';
import type { Output } from './output.js';

const lines = (prefix: string, n: number): string =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join('');

describe('haven logs', { timeout: 30_000 }, () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haven-cli-logs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the last N lines of cluster.log (the default) and events.log', async () => {
    await writeFile(join(dir, 'cluster.log'), lines('cluster', 30));
    await writeFile(join(dir, 'events.log'), lines('trace', 5));
    const r = await haven('logs', '--log-dir', dir);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, lines('cluster', 30).split('\n').slice(20).join('\n'));
    const three = await haven('logs', 'events', '-n', '3', '--log-dir', dir);
    assert.equal(three.out, 'trace 3\ntrace 4\ntrace 5\n');
  });

  it('history shows the latest day\u2019s file', async () => {
    await mkdir(join(dir, 'history'));
    await writeFile(join(dir, 'history', 'cluster.20250313'), lines('thirteenth', 2));
    await writeFile(join(dir, 'history', 'cluster.20250314'), lines('fourteenth', 2));
    await writeFile(join(dir, 'history', 'notes.txt'), 'not a history file\n');
    const r = await haven('logs', 'history', '--log-dir', dir);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'fourteenth 1\nfourteenth 2\n');
  });

  it('says where the agent writes logs when the file or directory is missing', async () => {
    const noFile = await haven('logs', 'events', '--log-dir', dir);
    assert.equal(noFile.code, 1);
    assert.match(
      noFile.err,
      new RegExp(
        `^haven: no event trace at ${join(dir, 'events.log')}: the agent writes its logs in /var/log/haven .*give --log-dir DIR`,
      ),
    );
    const noDir = await haven('logs', '--log-dir', join(dir, 'nowhere'));
    assert.equal(noDir.code, 1);
    assert.match(noDir.err, /^haven: no log directory .*nowhere: .*--log-dir DIR/);
    const noHistory = await haven('logs', 'history', '--log-dir', dir);
    assert.equal(noHistory.code, 1);
    assert.match(
      noHistory.err,
      /^haven: no event history in .*history \(files cluster\.YYYYMMDD\)/,
    );
  });

  it('a log that is not one of the three is a usage error', async () => {
    const r = await haven('logs', 'kernel', '--log-dir', dir);
    assert.equal(r.code, 64);
    assert.match(r.err, /Allowed choices are cluster, events, history/);
  });

  it('-f prints the last lines, then an appended line, and ends with 0 on abort', async () => {
    const path = join(dir, 'cluster.log');
    await writeFile(path, lines('old', 5));
    const got: string[] = [];
    const io: Output = { out: (t) => got.push(t), err: (t) => got.push(`ERR ${t}`) };
    const ac = new AbortController();
    const done = logsCommand(
      'cluster',
      { follow: true, lines: 2, logDir: dir, signal: ac.signal, pollMs: 20 },
      io,
    );
    const until = async (n: number): Promise<void> => {
      for (let i = 0; i < 500 && got.length < n; i++) await sleep(10);
      assert.ok(got.length >= n, `expected ${n} lines, saw ${JSON.stringify(got)}`);
    };
    await until(2);
    await appendFile(path, 'new line\n');
    await until(3);
    ac.abort();
    assert.equal(await done, 0);
    assert.deepEqual(got, ['old 4', 'old 5', 'new line']);
  });

  it('Ctrl-C ends `haven logs -f` with exit status 0', async () => {
    await writeFile(join(dir, 'cluster.log'), 'first\n');
    const bin = fileURLToPath(new URL('../../bin/haven.js', import.meta.url));
    const child = spawn(process.execPath, [bin, 'logs', '-f', '--log-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );
    try {
      for (let i = 0; i < 1000 && !out.includes('first'); i++) await sleep(10);
      assert.equal(out, 'first\n');
      await appendFile(join(dir, 'cluster.log'), 'second\n');
      for (let i = 0; i < 1000 && !out.includes('second'); i++) await sleep(10);
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      assert.equal(out, 'first\nsecond\n');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
