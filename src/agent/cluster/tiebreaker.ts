// The tie-breaker as the agent reaches it. When this node leads a view holding exactly half of
// the votes, the cluster manager asks for the tie-breaker (the `tiebreak` effect) every quarter
// of a lease and takes the answer as a `tiebreak-result`. Here the question goes to the quorum
// server (haven tiebreaker) in one authenticated UDP datagram; its reply, or a denial when none
// came within ANSWER_TIMEOUT_MS, is the answer. A denial is always safe: the core asks again.
// The disk tie-breaker (a lease on the shared disk of a diskhb network) is disk-tiebreaker.ts.
//
// Only the reply to the one outstanding request counts: it must echo this node, this agent's
// incarnation and the request's id, so a reply replayed from earlier answers nothing.

import type { ClusterConfig } from '../../core/config/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { NodeNo } from '../../core/cluster/node.js';
import type { MessageAuthenticator } from '../../core/ports/mac.js';
import type { TimerHandle, Timers } from '../../core/ports/timers.js';
import type { DatagramSocket, DatagramTransport } from '../../core/ports/transport.js';
import { decodeTiebreakReply, encodeTiebreakRequest } from '../../core/tiebreaker/wire.js';
import { SystemClock } from '../../runtime/clock.js';
import type { Logger } from '../log.js';
import { DiskTiebreaker } from './disk-tiebreaker.js';

/** How long a request waits for the server's reply before it counts as denied. */
export const ANSWER_TIMEOUT_MS = 1000;

export interface Tiebreaker {
  /**
   * Asks for the tie-breaker; `answer` is called once, always later (never from within `ask`).
   * A new question answers a pending one with a denial first.
   */
  ask(requestId: string, answer: (granted: boolean) => void): void;
  /** Idempotent; pending questions are answered with a denial. */
  close(): Promise<void>;
}

export interface TiebreakerClientOptions {
  readonly config: ClusterConfig;
  readonly self: NodeNo;
  readonly incarnation: bigint;
  readonly mac: MessageAuthenticator;
  /** How long this node believes a grant (GroupConfig.tieBreaker.leaseMs): the server checks it. */
  readonly leaseMs: number;
  readonly logger: Logger;
  readonly timers: Timers;
  readonly transport: DatagramTransport;
  /** The disk tie-breaker's clock. @default the system's */
  readonly clock?: Clock | undefined;
  /** Create the disk tie-breaker's device if it is a missing file (files standing in for shared disks, as for the disk heartbeat). @default false */
  readonly createDiskFiles?: boolean | undefined;
}

/** The tie-breaker the cluster definition names (none denies every request). */
export function createTiebreaker(o: TiebreakerClientOptions): Tiebreaker {
  const tb = o.config.quorum.tieBreaker;
  switch (tb.type) {
    case 'server':
      return new QuorumServerClient(o, tb.address.split('/')[0] ?? tb.address, tb.port);
    case 'disk': {
      // The same device as this node's disk heartbeat on that network, opened the same way.
      const device = o.config.nodes
        .find((n) => n.id === o.self)
        ?.interfaces.find((i) => i.network === tb.network)?.device;
      const network = o.config.networks.find((n) => n.name === tb.network && n.type === 'diskhb');
      if (network === undefined || device === undefined || !(o.leaseMs > 0)) {
        return new Denier(() => {
          o.logger.error(
            `the disk tie-breaker names network ${tb.network}, but this node has no interface on a diskhb network of that name: every ask is denied (give this node an interface with the shared disk's device on ${tb.network})`,
          );
        });
      }
      return DiskTiebreaker.start({
        path: device,
        network: tb.network,
        clusterId: o.config.cluster.id,
        nodeId: o.self,
        incarnation: Number(o.incarnation),
        leaseMs: o.leaseMs,
        authenticator: o.mac,
        clock: o.clock ?? new SystemClock(),
        timers: o.timers,
        logger: o.logger,
        createIfMissing: o.createDiskFiles ?? false,
      });
    }
    case 'none':
      return new Denier(() => undefined);
  }
}

class Denier implements Tiebreaker {
  #warned = false;
  constructor(private readonly warnOnce: () => void) {}

