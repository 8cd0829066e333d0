// Group services messages between agents: UDP on every IP network, port `cluster.port + 1` on
// each boot address (the heartbeats use `cluster.port`). A message to a peer goes once on each
// network the two nodes share, so a failed network loses nothing; the second copy is dropped
// as a duplicate. Every datagram is authenticated with the cluster key (core/cluster/wire.ts);
// what is forged, foreign, duplicated or malformed is dropped and counted, never thrown.

import type { ClusterConfig } from '../../core/config/model.js';
import type { NodeNo } from '../../core/cluster/node.js';
import {
  GROUP_DROP_REASONS,
  acceptFrame,
  decodeGroupFrame,
  encodeGroupFrame,
  type GroupDropReason,
  type SenderWindow,
} from '../../core/cluster/wire.js';
import type { DatagramSocket } from '../../core/ports/transport.js';
import type { MessageAuthenticator } from '../../core/ports/mac.js';
import { UdpTransport } from '../../runtime/udp.js';

export interface GroupTransportOptions {
  readonly config: ClusterConfig;
  readonly self: NodeNo;
  readonly incarnation: bigint;
  readonly mac: MessageAuthenticator;
  /** An authentic, new message from a member (its JSON parsed, not yet checked). */
  readonly onMessage: (from: NodeNo, body: unknown) => void;
  /** A socket error (an unreachable network): the agent logs it, rate-limited. */
  readonly onError: (error: Error) => void;
}

export interface GroupTransportStats {
  readonly sent: number;
  readonly received: number;
  readonly drops: Readonly<Record<GroupDropReason, number>>;
}

/** The port group services use next to the heartbeats'. */
export const groupPort = (config: ClusterConfig): number => config.cluster.port + 1;

export class GroupTransport {
  readonly #o: GroupTransportOptions;
  readonly #sockets = new Map<string, DatagramSocket>();
  /** Per peer: (local network's socket, peer address) pairs to send on. */
  readonly #routes = new Map<NodeNo, { socket: DatagramSocket; address: string }[]>();
  readonly #windows = new Map<NodeNo, SenderWindow>();
  readonly #known: ReadonlySet<NodeNo>;
  #seq = 0n;
  #sent = 0;
  #received = 0;
  readonly #drops = Object.fromEntries(GROUP_DROP_REASONS.map((r) => [r, 0])) as Record<
    GroupDropReason,
    number
  >;

  private constructor(o: GroupTransportOptions) {
    this.#o = o;
    this.#known = new Set(o.config.nodes.map((n) => n.id));
  }

  static async start(o: GroupTransportOptions): Promise<GroupTransport> {
    const t = new GroupTransport(o);
    const port = groupPort(o.config);
    const me = o.config.nodes.find((n) => n.id === o.self);
    const udp = new UdpTransport();
    try {
      for (const i of me?.interfaces ?? []) {
        if (i.address === undefined) continue;
        const address = i.address.address.text;
        const socket = await udp.bind(
          { address, port },
          {
            onMessage: (bytes) => {
              t.#receive(bytes);
            },
            onError: (e) => {
              o.onError(e);
            },
          },
        );
        t.#sockets.set(i.network, socket);
      }
    } catch (e) {
      await t.close();
      throw e;
    }
    for (const peer of o.config.nodes) {
      if (peer.id === o.self) continue;
      const routes: { socket: DatagramSocket; address: string }[] = [];
      for (const i of peer.interfaces) {
        const socket = t.#sockets.get(i.network);
        if (socket && i.address) routes.push({ socket, address: i.address.address.text });
      }
      t.#routes.set(peer.id, routes);
    }
    return t;
  }

  /** Sends a message to a peer on every network the two share. Best effort, like UDP. */
  send(to: NodeNo, msg: unknown): void {
    const routes = this.#routes.get(to);
    if (!routes || routes.length === 0) return;
    this.#seq++;
    const bytes = encodeGroupFrame(
      {
        clusterId: this.#o.config.cluster.id,
        from: this.#o.self,
        incarnation: this.#o.incarnation,
        seq: this.#seq,
        body: JSON.stringify(msg),
      },
      this.#o.mac,
    );
    const port = groupPort(this.#o.config);
    for (const r of routes) r.socket.send(bytes, r.address, port);
    this.#sent++;
  }

  #receive(bytes: Uint8Array): void {
    const d = decodeGroupFrame(bytes, this.#o.config.cluster.id, this.#o.mac);
    if (!d.ok) {
      this.#drops[d.reason]++;
      return;
    }
    const { from, incarnation, seq, body } = d.frame;
    if (from === this.#o.self) {
      this.#drops['from-self']++;
      return;
    }
    if (!this.#known.has(from)) {
      this.#drops['unknown-sender']++;
      return;
    }
    const a = acceptFrame(this.#windows.get(from), incarnation, seq);
    if (!a.ok) {
      this.#drops[a.reason]++;
      return;
    }
    this.#windows.set(from, a.window);
    let msg: unknown;
    try {
      msg = JSON.parse(body);
    } catch {
      this.#drops['bad-json']++;
      return;
    }
    this.#received++;
    this.#o.onMessage(from, msg);
  }

  /** A message the node could not use (counted here so status shows every drop together). */
  countBadMessage(): void {
    this.#drops['bad-message']++;
  }

  stats(): GroupTransportStats {
    return { sent: this.#sent, received: this.#received, drops: { ...this.#drops } };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#sockets.values()].map((s) => s.close()));
    this.#sockets.clear();
  }
}
