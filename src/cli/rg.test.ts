import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RgInfoReply } from '../agent/control/api.js';
import { fixtureServer, GROUPS, haven, RG_INFO } from './control-fixture.test-helper.js';
import { renderGroup, renderRgInfo } from './rg.js';
import { WIDTH } from './view.js';

describe('haven rg', () => {
  let server: Awaited<ReturnType<typeof fixtureServer>>;
  let calls = 0;
  // A group named like a subcommand, to show that `haven rg show move` reaches it.
  const withMove: RgInfoReply = {
    ...RG_INFO,
    groups: [...GROUPS, { ...GROUPS[2]!, group: 'move' }],
  };
  before(async () => {
    server = await fixtureServer({
      'rg.info': () => {
        calls++;
        return Promise.resolve(withMove);
      },
    });
  });
  after(async () => {
    await server.close();
  });

  it('shows per node, in priority order, the group\u2019s state, then policies, override, reason', () => {
    const db = GROUPS[1]!;
    const lines = renderGroup(db);
    assert.equal(lines[0], 'Resource group db: online on node2');
    assert.match(lines[1] ?? '', /^ {2}PRIORITY +NODE +STATE$/);
    assert.match(lines[2] ?? '', /^ {2}1 +node1 +offline$/);
    assert.match(lines[3] ?? '', /^ {2}2 +node2 +online$/);
    const text = lines.join('\n');
    assert.match(
      text,
      /policies: +startup online-on-home-node, fallover next-priority-node,\n +fallback never/,
    );
    assert.match(text, /priority override: +node2 \(haven rg online db clears it\)/);
    assert.match(text, /reason: +node2: moved there by the operator/);
    assert.match(text, /resources: +pg \(systemd:postgresql\)/);
  });

  it('says how to clear an offline override, names a legacy policy, shows errors in capitals', () => {
    const all = renderRgInfo(RG_INFO);
    for (const l of all) assert.ok(l.length <= WIDTH, `longer than ${WIDTH}: ${l}`);
    const text = all.join('\n');
    assert.match(
      text,
      /priority override: +offline, by the operator \(haven rg online batch brings it\n +back and clears it\)/,
    );
    assert.match(text, /fallback\n? *higher-priority-node \(cascading\)/);
    assert.match(text, /^ {2}1 +node2 +ERROR$/m);
    // web has no override: no override line in its block.
    const web = renderGroup(GROUPS[0]!).join('\n');
    assert.doesNotMatch(web, /override/);
  });

  it('haven rg shows every group; haven rg GROUP one', async () => {
    const all = await haven('rg', '-s', server.socket);
    assert.equal(all.code, 0, all.err);
    assert.equal(all.out.match(/^Resource group /gm)?.length, 5);
    const one = await haven('rg', 'nfs', '--socket', server.socket);
    assert.equal(one.code, 0, one.err);
    assert.equal(one.out.match(/^Resource group /gm)?.length, 1);
    assert.match(one.out, /^Resource group nfs: ERROR on node2$/m);
  });

  it('haven rg show GROUP reaches a group named like a subcommand', async () => {
    const r = await haven('rg', 'show', 'move', '-s', server.socket);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Resource group move: ERROR on node2$/m);
    const before = calls;
    // -s given before the subcommand's name counts too.
    const r2 = await haven('rg', '-s', server.socket, 'show', 'db');
    assert.equal(r2.code, 0, r2.err);
    assert.equal(calls, before + 1);
  });

  it('an unknown group exits 1 and lists the known ones', async () => {
    const r = await haven('rg', 'dbb', '-s', server.socket);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(
      r.err,
      'haven: no resource group named dbb in cluster prod; its groups are: web, db, nfs, batch, move\n',
    );
  });

  it('--json prints the reply, with one group when one is asked for', async () => {
    const all = await haven('rg', '--json', '-s', server.socket);
    assert.deepEqual(JSON.parse(all.out), withMove);
    const one = await haven('rg', 'db', '--json', '-s', server.socket);
    assert.deepEqual(JSON.parse(one.out), { ...withMove, groups: [GROUPS[1]] });
  });

  it('too many words is a usage error (64) with a hint', async () => {
    const r = await haven('rg', 'mvoe', 'db', 'node2', '-s', server.socket);
    assert.equal(r.code, 64);
    assert.match(r.err, /too many arguments for 'rg'/);
    assert.match(r.err, /run with --help/);
  });
});
