// Sockets as seams. The real ones live in runtime/, the simulated ones in sim/; a protocol
// only ever sees these types, so the same tests can run against both.
import type { TransportError } from '../errors.js';

// ---- Datagrams (heartbeats) ----

export interface DatagramBindOptions {
  /** A literal IPv4 or IPv6 address of a local interface: a heartbeat must leave by that adapter. */
  readonly address: string;
  /** 0 lets the system choose; read the result from `DatagramSocket.localPort`. */
  readonly port: number;
}

export interface DatagramHandlers {
  /** One received datagram. `bytes` belongs to the handler. */
  onMessage(bytes: Uint8Array, remoteAddress: string, remotePort: number): void;
  /**
   * A failure that did not close the socket (a send to an unreachable network, for instance).
   * Errors are reported here, never thrown asynchronously.
   */
  onError(error: TransportError): void;
}

export interface DatagramSocket {
  readonly localAddress: string;
  readonly localPort: number;
  /**
   * Best effort, like UDP itself. A send after `close` is dropped silently: racing a close
   * is the ordinary shutdown path, not a fault. Failures go to `onError`.
   */
  send(bytes: Uint8Array, address: string, port: number): void;
  /** Idempotent. No handler is called after it resolves. */
  close(): Promise<void>;
}

export interface DatagramTransport {
  /** Rejects with a `TransportError` (EADDRINUSE, EADDRNOTAVAIL...) if the address cannot be bound. */
  bind(options: DatagramBindOptions, handlers: DatagramHandlers): Promise<DatagramSocket>;
}

// ---- Streams (state transfer, operator connections) ----

export type StreamAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

export interface StreamConnection {
  /** A human-readable description of the peer, for logs. */
  readonly peer: string;
  /** Bytes accepted by `write` but not yet handed to the system: watch it to bound a slow peer. */
  readonly bufferedBytes: number;
  /** Queues bytes for sending. Ignored once the connection is closed (`onClose` said so). */
  write(bytes: Uint8Array): void;
  /**
   * Sets the handler for received bytes (one handler; a later call replaces it). Nothing is
   * read before a handler is set, so no bytes are lost between connect and this call.
   */
  onData(handler: (bytes: Uint8Array) => void): void;
  /**
   * Sets the handler called once when the connection is gone, with the error that closed it,
   * if any. Set after the close, it is still called (asynchronously).
   */
  onClose(handler: (error: TransportError | undefined) => void): void;
  /** Sends what is queued, then closes. Idempotent. */
  close(): void;
}

export interface StreamListener {
  /** The address actually bound: for TCP port 0, it carries the chosen port. */
  readonly address: StreamAddress;
  /** Stops accepting; open connections stay open. Idempotent. */
  close(): Promise<void>;
}

export interface StreamListenHandlers {
  onConnection(connection: StreamConnection): void;
  /** A failure of the listener after it started (an accepted connection's errors go to its onClose). */
  onError(error: TransportError): void;
}

export interface StreamConnectOptions {
  /** Gives up on a connection attempt still in progress; the promise rejects with a TransportError. */
  readonly signal?: AbortSignal;
}

export interface StreamTransport {
  /** Rejects with a `TransportError` if the address cannot be bound. */
  listen(address: StreamAddress, handlers: StreamListenHandlers): Promise<StreamListener>;
  /** Rejects with a `TransportError` (ECONNREFUSED, ENOENT...) if no connection is made. */
  connect(address: StreamAddress, options?: StreamConnectOptions): Promise<StreamConnection>;
}
