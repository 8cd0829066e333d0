// The quorum server end to end: two real agents on loopback and a real `haven tiebreaker`
// process on 127.0.0.1. With both nodes up the view holds every vote; when the node holding
// the group is killed, the survivor holds exactly half and keeps the cluster only with the
// server's grant: it takes the group over. When the server goes away, its grant runs out and
// the survivor lets go. Waits are bounded liveness limits, not performance assertions.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../testing/local-cluster.js';
import { destroyLeavingNoApp, servedBy, until as waitUntil } from '../testing/probes.js';
import type { ClusterStatusReply, GroupView, RgInfoReply } from './control/api.js';

const HAVEN = fileURLToPath(new URL('../../bin/haven.js', import.meta.url));
const APP = fileURLToPath(new URL('../../examples/demo/http-app.mjs', import.meta.url));
const WITHIN = 40_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('quorum server with real agents', { timeout: 240_000 }, () => {
  let c: LocalCluster;
  const appPort = 30000 + ((process.pid + 7) % 20000);
  const tbPort = 10000 + (process.pid % 10000);
  const pidfile = (): string => join(c.dir, 'app.pid');
  let server: ChildProcess | undefined;
  let serverExit: Promise<number | null> | undefined;
  const serverLines: { msg: string; [k: string]: unknown }[] = [];

  const served = (): Promise<string | null> => servedBy(appPort);
  const until = <T>(what: string, f: () => Promise<T | null>): Promise<T> =>
    waitUntil(what, f, WITHIN, 250);
  const rg = async (node: string): Promise<GroupView> => {
    const g = ((await c.call(node, 'rg.info')) as RgInfoReply).groups.find(
      (x) => x.group === 'rg_web',
    );
    assert.ok(g, `${node} shows no rg_web`);
    return g;
  };
  const status = async (node: string): Promise<ClusterStatusReply> =>
    (await c.call(node, 'cluster.status')) as ClusterStatusReply;

  const startServer = async (): Promise<void> => {
    const child = spawn(
      process.execPath,
      [HAVEN, 'tiebreaker', '--config', c.configPath, '--key', join(c.dir, 'cluster.key')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = child;
    serverExit = new Promise((resolve) => child.once('exit', resolve));
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('the quorum server did not start within 10 s'));
      }, 10_000);
      for (const stream of [child.stdout, child.stderr])
        createInterface({ input: stream }).on('line', (text) => {
          let l: { msg: string };
          try {
            l = JSON.parse(text) as { msg: string };
          } catch {
            l = { msg: text };
          }
          serverLines.push(l);
          if (l.msg === 'quorum server started') {
            clearTimeout(timer);
            resolve();
          }
        });
    });
    await started;
  };
  const stopServer = async (): Promise<number | null> => {
    const child = server;
    server = undefined;
    if (!child) return null;
    child.kill('SIGTERM');
    return (await serverExit) ?? null;
  };

  before(async () => {
    c = await LocalCluster.create({
      nodes: 2,
      extraYaml: [
        'quorum:',
        `  tieBreaker: { type: server, address: 127.0.0.1, port: ${tbPort} }`,
        'resources:',
        '  applications:',
        '    - name: app_web',
        `      start: ${process.execPath} ${APP} --host 127.0.0.1 --port ${appPort} --pidfile PIDFILE`,
        "      stop: 'kill $(cat PIDFILE)'",
        '      background: true',
        'resourceGroups:',
        '  - name: rg_web',
        '    nodes: [n1, n2]',
        '    resources: [app_web]',
      ].join('\n'),
    });
    const text = await readFile(c.configPath, 'utf8');
    await writeFile(c.configPath, text.replaceAll('PIDFILE', pidfile()));
    // The server first: it grants nobody for a lease (10 s) after its start, which the
    // cluster's start-up mostly covers.
    await startServer();
    await c.startAll();
    await c.waitStable();
  });
  after(async () => {
    await stopServer();
    await destroyLeavingNoApp(pidfile(), () => c.destroy());
  });

  it('two nodes: a majority view, the group on its home node, nothing asked of the server', async () => {
    await until('the application served by n1', async () =>
      (await served()) === 'n1' ? true : null,
    );
    const s = await status('n2');
    assert.deepEqual(s.cm.view?.members, ['n1', 'n2']);
    assert.equal(s.cm.quorum, 'majority');
    assert.ok(!serverLines.some((l) => l.msg.startsWith('granted')));
  });

  it('the survivor of a SIGKILL holds half of the votes, gets the grant, and takes the group', async () => {
    await c.kill('n1', 'SIGKILL');
    await until('n2 served by the survivor', async () => ((await served()) === 'n2' ? true : null));
    const s = await status('n2');
    assert.deepEqual(s.cm.view?.members, ['n2']);
    assert.equal(s.cm.quorum, 'tie');
    assert.equal(s.cm.hasQuorum, true, 'the survivor holds the grant');
    const g = await until('rg_web online on n2', async () => {
      const x = await rg('n2');
      return x.states['n2'] === 'online' ? x : null;
    });
    assert.deepEqual(g.placedOn, ['n2']);
    assert.ok(c.lines.some((l) => l.node === 'n2' && l.msg.startsWith('tie-breaker granted')));
    assert.ok(
      serverLines.some((l) => l.msg === 'granted: lease taken' && l['node'] === 2),
      'the server logged its grant to node 2',
    );
  });

  it('without the server, the survivor’s grant runs out: it has no quorum and lets the group go', async () => {
    assert.equal(await stopServer(), 0);
    const since = Date.now();
    await c.waitFor(
      (l) =>
        l.node === 'n2' &&
        l.readAtMs >= since &&
        l.msg.startsWith('the quorum server did not answer'),
      WITHIN,
      'n2 to find the quorum server silent',
    );
    await until('the application stopped', async () => ((await served()) === null ? true : null));
    // The placement stays the cluster's record; this node no longer holds the group.
    await until('rg_web offline on n2', async () =>
      (await rg('n2')).states['n2'] === 'offline' ? true : null,
    );
    assert.ok(
      c.lines.some(
        (l) => l.node === 'n2' && l.readAtMs >= since && l.msg.startsWith('holding lease ran out'),
      ),
      'n2 let go because its grant ran out',
    );
    assert.ok(
      c.lines.some(
        (l) =>
          l.node === 'n2' &&
          l.readAtMs >= since &&
          l.msg === 'groups halted at once: this node lost quorum or its lease',
      ),
      'n2 halted the group at once, before its release',
    );
    // And it stays so: several more questions (every 2.5 s) go unanswered.
    await sleep(6000);
    assert.equal((await status('n2')).cm.hasQuorum, false);
    assert.equal(await served(), null);
    assert.equal((await rg('n2')).states['n2'], 'offline');
    assert.ok(
      c.lines.some(
        (l) => l.node === 'n2' && l.readAtMs >= since && l.msg.startsWith('tie-breaker denied'),
      ),
    );
  });
});
