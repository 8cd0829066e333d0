import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, TransportError } from '../core/errors.js';
import type { DatagramHandlers, DatagramSocket } from '../core/ports/transport.js';
import { UdpTransport } from './udp.js';

interface Received {
  readonly bytes: Uint8Array;
  readonly address: string;
  readonly port: number;
}

/** Handlers that record what they get, and a way to wait for the next datagram. */
function recorder(): DatagramHandlers & {
  readonly errors: TransportError[];
  next(): Promise<Received>;
} {
  const queue: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const errors: TransportError[] = [];
  return {
    errors,
    onMessage(bytes, address, port) {
      const r = { bytes, address, port };
      const waiter = waiters.shift();
      if (waiter) waiter(r);
      else queue.push(r);
    },
    onError(error) {
      errors.push(error);
    },
    next() {
      const r = queue.shift();
      if (r) return Promise.resolve(r);
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('UdpTransport', { timeout: 10_000 }, () => {
  const transport = new UdpTransport();

  it('exchanges datagrams between two sockets on 127.0.0.1', async () => {
    const ha = recorder();
    const hb = recorder();
    const a = await transport.bind({ address: '127.0.0.1', port: 0 }, ha);
    const b = await transport.bind({ address: '127.0.0.1', port: 0 }, hb);
    try {
      assert.equal(a.localAddress, '127.0.0.1');
      assert.ok(a.localPort > 0 && a.localPort !== b.localPort);
      a.send(Uint8Array.of(1, 2, 3), '127.0.0.1', b.localPort);
      const atB = await hb.next();
      assert.deepEqual(atB, {
        bytes: Uint8Array.of(1, 2, 3),
        address: '127.0.0.1',
        port: a.localPort,
      });
      b.send(new TextEncoder().encode('pong'), atB.address, atB.port);
      const atA = await ha.next();
      assert.equal(new TextDecoder().decode(atA.bytes), 'pong');
      assert.equal(atA.port, b.localPort);
      assert.deepEqual([...ha.errors, ...hb.errors], []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('drops a send after close without throwing, and closes idempotently', async () => {
    const h = recorder();
    const socket = await transport.bind({ address: '127.0.0.1', port: 0 }, h);
    await socket.close();
    socket.send(Uint8Array.of(1), '127.0.0.1', 9);
    await socket.close();
    await sleep(20);
    assert.deepEqual(h.errors, []);
  });

  it('does not share a bound port (reuseAddr off)', async () => {
    const first = await transport.bind({ address: '127.0.0.1', port: 0 }, recorder());
    try {
      await assert.rejects(
        transport.bind({ address: '127.0.0.1', port: first.localPort }, recorder()),
        (error: unknown) => {
          assert.ok(error instanceof TransportError);
          assert.equal(error.details.errno, 'EADDRINUSE');
          assert.equal(error.details.op, 'bind');
          return true;
        },
      );
    } finally {
      await first.close();
    }
  });

  it('refuses host names and bad ports, and reports bad destinations through onError', async () => {
    await assert.rejects(
      transport.bind({ address: 'localhost', port: 0 }, recorder()),
      InvalidArgumentError,
    );
    await assert.rejects(
      transport.bind({ address: '127.0.0.1', port: 70000 }, recorder()),
      InvalidArgumentError,
    );
    const h = recorder();
    const socket: DatagramSocket = await transport.bind({ address: '127.0.0.1', port: 0 }, h);
    try {
      assert.doesNotThrow(() => {
        socket.send(Uint8Array.of(1), 'localhost', 9);
        socket.send(Uint8Array.of(1), '::1', 9);
        socket.send(Uint8Array.of(1), '127.0.0.1', 0);
        // Larger than any UDP datagram: the system refuses it asynchronously.
        socket.send(new Uint8Array(70_000), '127.0.0.1', 9);
      });
      for (let i = 0; i < 50 && h.errors.length < 4; i++) await sleep(10);
      assert.equal(h.errors.length, 4);
      assert.ok(h.errors.every((e) => e.details.op === 'send'));
      assert.equal(h.errors[3]?.details.errno, 'EMSGSIZE');
    } finally {
      await socket.close();
    }
  });

  it('binds IPv6 loopback when available', async (t) => {
    const h = recorder();
    let socket: DatagramSocket;
    try {
      socket = await transport.bind({ address: '::1', port: 0 }, h);
    } catch (error) {
      t.skip(`no IPv6 loopback here: ${String(error)}`);
      return;
    }
    try {
      socket.send(Uint8Array.of(6), '::1', socket.localPort);
      const r = await h.next();
      assert.deepEqual(r, { bytes: Uint8Array.of(6), address: '::1', port: socket.localPort });
    } finally {
      await socket.close();
    }
  });
});
