import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InvalidArgumentError, TransportError } from '../core/errors.js';
import { encodeFrame, FrameDecoder } from '../core/framing.js';
import type { StreamAddress, StreamConnection, StreamListener } from '../core/ports/transport.js';
import { NetStreamTransport } from './stream.js';

const transport = new NetStreamTransport();

function unexpected(error: TransportError): never {
  throw new Error(`unexpected listener error: ${error.message}`, { cause: error });
}
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Collects a connection's frames and its close, with promises to wait on them. */
function watch(connection: StreamConnection): {
  frames: string[];
  nextFrame(): Promise<string>;
  closed: Promise<TransportError | undefined>;
} {
  const decoder = new FrameDecoder();
  const frames: string[] = [];
  let wake: (() => void) | undefined;
  connection.onData((bytes) => {
    for (const f of decoder.push(bytes)) frames.push(new TextDecoder().decode(f));
    wake?.();
  });
  const closed = new Promise<TransportError | undefined>((resolve) => {
    connection.onClose(resolve);
  });
  let taken = 0;
  return {
    frames,
    closed,
    async nextFrame() {
      while (frames.length <= taken) await new Promise<void>((r) => (wake = r));
      return frames[taken++]!;
    },
  };
}

/** Runs the same conversation over any address: the suite is shared by TCP and Unix sockets. */
async function converse(address: StreamAddress): Promise<StreamListener> {
  const accepted: StreamConnection[] = [];
  let acceptedOne!: () => void;
  const acceptedPromise = new Promise<void>((r) => (acceptedOne = r));
  const listener = await transport.listen(address, {
    onConnection(connection) {
      accepted.push(connection);
      const w = watch(connection);
      // Echo each frame back, upper-cased.
      void (async () => {
        for (;;) {
          const frame = await w.nextFrame();
          connection.write(encodeFrame(text(frame.toUpperCase())));
        }
      })();
      acceptedOne();
    },
    onError: unexpected,
  });
  const client = await transport.connect(listener.address);
  const w = watch(client);
  // Two frames in one write, then one frame split over three writes.
  const two = [...encodeFrame(text('hello')), ...encodeFrame(text('world'))];
  client.write(Uint8Array.from(two));
  const big = encodeFrame(text('x'.repeat(100_000)));
  client.write(big.subarray(0, 3));
  client.write(big.subarray(3, 50_000));
  client.write(big.subarray(50_000));
  assert.equal(await w.nextFrame(), 'HELLO');
  assert.equal(await w.nextFrame(), 'WORLD');
  assert.equal(await w.nextFrame(), 'X'.repeat(100_000));
  await acceptedPromise;
  const server = accepted[0]!;
  const serverClosed = new Promise<TransportError | undefined>((r) => {
    server.onClose(r);
  });
  client.close();
  client.close();
  assert.equal(await w.closed, undefined);
  assert.equal(await serverClosed, undefined);
  // Writes after close are ignored, and a late onClose handler is still told.
  client.write(text('late'));
  assert.equal(
    await new Promise((r) => {
      client.onClose(r);
    }),
    undefined,
  );
  return listener;
}

describe('NetStreamTransport', { timeout: 10_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haven-stream-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('carries framed messages both ways over TCP on 127.0.0.1', async () => {
    const listener = await converse({ kind: 'tcp', host: '127.0.0.1', port: 0 });
    const bound = listener.address;
    assert.ok(bound.kind === 'tcp' && bound.port > 0, `bound to ${JSON.stringify(bound)}`);
    await listener.close();
    await listener.close();
    await assert.rejects(transport.connect(listener.address), TransportError);
  });

  it('carries framed messages both ways over a Unix socket, and removes it on close', async () => {
    const path = join(dir, 'agent.sock');
    const listener = await converse({ kind: 'unix', path });
    assert.ok(existsSync(path));
    await listener.close();
    assert.ok(!existsSync(path));
    await assert.rejects(transport.connect({ kind: 'unix', path }), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.equal(e.details.errno, 'ENOENT');
      return true;
    });
  });

  it('reports a refused connection and a taken address as TransportErrors', async () => {
    const listener = await transport.listen(
      { kind: 'tcp', host: '127.0.0.1', port: 0 },
      {
        onConnection: (c) => {
          c.close();
        },
        onError: unexpected,
      },
    );
    const taken = listener.address;
    await assert.rejects(
      transport.listen(taken, { onConnection() {}, onError() {} }),
      (e: unknown) => {
        assert.ok(e instanceof TransportError);
        assert.equal(e.details.errno, 'EADDRINUSE');
        return true;
      },
    );
    await listener.close();
    await assert.rejects(transport.connect(taken), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.equal(e.details.errno, 'ECONNREFUSED');
      return true;
    });
  });

  it('tells the peer when a connection is lost', async () => {
    let server: StreamConnection | undefined;
    const listener = await transport.listen(
      { kind: 'unix', path: join(dir, 'lost.sock') },
      { onConnection: (c) => (server = c), onError: unexpected },
    );
    try {
      const client = await transport.connect(listener.address);
      const w = watch(client);
      while (!server) await new Promise((r) => setImmediate(r));
      server.close();
      assert.equal(await w.closed, undefined);
    } finally {
      await listener.close();
    }
  });

  it('aborts a connection attempt and refuses host names', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      transport.connect({ kind: 'tcp', host: '127.0.0.1', port: 9 }, { signal: controller.signal }),
      TransportError,
    );
    await assert.rejects(
      transport.connect({ kind: 'tcp', host: 'localhost', port: 9 }),
      InvalidArgumentError,
    );
    await assert.rejects(
      transport.listen(
        { kind: 'tcp', host: '127.0.0.1', port: -1 },
        { onConnection() {}, onError() {} },
      ),
      InvalidArgumentError,
    );
  });
});
