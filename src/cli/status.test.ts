import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterStatusReply } from '../agent/control/api.js';
import { fixtureServer, GROUPS, haven, STATUS } from './control-fixture.test-helper.js';
import { groupSummary, renderClusterStatus } from './status.js';
import { WIDTH } from './view.js';

const line = (lines: readonly string[], re: RegExp): string => {
  const found = lines.find((l) => re.test(l));
  assert.ok(found !== undefined, `no line matches ${String(re)} in:\n${lines.join('\n')}`);
  return found;
};

describe('haven status', () => {
  let server: Awaited<ReturnType<typeof fixtureServer>>;
  before(async () => {
    server = await fixtureServer({ 'cluster.status': () => Promise.resolve(STATUS) });
  });
  after(async () => {
    await server.close();
  });

  it('renders the cluster manager, the view, quorum, nodes, groups and errors in 80 columns', () => {
    const lines = renderClusterStatus(STATUS);
    for (const l of lines) assert.ok(l.length <= WIDTH, `longer than ${WIDTH}: ${l}`);
    assert.match(line(lines, /^Cluster:/), /prod, as seen from node1/);
    assert.match(line(lines, /^Cluster manager:/), /stable$/);
    assert.match(line(lines, /^View:/), /4\.2: node1, node2$/);
    assert.match(line(lines, /^Quorum:/), /majority \(2 of 3 nodes\)/);
    assert.match(line(lines, /^node2 /), /up +net_ether_01 up \(eth1 down\), net_disk_01 up$/);
    assert.match(line(lines, /^node3 /), /stopped \(graceful\) +net_ether_01 down/);
    assert.match(line(lines, /^web /), /online on node1$/);
    assert.match(line(lines, /^db /), /online on node2 +override: node2$/);
    assert.match(line(lines, /^nfs /), /ERROR on node2$/);
    assert.match(line(lines, /^batch /), /offline \(unknown on node3\) +override: offline$/);
    assert.match(line(lines, /^ +node2: +node_up \(nfs\): start of nfs_fs failed/), /special/);
    assert.match(lines.join(' '), /then run `haven resume` on node2\./);
  });

  it('summarises a group by state, errors first in capitals, concurrent nodes together', () => {
    const [web] = GROUPS;
    assert.ok(web);
    assert.equal(
      groupSummary({ ...web, states: { node1: 'online', node2: 'online', node3: 'offline' } }),
      'online on node1, node2',
    );
    assert.equal(
      groupSummary({ ...web, states: { node1: 'releasing', node2: 'acquiring' } }),
      'acquiring on node2; releasing on node1',
    );
    assert.equal(
      groupSummary({ ...web, states: { node1: 'temporary error', node2: 'offline' } }),
      'TEMPORARY ERROR on node1',
    );
    assert.equal(
      groupSummary({ ...web, states: { node1: 'offline', node2: 'offline', node3: 'offline' } }),
      'offline',
    );
  });

  it('notes where the plan puts a group when that is not where it is', () => {
    const lines = renderClusterStatus({
      ...STATUS,
      groups: [{ ...STATUS.groups[0]!, placedOn: ['node2'] }],
      errors: [],
    });
    assert.match(line(lines, /^web /), /online on node1 +planned: node2$/);
    assert.ok(!lines.some((l) => /Events in error/.test(l)));
  });

  it('says when there is no view yet, and when cluster services are stopped here', () => {
    const s: ClusterStatusReply = {
      ...STATUS,
      cm: { state: 'stopped', view: null, quorum: null, hasQuorum: false, stopping: false },
      groups: [],
      errors: [],
    };
    const lines = renderClusterStatus(s);
    assert.match(line(lines, /^Cluster manager:/), /stopped: .*\(haven start\)/);
    assert.match(line(lines, /^View:/), /none yet/);
    assert.match(line(lines, /^Quorum:/), /unknown \(no view yet\)/);
    assert.ok(lines.includes('No resource groups are configured.'));
  });

  it('says whether a half of the cluster holds the tie-breaker', () => {
    const tie = (hasQuorum: boolean): string =>
      line(
        renderClusterStatus({
          ...STATUS,
          cm: {
            ...STATUS.cm,
            view: { epoch: '5.2', members: ['node2'] },
            quorum: 'tie',
            hasQuorum,
          },
        }),
        /^Quorum:/,
      );
    assert.match(tie(true), /tie \(1 of 3 nodes\): half, with the tie-breaker's grant$/);
    assert.match(tie(false), /tie \(1 of 3 nodes\): half, NO QUORUM without the tie-breaker$/);
  });

  it('asks the agent over its socket and prints the rendering', async () => {
    const r = await haven('status', '-s', server.socket);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Cluster manager: +stable$/m);
    assert.match(r.out, /^db +online on node2/m);
  });

  it('--json prints the reply as is', async () => {
    const r = await haven('status', '--json', '--socket', server.socket);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), STATUS);
  });

  it('says the agent is not running when its socket is missing, and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'haven-cli-nosock-'));
    try {
      const r = await haven('status', '-s', join(dir, 'haven.sock'));
      assert.equal(r.code, 1);
      assert.equal(r.out, '');
      assert.match(r.err, /^haven: no agent socket at .*haven\.sock: is the Haven agent running/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
