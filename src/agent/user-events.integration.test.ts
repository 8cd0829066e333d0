// User-defined events end to end, with three real agents on loopback: an event watching a
// program on node n2 (process.count, from the real /proc), its recovery program in a .rp file.
// When the program starts, n2 fires the event and every node runs the program with the event's
// environment; when it stops the event re-arms, and the next start fires it again. Waits are
// bounded liveness limits.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalCluster } from '../testing/local-cluster.js';

const WITHIN = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('user-defined events with real agents', { timeout: 120_000 }, () => {
  let c: LocalCluster;
  const probe = `havenprobe${String(process.pid)}`;
  let running: ChildProcess | undefined;

  const ran = async (node: string): Promise<string[]> =>
    (await readFile(join(c.dir, `ran-${node}`), 'utf8').catch(() => ''))
      .split('\n')
      .filter((l) => l !== '');
  const until = async (what: string, f: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + WITHIN;
    while (!(await f())) {
      if (Date.now() > deadline) throw new Error(`not within ${WITHIN} ms: ${what}`);
      await sleep(200);
    }
  };
  /** Starts a process whose argv[0] is the probe's name; resolves once it runs. */
  const startProbe = async (): Promise<void> => {
    const p = spawn('/bin/bash', ['-c', `exec -a ${probe} sleep 120`], { stdio: 'ignore' });
    running = p;
    await new Promise((r) => p.once('spawn', r));
  };
  const stopProbe = async (): Promise<void> => {
    const p = running;
    running = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await gone;
  };

  before(async () => {
    c = await LocalCluster.create({
      nodes: 3,
      extraYaml: [
        'userEvents:',
        '  - name: probe_started',
        '    resourceVariable: process.count',
        `    instance: { name: ${probe}, node: n2 }`,
        '    predicate: X@0 > 0',
        '    rearm: X@0 == 0',
        '    interval: 1s',
        '    programFile: RPFILE',
      ].join('\n'),
    });
    const rp = join(c.dir, 'probe.rp');
    const record = join(c.dir, 'record.sh');
    await writeFile(
      record,
      `echo "$EVENT_NAME $EVENT_NODE $EVENT_DETAIL_VALUE" >> ${c.dir}/ran-$LOCAL_NODE\n`,
    );
    await writeFile(
      rp,
      [
        '# Every node records the event: where it happened and the count it saw.',
        `all "/bin/sh ${record}" 0 NULL`,
        '',
      ].join('\n'),
    );
    const text = await readFile(c.configPath, 'utf8');
    await writeFile(c.configPath, text.replace('RPFILE', rp));
    await c.startAll();
    await c.waitStable();
  });
  after(async () => {
    await stopProbe();
    await c.destroy();
  });

  it('fires on the watched node when the program starts, and every node runs the event', async () => {
    assert.deepEqual(await ran('n1'), [], 'nothing fired before the program ran');
    await startProbe();
    await until('every node ran probe_started', async () => {
      const lines = await Promise.all(['n1', 'n2', 'n3'].map(ran));
      return lines.every((l) => l.length === 1);
    });
    for (const node of ['n1', 'n2', 'n3']) {
      const [line] = await ran(node);
      assert.match(line ?? '', /^probe_started n2 \[1,\d+,\[\d+\]\]$/, `${node}: ${line ?? ''}`);
    }
  });

  it('re-arms when the program is gone, and fires again when it comes back', async () => {
    const since = Date.now();
    await stopProbe();
    // The rearm needs a sample with no probe (the interval is 1 s).
    await c.waitFor(
      (l) =>
        l.node === 'n2' && l.readAtMs >= since && l.msg === 'user event probe_started re-armed',
      WITHIN,
      'probe_started to re-arm on n2',
    );
    assert.equal((await ran('n1')).length, 1, 'stopping the program fires nothing');
    await startProbe();
    await until('probe_started ran a second time everywhere', async () => {
      const lines = await Promise.all(['n1', 'n2', 'n3'].map(ran));
      return lines.every((l) => l.length === 2);
    });
  });
});
