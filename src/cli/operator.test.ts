import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ControlError } from '../agent/control/server.js';
import { fixtureServer, haven } from './control-fixture.test-helper.js';
import { startCommand } from './operator.js';

describe('operator requests', () => {
  let server: Awaited<ReturnType<typeof fixtureServer>>;
  let seen: { method: string; params: Record<string, unknown> }[] = [];
  const accept =
    (method: string, message: string) =>
    (params: Record<string, unknown>): Promise<unknown> => {
      seen.push({ method, params });
      return Promise.resolve({ accepted: true, message });
    };
  before(async () => {
    server = await fixtureServer({
      'agent.ping': (params) => {
        seen.push({ method: 'agent.ping', params });
        return Promise.resolve({ node: 'node1', pid: 1 });
      },
      'cluster.stop': accept('cluster.stop', 'node_down node1 queued (graceful)'),
      'cluster.resume': accept('cluster.resume', 'events resumed on node1; see haven events'),
      'rg.move': (params) => {
        seen.push({ method: 'rg.move', params });
        if (params['node'] === 'node9') {
          return Promise.reject(
            new ControlError('invalid', 'node9 is not in the node list of db (node1, node2)'),
          );
        }
        if (params['group'] !== 'db') {
          return Promise.reject(
            new ControlError('not-found', `no resource group ${String(params['group'])}`),
          );
        }
        return Promise.resolve({ accepted: true, message: 'rg_move db to node2 queued' });
      },
      'rg.online': accept('rg.online', 'rg_online db queued'),
      'rg.offline': () =>
        Promise.reject(
          new ControlError(
            'unavailable',
            'cluster services are not running on node1 (stopped graceful)',
          ),
        ),
    });
  });
  beforeEach(() => {
    seen = [];
  });
  after(async () => {
    await server.close();
  });

  it('start, stop and resume send their requests and print the agent\u2019s message', async () => {
    const start = await haven('start', '-s', server.socket);
    assert.equal(start.code, 0, start.err);
    assert.match(start.out, /cluster services are already running on /);
    const stop = await haven('stop', '-s', server.socket);
    assert.equal(stop.code, 0, stop.err);
    const forced = await haven('stop', '--mode', 'forced', '--all', '-s', server.socket);
    assert.equal(forced.code, 0, forced.err);
    const resume = await haven('resume', '-s', server.socket);
    // The agent's message already says where to look: not said twice.
    assert.equal(resume.out, 'events resumed on node1; see haven events\n');
    assert.deepEqual(seen, [
      { method: 'agent.ping', params: {} },
      { method: 'cluster.stop', params: { mode: 'graceful', all: false } },
      { method: 'cluster.stop', params: { mode: 'forced', all: true } },
      { method: 'cluster.resume', params: {} },
    ]);
  });

  it('start without a running agent and without systemd says how to start the agent', async () => {
    const lines: string[] = [];
    const code = await startCommand(
      { socket: '/nonexistent/haven.sock', unit: 'haven.service' },
      { out: (t) => lines.push(t), err: (t) => lines.push(t) },
      () => false,
    );
    assert.equal(code, 1);
    assert.match(lines.join('\n'), /haven agent --config/);
  });

  it('a stop mode that does not exist is a usage error, and --help explains each mode', async () => {
    const r = await haven('stop', '--mode', 'gentle', '-s', server.socket);
    assert.equal(r.code, 64);
    assert.match(r.err, /Allowed choices are graceful, takeover, forced/);
    assert.deepEqual(seen, []);
    const help = await haven('stop', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /graceful +release the node\u2019s groups; no other node acquires them/);
    assert.match(
      help.out,
      /takeover +release the node\u2019s groups; the other nodes take them over/,
    );
    assert.match(help.out, /forced +stop cluster services; leave its groups running, unmanaged$/m);
  });

  it('rg move, online and offline send the group and node', async () => {
    const move = await haven('rg', 'move', 'db', 'node2', '-s', server.socket);
    assert.equal(move.code, 0, move.err);
    assert.match(move.out, /^rg_move db to node2 queued$/m);
    await haven('rg', 'online', 'db', '-s', server.socket);
    await haven('rg', '-s', server.socket, 'online', 'db', 'node1');
    assert.deepEqual(seen, [
      { method: 'rg.move', params: { group: 'db', node: 'node2' } },
      { method: 'rg.online', params: { group: 'db' } },
      { method: 'rg.online', params: { group: 'db', node: 'node1' } },
    ]);
  });

  it('a refusal exits 1 with the agent\u2019s reason and where to look', async () => {
    const bad = await haven('rg', 'move', 'db', 'node9', '-s', server.socket);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '');
    assert.equal(
      bad.err,
      'haven: rg move db node9: refused: node9 is not in the node list of db (node1, node2)\n(haven rg db shows the nodes of its list)\n',
    );
    const missing = await haven('rg', 'move', 'dbb', 'node2', '-s', server.socket);
    assert.equal(missing.code, 1);
    assert.match(
      missing.err,
      /^haven: rg move dbb node2: refused: no resource group dbb\n\(haven rg lists/,
    );
    const off = await haven('rg', 'offline', 'db', '-s', server.socket);
    assert.equal(off.code, 1);
    assert.match(
      off.err,
      /refused: cluster services are not running on node1 \(stopped graceful\)\n\(haven status shows/,
    );
  });

  it('a request the agent does not know says the agent is older than the command', async () => {
    const old = await fixtureServer({});
    try {
      const r = await haven('resume', '-s', old.socket);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /^haven: resume: refused: the agent on this node does not know cluster\.resume: it is older than this haven command/,
      );
    } finally {
      await old.close();
    }
  });

  it('missing arguments are usage errors (64)', async () => {
    assert.equal((await haven('rg', 'move', 'db', '-s', server.socket)).code, 64);
    assert.equal((await haven('rg', 'offline', '-s', server.socket)).code, 64);
    assert.deepEqual(seen, []);
  });
});
