// The quorum server for real: a UDP socket on 127.0.0.1, asked by a real socket.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemClock } from './clock.js';
import { HmacSha256Authenticator } from './hmac.js';
import { TiebreakerServer } from './tiebreaker-server.js';
import { UdpTransport } from './udp.js';
import {
  decodeTiebreakReply,
  encodeTiebreakRequest,
  type TiebreakReply,
} from '../core/tiebreaker/wire.js';
import type { MessageAuthenticator } from '../core/ports/mac.js';

const CLUSTER = 4242;
// Long enough for the steps between a grant and the check that it still holds, on a busy machine.
const LEASE_MS = 4000;
const HANDOVER_MS = 500;
const mac = new HmacSha256Authenticator(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
const otherMac = new HmacSha256Authenticator(Uint8Array.from({ length: 32 }, (_, i) => i + 50));
const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];

function start(port = 0): Promise<TiebreakerServer> {
  return TiebreakerServer.start({
    clusterId: CLUSTER,
    nodes: new Set([1, 2]),
    leaseMs: LEASE_MS,
    handoverMs: HANDOVER_MS,
    address: '127.0.0.1',
    port,
    mac,
    clock: new SystemClock(),
    transport: new UdpTransport(),
    log: (level, msg, fields) => lines.push({ level, msg, fields }),
  });
}

const client = dgram.createSocket('udp4');
await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
after(() => {
  client.close();
});
let serial = 0;

/** Sends one request; the reply to it, or undefined after `waitMs` (a bounded wait). */
async function ask(
  port: number,
  node: number,
  o: { leaseMs?: number; m?: MessageAuthenticator; clusterId?: number; waitMs?: number } = {},
): Promise<TiebreakReply | undefined> {
  const requestId = `test:${String(node)}:${String(++serial)}`;
  const bytes = encodeTiebreakRequest(
    {
      clusterId: o.clusterId ?? CLUSTER,
      node,
      incarnation: 7n,
      requestId,
      leaseMs: o.leaseMs ?? LEASE_MS,
    },
    o.m ?? mac,
  );
  return new Promise((resolve) => {
    const onMessage = (msg: Buffer): void => {
      const d = decodeTiebreakReply(new Uint8Array(msg), CLUSTER, mac);
      if (d.ok && d.message.requestId === requestId) done(d.message);
    };
    const timer = setTimeout(() => {
      done(undefined);
    }, o.waitMs ?? 2000);
    const done = (r: TiebreakReply | undefined): void => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(r);
    };
    client.on('message', onMessage);
    client.send(bytes, port, '127.0.0.1');
  });
}

describe('quorum server (UDP on 127.0.0.1)', () => {
  it('grants one node at a time, renews its holder, frees an expired lease, and is quiet after a restart', async () => {
    let server = await start();
    const port = server.port;
    try {
      // Just started: it grants nobody for a lease.
      const quiet = await ask(port, 1);
      assert.equal(quiet?.granted, false);
      assert.equal(quiet.holder, undefined);
      assert.ok(
        quiet.remainingMs > LEASE_MS - 500 && quiet.remainingMs <= LEASE_MS + HANDOVER_MS,
        String(quiet.remainingMs),
      );
      assert.equal(quiet.node, 1);
      assert.equal(quiet.incarnation, 7n);
      await sleep(quiet.remainingMs + 50);

      const grant = await ask(port, 1);
      assert.equal(grant?.granted, true);
      assert.equal(grant.holder, 1);
      assert.ok(grant.remainingMs > LEASE_MS - 50, String(grant.remainingMs));

      const other = await ask(port, 2);
      assert.equal(other?.granted, false);
      assert.equal(other.holder, 1);
      assert.ok(other.remainingMs > 0);

      const renewed = await ask(port, 1);
      assert.equal(renewed?.granted, true);
      assert.equal(renewed.holder, 1);

      // Refused without an answer: another key, another cluster. Refused with a denial: a
      // node outside the definition, a lease longer than the server's.
      assert.equal(await ask(port, 2, { m: otherMac, waitMs: 300 }), undefined);
      assert.equal(await ask(port, 2, { clusterId: CLUSTER + 1, waitMs: 300 }), undefined);
      assert.equal((await ask(port, 9))?.granted, false);
      assert.equal((await ask(port, 1, { leaseMs: LEASE_MS + 1 }))?.granted, false);
      // Garbage of every size up to a few hundred bytes: dropped, and the server still answers.
      for (let n = 0; n < 300; n += 7) client.send(new Uint8Array(n).fill(n), port, '127.0.0.1');
      assert.equal((await ask(port, 2))?.granted, false);
      // Loopback keeps the order: the garbage was read before that request.
      assert.ok((server.dropped.get('too-short') ?? 0) > 0, JSON.stringify([...server.dropped]));
      assert.ok((server.dropped.get('bad-magic') ?? 0) > 0, JSON.stringify([...server.dropped]));

      // The holder stops renewing: once its lease has run out, and the hand-over time after
      // it, the other node takes it.
      const held = await ask(port, 2);
      assert.equal(held?.holder, 1);
      await sleep(held.remainingMs + 50);
      const early = await ask(port, 2);
      assert.equal(early?.granted, false, 'not during the hand-over time');
      assert.ok(
        early.remainingMs > 0 && early.remainingMs <= HANDOVER_MS,
        String(early.remainingMs),
      );
      await sleep(early.remainingMs + 50);
      const taken = await ask(port, 2);
      assert.equal(taken?.granted, true);
      assert.equal(taken.holder, 2);

      // A restarted server does not know node 2 holds: it grants nobody, node 2 included.
      await server.stop();
      server = await start(port);
      const afterRestart = await ask(port, 2);
      assert.equal(afterRestart?.granted, false);
      assert.equal(afterRestart.holder, undefined);
      assert.equal((await ask(port, 1))?.granted, false);
      await sleep(afterRestart.remainingMs + 50);
      assert.equal((await ask(port, 1))?.granted, true);
    } finally {
      await server.stop();
    }
    const msgs = lines.map((l) => l.msg);
    assert.ok(msgs.includes('granted: lease taken'));
    assert.ok(msgs.includes('granted: lease renewed'));
    assert.ok(msgs.includes('denied: the lease is held by another node'));
    assert.ok(msgs.includes('lease holder changed'));
    assert.ok(msgs.some((m) => m.startsWith('dropped a datagram: bad-mac')));
    assert.ok(msgs.some((m) => m.startsWith('dropped a datagram: wrong-cluster')));
  });
});
