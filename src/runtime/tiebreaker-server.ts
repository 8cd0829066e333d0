// The quorum server on the network: one UDP socket, each authentic request answered by the
// decision of core/tiebreaker/server.ts on this process's monotonic clock. Anything else is
// dropped and counted; nothing a datagram holds can stop the server.

import type { Clock } from '../core/ports/clock.js';
import type { MessageAuthenticator } from '../core/ports/mac.js';
import type { DatagramSocket, DatagramTransport } from '../core/ports/transport.js';
import { TiebreakerDecider } from '../core/tiebreaker/server.js';
import { decodeTiebreakRequest, encodeTiebreakReply } from '../core/tiebreaker/wire.js';

export interface TiebreakerServerOptions {
  readonly clusterId: number;
  readonly nodes: ReadonlySet<number>;
  readonly leaseMs: number;
  /** See TiebreakerDeciderOptions.handoverMs. @default 2000 */
  readonly handoverMs?: number;
  readonly address: string;
  /** 0 lets the system choose (tests); read it from `port`. */
  readonly port: number;
  readonly mac: MessageAuthenticator;
  readonly clock: Clock;
  readonly transport: DatagramTransport;
  readonly log: (
    level: 'debug' | 'info' | 'warn' | 'error',
    msg: string,
    fields: Record<string, unknown>,
  ) => void;
}

/** A dropped datagram of the same reason is logged at most this often (a flood stays quiet). */
const DROP_LOG_EVERY_MS = 60_000;

export class TiebreakerServer {
  readonly #o: TiebreakerServerOptions;
  readonly #decider: TiebreakerDecider;
  readonly #dropLogged = new Map<string, number>();
  #socket: DatagramSocket | undefined;
  /** Datagrams dropped, by reason. */
  readonly dropped = new Map<string, number>();

  private constructor(o: TiebreakerServerOptions) {
    this.#o = o;
    this.#decider = new TiebreakerDecider({
      clusterId: o.clusterId,
      nodes: o.nodes,
      leaseMs: o.leaseMs,
      startMs: o.clock.monotonicMs(),
      ...(o.handoverMs === undefined ? {} : { handoverMs: o.handoverMs }),
    });
  }

  /** Rejects with the TransportError of the bind (address not on this host, port in use). */
  static async start(o: TiebreakerServerOptions): Promise<TiebreakerServer> {
    const s = new TiebreakerServer(o);
    s.#socket = await o.transport.bind(
      { address: o.address, port: o.port },
      {
        onMessage: (bytes, address, port) => {
          s.#receive(bytes, address, port);
        },
        onError: (e) => {
          s.#drop('socket-error', { error: e.message });
        },
      },
    );
    o.log('info', 'quorum server started', {
      address: s.#socket.localAddress,
      port: s.#socket.localPort,
      clusterId: o.clusterId,
      leaseMs: o.leaseMs,
      grantsFromInMs: s.#decider.quietUntilMs - o.clock.monotonicMs(),
    });
    return s;
  }

  get port(): number {
    return this.#socket?.localPort ?? 0;
  }

  async stop(): Promise<void> {
    await this.#socket?.close();
  }

  #receive(bytes: Uint8Array, address: string, port: number): void {
    try {
      const d = decodeTiebreakRequest(bytes, this.#o.clusterId, this.#o.mac);
      if (!d.ok) {
        this.#drop(d.reason, { from: `${address}:${String(port)}` });
        return;
      }
      const { reply, log } = this.#decider.decide(d.message, this.#o.clock.monotonicMs());
      const from = `${address}:${String(port)}`;
      for (const l of log) this.#o.log(l.level, l.msg, { ...l.fields, from });
      this.#socket?.send(encodeTiebreakReply(reply, this.#o.mac), address, port);
    } catch (e) {
      // Not expected (the decoder does not throw): a bug must cost one answer, not the server.
      this.#o.log('error', 'a request could not be answered: dropped', {
        from: `${address}:${String(port)}`,
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
    }
  }

  #drop(reason: string, fields: Record<string, unknown>): void {
    const count = (this.dropped.get(reason) ?? 0) + 1;
    this.dropped.set(reason, count);
    const now = this.#o.clock.monotonicMs();
    if (now - (this.#dropLogged.get(reason) ?? -Infinity) < DROP_LOG_EVERY_MS) return;
    this.#dropLogged.set(reason, now);
    this.#o.log('warn', `dropped a datagram: ${reason}`, {
      ...fields,
      reason,
      dropped: count,
      hint:
        reason === 'bad-mac'
          ? 'a sender without this cluster key: check that the server and the nodes use the same key file'
          : reason === 'wrong-cluster'
            ? 'a sender of another cluster id: check the cluster definition the server was given'
            : undefined,
    });
  }
}
