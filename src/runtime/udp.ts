// UDP datagrams over node:dgram, for heartbeats.
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { InvalidArgumentError, TransportError } from '../core/errors.js';
import type {
  DatagramBindOptions,
  DatagramHandlers,
  DatagramSocket,
  DatagramTransport,
} from '../core/ports/transport.js';

export class UdpTransport implements DatagramTransport {
  bind(options: DatagramBindOptions, handlers: DatagramHandlers): Promise<DatagramSocket> {
    const family = isIP(options.address);
    // A host name would make dgram resolve it: an I/O wait and an ambiguity we do not want
    // for "the adapter this heartbeat leaves by".
    if (family === 0) {
      return Promise.reject(
        new InvalidArgumentError('address', options.address, 'a literal IPv4 or IPv6 address'),
      );
    }
    if (!isPort(options.port)) {
      return Promise.reject(new InvalidArgumentError('port', options.port, 'an integer 0-65535'));
    }
    // reuseAddr false: a second agent (or a stale one) on the same address must fail to bind,
    // not silently share the heartbeats.
    const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false });
    return new Promise((resolve, reject) => {
      const onBindError = (error: Error): void => {
        try {
          socket.close();
        } catch {
          // Already closed by the failed bind: nothing to release.
        }
        reject(new TransportError('bind', endpoint(options.address, options.port), error));
      };
      socket.once('error', onBindError);
      socket.bind({ address: options.address, port: options.port }, () => {
        socket.off('error', onBindError);
        resolve(new UdpSocket(socket, family, handlers));
      });
    });
  }
}

class UdpSocket implements DatagramSocket {
  readonly localAddress: string;
  readonly localPort: number;
  readonly #socket: dgram.Socket;
  readonly #family: number;
  readonly #handlers: DatagramHandlers;
  #closing: Promise<void> | undefined;

  constructor(socket: dgram.Socket, family: number, handlers: DatagramHandlers) {
    const local = socket.address();
    this.localAddress = local.address;
    this.localPort = local.port;
    this.#socket = socket;
    this.#family = family;
    this.#handlers = handlers;
    socket.on('message', (message, remote) => {
      if (this.#closing === undefined) {
        handlers.onMessage(asUint8Array(message), remote.address, remote.port);
      }
    });
    // Without an 'error' listener an EventEmitter error would crash the agent.
    socket.on('error', (error) => {
      this.#report('receive', this.#local(), error);
    });
  }

  send(bytes: Uint8Array, address: string, port: number): void {
    if (this.#closing !== undefined) return;
    const to = endpoint(address, port);
    if (isIP(address) !== this.#family || !isPort(port) || port === 0) {
      const expected = `an IPv${this.#family} address and a port 1-65535`;
      this.#report('send', to, new InvalidArgumentError('destination', to, expected));
      return;
    }
    try {
      this.#socket.send(bytes, port, address, (error) => {
        if (error) this.#report('send', to, error);
      });
    } catch (error) {
      // dgram throws synchronously for some argument and state errors: report them alike.
      this.#report('send', to, error);
    }
  }

  close(): Promise<void> {
    this.#closing ??= new Promise((resolve) => {
      this.#socket.close(() => {
        resolve();
      });
    });
    return this.#closing;
  }

  #report(op: string, address: string, cause: unknown): void {
    if (this.#closing === undefined) this.#handlers.onError(new TransportError(op, address, cause));
  }

  #local(): string {
    return endpoint(this.localAddress, this.localPort);
  }
}

/** A plain Uint8Array view (no copy) of a Buffer, so real and simulated bytes compare equal. */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
