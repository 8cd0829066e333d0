// Byte streams over node:net: TCP and Unix domain sockets.
import net from 'node:net';
import { InvalidArgumentError, TransportError } from '../core/errors.js';
import type {
  StreamAddress,
  StreamConnection,
  StreamConnectOptions,
  StreamListener,
  StreamListenHandlers,
  StreamTransport,
} from '../core/ports/transport.js';

export class NetStreamTransport implements StreamTransport {
  listen(address: StreamAddress, handlers: StreamListenHandlers): Promise<StreamListener> {
    const invalid = checkAddress(address, 0);
    if (invalid) return Promise.reject(invalid);
    const where = describe(address);
    const server = net.createServer((socket) => {
      handlers.onConnection(new NetConnection(socket, peerOf(socket, address)));
    });
    return new Promise((resolve, reject) => {
      const onListenError = (error: Error): void => {
        reject(new TransportError('listen', where, error));
      };
      server.once('error', onListenError);
      server.listen(
        address.kind === 'tcp'
          ? { host: address.host, port: address.port }
          : { path: address.path },
        () => {
          server.off('error', onListenError);
          // Without an 'error' listener an EventEmitter error would crash the agent.
          server.on('error', (error) => {
            handlers.onError(new TransportError('accept', where, error));
          });
          resolve(new NetListener(server, boundAddress(server, address)));
        },
      );
    });
  }

  connect(address: StreamAddress, options: StreamConnectOptions = {}): Promise<StreamConnection> {
    const invalid = checkAddress(address, 1);
    if (invalid) return Promise.reject(invalid);
    const where = describe(address);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new TransportError('connect', where, signal.reason));
    return new Promise((resolve, reject) => {
      const socket =
        address.kind === 'tcp'
          ? net.connect({ host: address.host, port: address.port })
          : net.connect({ path: address.path });
      const settle = (): void => {
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      const onError = (error: Error): void => {
        settle();
        reject(new TransportError('connect', where, error));
      };
      const onAbort = (): void => {
        settle();
        socket.destroy();
        reject(new TransportError('connect', where, signal?.reason));
      };
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        settle();
        resolve(new NetConnection(socket, where));
      });
    });
  }
}

class NetListener implements StreamListener {
  readonly address: StreamAddress;
  readonly #server: net.Server;
  #closed = false;

  constructor(server: net.Server, address: StreamAddress) {
    this.#server = server;
    this.address = address;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      // Closes the listening handle now (and unlinks a Unix socket path). The server's own
      // 'close' event would wait for every accepted connection, which this port leaves open.
      this.#server.close();
    }
    return Promise.resolve();
  }
}

class NetConnection implements StreamConnection {
  readonly peer: string;
  readonly #socket: net.Socket;
  #reading = false;
  #closing = false;
  #closed = false;
  #error: TransportError | undefined;
  #onData: ((bytes: Uint8Array) => void) | undefined;
  #onClose: ((error: TransportError | undefined) => void) | undefined;

  constructor(socket: net.Socket, peer: string) {
    this.peer = peer;
    this.#socket = socket;
    // Protocol messages are small and latency-sensitive: do not let Nagle hold them back.
    socket.setNoDelay(true); // a no-op on Unix sockets
    socket.on('error', (error) => {
      this.#error ??= new TransportError('stream', peer, error);
    });
    // 'close' comes once, after 'error' if there was one.
    socket.on('close', () => {
      this.#closed = true;
      this.#onClose?.(this.#error);
    });
  }

  get bufferedBytes(): number {
    return this.#socket.writableLength;
  }

  write(bytes: Uint8Array): void {
    if (this.#closing || this.#closed || this.#socket.destroyed) return;
    this.#socket.write(bytes);
  }

  onData(handler: (bytes: Uint8Array) => void): void {
    this.#onData = handler;
    if (this.#reading) return;
    // Attaching the 'data' listener is what starts reading: until then the kernel and the
    // stream buffer hold the bytes, so none are lost.
    this.#reading = true;
    this.#socket.on('data', (chunk: Buffer) => {
      this.#onData?.(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
  }

  onClose(handler: (error: TransportError | undefined) => void): void {
    if (this.#closed) {
      // Asynchronously, like a close that happens later: callers need not handle both orders.
      queueMicrotask(() => {
        handler(this.#error);
      });
      return;
    }
    this.#onClose = handler;
  }

  close(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    // Flush what is queued, then release the socket without waiting for the peer's FIN: a
    // peer that never closes its side must not keep ours half-open.
    this.#socket.end(() => {
      this.#socket.destroy();
    });
  }
}

function checkAddress(address: StreamAddress, minPort: number): InvalidArgumentError | undefined {
  if (address.kind === 'unix') {
    return address.path.length > 0
      ? undefined
      : new InvalidArgumentError('path', address.path, 'a Unix socket path');
  }
  // A literal address only: name resolution is an I/O wait, and DNS being down during a
  // failover is exactly when the cluster must not depend on it.
  if (net.isIP(address.host) === 0) {
    return new InvalidArgumentError('host', address.host, 'a literal IPv4 or IPv6 address');
  }
  if (!Number.isInteger(address.port) || address.port < minPort || address.port > 65535) {
    return new InvalidArgumentError('port', address.port, `an integer ${minPort}-65535`);
  }
  return undefined;
}

function boundAddress(server: net.Server, requested: StreamAddress): StreamAddress {
  const bound = server.address();
  if (requested.kind === 'tcp' && bound !== null && typeof bound === 'object') {
    return { kind: 'tcp', host: bound.address, port: bound.port };
  }
  return requested;
}

function peerOf(socket: net.Socket, listening: StreamAddress): string {
  if (listening.kind === 'unix') return `unix:${listening.path}`;
  return describe({
    kind: 'tcp',
    host: socket.remoteAddress ?? '?',
    port: socket.remotePort ?? 0,
  });
}

function describe(address: StreamAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  const { host, port } = address;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