  ask(_requestId: string, answer: (granted: boolean) => void): void {
    if (!this.#warned) {
      this.#warned = true;
      this.warnOnce();
    }
    queueMicrotask(() => {
      answer(false);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Pending {
  readonly requestId: string;
  readonly answer: (granted: boolean) => void;
  readonly timer: TimerHandle;
}

class QuorumServerClient implements Tiebreaker {
  readonly #o: TiebreakerClientOptions;
  readonly #address: string;
  readonly #port: number;
  #socket: Promise<DatagramSocket | undefined> | undefined;
  #pending: Pending | undefined;
  #closed = false;
  /** Whether the last question was answered by the server (to log only the changes). */
  #reachable: boolean | undefined;

  constructor(o: TiebreakerClientOptions, address: string, port: number) {
    this.#o = o;
    this.#address = address;
    this.#port = port;
  }

  ask(requestId: string, answer: (granted: boolean) => void): void {
    this.#settle(false);
    if (this.#closed) {
      queueMicrotask(() => {
        answer(false);
      });
      return;
    }
    const timer = this.#o.timers.setTimer(ANSWER_TIMEOUT_MS, () => {
      if (this.#pending?.requestId !== requestId) return;
      this.#seen(false);
      this.#settle(false);
    });
    this.#pending = { requestId, answer, timer };
    let bytes: Uint8Array;
    try {
      bytes = encodeTiebreakRequest(
        {
          clusterId: this.#o.config.cluster.id,
          node: this.#o.self,
          incarnation: this.#o.incarnation,
          requestId,
          leaseMs: this.#o.leaseMs,
        },
        this.#o.mac,
      );
    } catch (e) {
      // A request id the format cannot carry: a bug, and a denial.
      this.#o.logger.error('cannot build the tie-breaker request: denied', {
        requestId,
        error: e instanceof Error ? e.message : String(e),
      });
      queueMicrotask(() => {
        this.#settle(false);
      });
      return;
    }
    void this.#open().then((socket) => {
      socket?.send(bytes, this.#address, this.#port);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#settle(false);
    const socket = await this.#socket;
    await socket?.close();
  }

  /** Answers the pending question, if any (later, never inside the caller's step). */
  #settle(granted: boolean): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    this.#o.timers.cancel(p.timer);
    queueMicrotask(() => {
      p.answer(granted);
    });
  }

  /** The socket, bound once on first use (a node that never ties never opens it). */
  #open(): Promise<DatagramSocket | undefined> {
    this.#socket ??= this.#o.transport
      .bind(
        { address: this.#address.includes(':') ? '::' : '0.0.0.0', port: 0 },
        {
          onMessage: (bytes) => {
            this.#receive(bytes);
          },
          onError: (e) => {
            this.#o.logger.warn('quorum server socket error', { error: e.message });
          },
        },
      )
      .then(
        (s) => s,
        (e: unknown) => {
          this.#o.logger.error('cannot open a socket to ask the quorum server: denied', {
            error: e instanceof Error ? e.message : String(e),
          });
          this.#socket = undefined; // try again at the next question
          return undefined;
        },
      );
    return this.#socket;
  }

  #receive(bytes: Uint8Array): void {
    const d = decodeTiebreakReply(bytes, this.#o.config.cluster.id, this.#o.mac);
    if (!d.ok) {
      this.#o.logger.debug('dropped a datagram on the quorum server socket', { reason: d.reason });
      return;
    }
    const r = d.message;
    const p = this.#pending;
    // Only the answer to the question asked now: a late or replayed reply is nothing.
    if (
      p === undefined ||
      r.requestId !== p.requestId ||
      r.node !== this.#o.self ||
      r.incarnation !== this.#o.incarnation
    )
      return;
    this.#seen(true);
    if (!r.granted)
      this.#o.logger.debug('quorum server denied the tie-breaker', {
        holder: r.holder ?? null,
        remainingMs: r.remainingMs,
      });
    this.#settle(r.granted);
  }

  #seen(answered: boolean): void {
    if (answered === this.#reachable) return;
    this.#reachable = answered;
    const where = { server: `${this.#address}:${String(this.#port)}` };
    if (answered) this.#o.logger.info('the quorum server answers', where);
    else
      this.#o.logger.warn(
        `the quorum server did not answer within ${String(ANSWER_TIMEOUT_MS)}ms: denied (check that haven tiebreaker runs there, the UDP port is open, and it has this cluster's definition and key)`,
        where,
      );
  }
}
