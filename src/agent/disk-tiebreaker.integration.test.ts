// The disk tie-breaker end to end: two real agents on loopback sharing a file as the disk
// heartbeat's disk, with the tie-breaker's lease in the same file (quorum.tieBreaker: {type:
// disk, network: disk1}). With both nodes up the view holds every vote; when the node holding
// the group is killed, the survivor holds exactly half and keeps the cluster only by claiming
// the lease on the disk: it takes the group over. A node that has just started has seen the
// disk for less than a lease and the hand-over (12 s), so it cannot claim a lease someone wrote
// before, however quiet that node is now. Waits are bounded liveness limits; the one lower
// bound (the 12 s) is a safety rule: a slower machine only makes it larger.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../testing/local-cluster.js';
import { destroyLeavingNoApp, servedBy, until as waitUntil } from '../testing/probes.js';
import type { ClusterStatusReply, GroupView, RgInfoReply } from './control/api.js';

const APP = fileURLToPath(new URL('../../examples/demo/http-app.mjs', import.meta.url));
const WITHIN = 40_000;
/** TIEBREAKER_LEASE_MS and the disk lease's hand-over margin. */
const STILL_MS = 12_000;

describe('disk tie-breaker with real agents', { timeout: 240_000 }, () => {
  let c: LocalCluster;
  const appPort = 30000 + ((process.pid + 11) % 20000);
  const pidfile = (): string => join(c.dir, 'app.pid');

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
  const granted = (node: string, since: number) =>
    c.lines.find(
      (l) => l.node === node && l.readAtMs >= since && l.msg.startsWith('tie-breaker granted'),
    );

  before(async () => {
    c = await LocalCluster.create({
      nodes: 2,
      extraYaml: [
        'quorum:',
        '  tieBreaker: { type: disk, network: disk1 }',
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
    await c.startAll();
    await c.waitStable();
  });
  after(async () => {
    await destroyLeavingNoApp(pidfile(), () => c.destroy());
  });

  it('two nodes: a majority view, the group on its home node', async () => {
    await until('the application served by n1', async () =>
      (await served()) === 'n1' ? true : null,
    );
    const s = await status('n2');
    assert.deepEqual(s.cm.view?.members, ['n1', 'n2']);
    assert.equal(s.cm.quorum, 'majority');
  });

  it('the survivor of a SIGKILL claims the lease on the disk and takes the group', async () => {
    await c.kill('n1', 'SIGKILL');
    await until('n2 served by the survivor', async () => ((await served()) === 'n2' ? true : null));
    const s = await status('n2');
    assert.deepEqual(s.cm.view?.members, ['n2']);
    assert.equal(s.cm.quorum, 'tie');
    assert.equal(s.cm.hasQuorum, true, 'the survivor holds the lease');
    const g = await until('rg_web online on n2', async () => {
      const x = await rg('n2');
      return x.states['n2'] === 'online' ? x : null;
    });
    assert.deepEqual(g.placedOn, ['n2']);
    // n2 holds the lease: taken now, or already while it was alone at start-up (the first
    // agent up is alone in a tie view for a moment, and may take the lease then; it is still
    // its own when n1 dies, so it only renews it).
    assert.ok(
      c.lines.some((l) => l.node === 'n2' && l.msg === 'this node took the disk tie-breaker lease'),
      'n2 took the lease on the disk',
    );
  });

  it('a node started since cannot claim the lease the dead node wrote until the disk was still for 12 s', async () => {
    // n1 comes back: a two-node majority again, and n2 stops renewing its lease.
    const started = Date.now();
    await c.start('n1');
    await c.waitStable();
    assert.equal((await status('n1')).cm.quorum, 'majority');
    // Now n2, the lease's last holder, dies. Its record stays on the disk, and n1 has watched
    // it for less than 12 s: whatever n1 sees, it must not claim before then.
    await c.kill('n2', 'SIGKILL');
    const grant = await until('n1 to get the lease', () =>
      Promise.resolve(granted('n1', started) ?? null),
    );
    assert.ok(
      grant.readAtMs - started >= STILL_MS,
      `n1 got the lease ${String(grant.readAtMs - started)} ms after it was started: less than 12 s`,
    );
    await until('n1 serving again', async () => ((await served()) === 'n1' ? true : null));
    assert.ok(
      c.lines.some(
        (l) => l.node === 'n1' && l.readAtMs >= started && l.msg.startsWith('tie-breaker denied'),
      ),
      'n1 was denied before the lease was free',
    );
  });
});
