// Cluster services end to end, with real agent processes on loopback: three nodes, one resource
// group holding a small HTTP application (examples/demo/http-app.mjs) that every node would serve
// on the same address and port, so at most one can run it at a time. The group comes online on
// its home node; SIGKILL of that agent moves it (its dead man switch kills the application it
// left); the node's return brings it back; a graceful stop with takeover moves it; a forced stop
// leaves it running, unmanaged. Waits are bounded liveness limits, not performance assertions:
// `npm run bench:failover` measures how long a fallover takes.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../testing/local-cluster.js';
import { destroyLeavingNoApp, servedBy, until as waitUntil } from '../testing/probes.js';
import type { ClusterStatusReply, GroupView, RgInfoReply } from './control/api.js';

const APP = fileURLToPath(new URL('../../examples/demo/http-app.mjs', import.meta.url));
const WITHIN = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cluster services with real agents', { timeout: 180_000 }, () => {
  let c: LocalCluster;
  const port = 30000 + (process.pid % 20000);
  const pidfile = (): string => join(c.dir, 'app.pid');

  const served = (): Promise<string | null> => servedBy(port);
  const until = <T>(what: string, f: () => Promise<T | null>): Promise<T> =>
    waitUntil(what, f, WITHIN);
  const servedOn = (node: string) =>
    until(`the application served by ${node}`, async () =>
      (await served()) === node ? node : null,
    );
  const rg = async (node: string): Promise<GroupView> => {
    const g = ((await c.call(node, 'rg.info')) as RgInfoReply).groups.find(
      (x) => x.group === 'rg_web',
    );
    assert.ok(g, `${node} shows no rg_web`);
    return g;
  };

  before(async () => {
    c = await LocalCluster.create({
      nodes: 3,
      extraYaml: [
        'resources:',
        '  applications:',
        '    - name: app_web',
        `      start: ${process.execPath} ${APP} --host 127.0.0.1 --port ${port} --pidfile PIDFILE`,
        "      stop: 'kill $(cat PIDFILE)'",
        '      background: true',
        '      monitors:',
        '        - name: app_alive',
        '          type: custom',
        "          command: 'kill -0 $(cat PIDFILE)'",
        '          interval: 1s',
        '          timeout: 2s',
        '          stabilization: 1s',
        '          restartCount: 0',
        '          failureAction: fallover',
        'resourceGroups:',
        '  - name: rg_web',
        '    nodes: [n1, n2, n3]',
        '    resources: [app_web]',
      ].join('\n'),
    });
    // The pid file lives in the cluster's directory, known only now.
    const text = await readFile(c.configPath, 'utf8');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(c.configPath, text.replaceAll('PIDFILE', pidfile())),
    );
    await c.startAll();
    // Nodes discover each other one by one: a first view of two may place the group before
    // the third arrives. The scenario starts from a settled cluster.
    await c.waitStable();
  });
  after(async () => {
    // A forced stop leaves the application running on purpose: end it (we started it).
    await destroyLeavingNoApp(pidfile(), () => c.destroy());
  });

  it('brings the group online on its home node, and says why', async () => {
    await servedOn('n1');
    const g = await rg('n3');
    assert.deepEqual(g.placedOn, ['n1']);
    assert.equal(g.states['n1'], 'online');
    assert.match(g.reason, /home node/);
    const s = (await c.call('n2', 'cluster.status')) as ClusterStatusReply;
    assert.deepEqual(s.cm.view?.members, ['n1', 'n2', 'n3']);
    assert.equal(s.cm.quorum, 'majority');
  });

  it('moves the group when the agent holding it is killed, and the killed node’s application is gone', async () => {
    const t = Date.now();
    await c.kill('n1', 'SIGKILL');
    const by = await until('the application served by another node', async () => {
      const who = await served();
      return who !== null && who !== 'n1' ? who : null;
    });
    assert.equal(by, 'n2', 'next in the list');
    const g = await rg('n3');
    assert.deepEqual(g.placedOn, ['n2']);
    assert.ok(Date.now() - t < WITHIN);
  });

  it('brings the group back when the node returns (fallback to the higher priority node)', async () => {
    await c.waitStable();
    await c.start('n1');
    await servedOn('n1');
    await c.waitStable();
    const events = (await c.call('n1', 'events.list')) as { recent: { name: string }[] };
    assert.ok(events.recent.some((e) => e.name === 'node_up'));
  });

  it('moves the group when its application dies (its monitor: no restarts, fallover), and a move back clears the error', async () => {
    const pid = Number((await readFile(pidfile(), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    await servedOn('n2');
    const g = await rg('n3');
    assert.equal(g.states['n1'], 'error');
    assert.deepEqual(g.placedOn, ['n2']);
    await c.waitStable();
    // Moving it back to n1 is the operator's word that it may run there again.
    await c.call('n3', 'rg.move', { group: 'rg_web', node: 'n1' });
    await servedOn('n1');
    await c.waitStable();
    assert.equal((await rg('n2')).states['n1'], 'online');
  });

  it('a graceful stop with takeover moves the group before the node leaves', async () => {
    await c.call('n1', 'cluster.stop', { mode: 'takeover' });
    await servedOn('n2');
    assert.equal(await c.exited('n1'), 0, 'the stopped agent exits 0');
    await c.waitStable();
  });

  it('a forced stop leaves the group running, unmanaged, and nobody takes it over', async () => {
    await c.call('n2', 'cluster.stop', { mode: 'forced' });
    await until('n3 to see n2 stopped', async () => {
      const s = (await c.call('n3', 'cluster.status')) as ClusterStatusReply;
      return s.nodes.find((n) => n.name === 'n2')?.stopMode === 'forced' ? true : null;
    });
    await sleep(4000);
    assert.equal(await served(), 'n2', 'still served by the stopped node');
    const g = await rg('n3');
    assert.equal(g.states['n2'], 'unmanaged');
    assert.equal(g.states['n3'], 'offline');
  });
});
