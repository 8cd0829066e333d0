// Runs the heartbeat protocol of one node against the real world: one UDP socket bound to each
// local boot address, a disk heartbeat per diskhb network, and exactly one timer, re-armed at
// the protocol's wake-up time after every input. Nothing received can throw out of here: the
// protocol drops what it cannot use, and I/O failures become problems to report.

import type { ClusterConfig } from '../../core/config/model.js';
import type { Clock } from '../../core/ports/clock.js';
import type { MessageAuthenticator } from '../../core/ports/mac.js';
import type { TimerHandle, Timers } from '../../core/ports/timers.js';
import type { DatagramSocket, DatagramTransport } from '../../core/ports/transport.js';
import type { TopologyEvent } from '../../core/topology/events.js';
import type { Heartbeat } from '../../core/topology/detector.js';
import {
  heartbeatSetup,
  onDatagram,
  onDiskHeartbeat,
  onTimer,
  protocolStatus,
  startProtocol,
  type HeartbeatStatus,
  type ProtocolResult,
  type ProtocolState,
} from '../../core/heartbeat/protocol.js';
import { DiskHeartbeat, type DiskHeartbeatStats, type DiskProblem } from '../../runtime/diskhb.js';

export type RunnerProblem =
  | {
      readonly type: 'bind-failed';
      readonly interface: string;
      readonly address: string;
      readonly error: string;
    }
  | { readonly type: 'socket-error'; readonly interface: string; readonly error: string }
  | { readonly type: 'disk'; readonly network: string; readonly problem: DiskProblem };

export interface RunnerOptions {
  readonly config: ClusterConfig;
  readonly localNode: string;
  readonly incarnation: bigint;
  readonly mac: MessageAuthenticator;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly udp: DatagramTransport;
  readonly onEvent: (event: TopologyEvent) => void;
  readonly onProblem: (problem: RunnerProblem) => void;
  /** For tests on a shared file: create the disk heartbeat file if missing. @default false */
  readonly createDiskFiles?: boolean;
}

export interface RunnerStatus extends HeartbeatStatus {
  readonly interfaces: readonly {
    readonly name: string;
    readonly address: string;
    readonly open: boolean;
  }[];
  readonly disks: readonly { readonly network: string; readonly stats: DiskHeartbeatStats }[];
}

export class HeartbeatRunner {
  readonly #o: RunnerOptions;
  #state: ProtocolState | undefined;
  #timer: TimerHandle | undefined;
  readonly #sockets = new Map<string, DatagramSocket>();
  readonly #addresses = new Map<string, string>();
  readonly #disks: { network: string; hb: DiskHeartbeat }[] = [];
  #stopped = false;

  private constructor(options: RunnerOptions) {
    this.#o = options;
  }

  /** Binds the sockets, starts the disk heartbeats and sends the first round. */
  static async start(options: RunnerOptions): Promise<HeartbeatRunner> {
    const r = new HeartbeatRunner(options);
    await r.#start();
    return r;
  }

  async #start(): Promise<void> {
    const { config, localNode, incarnation, mac, clock } = this.#o;
    const setup = heartbeatSetup(config, localNode, incarnation);
    for (const local of setup.networks.flatMap((n) => n.locals)) {
      this.#addresses.set(local.name, local.address);
      try {
        const socket = await this.#o.udp.bind(
          { address: local.address, port: setup.port },
          {
            onMessage: (bytes) => {
              this.#input((s, now) => onDatagram(s, local.name, bytes, now));
            },
            onError: (error) => {
              this.#o.onProblem({
                type: 'socket-error',
                interface: local.name,
                error: error.message,
              });
            },
          },
        );
        this.#sockets.set(local.name, socket);
      } catch (e) {
        // The interface stays silent: peers will see it down, which is the truth.
        this.#o.onProblem({
          type: 'bind-failed',
          interface: local.name,
          address: `${local.address}:${setup.port}`,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    this.#apply(startProtocol(config, setup, mac, clock.monotonicMs()));
    this.#startDisks();
  }

  #startDisks(): void {
    const { config, localNode } = this.#o;
    const self = config.nodes.find((n) => n.name === localNode);
    if (!self) return;
    for (const net of config.networks.filter((n) => n.type === 'diskhb')) {
      const mine = self.interfaces.find((i) => i.network === net.name);
      if (!mine || mine.slot === undefined) continue;
      const peers = config.nodes
        .filter((n) => n.name !== localNode)
        .flatMap((n) =>
          n.interfaces
            .filter((i) => i.network === net.name && i.slot !== undefined)
            .map((i) => ({ nodeId: n.id, slot: i.slot ?? 0, interfaceId: i.name })),
        );
      const hb = DiskHeartbeat.start({
        path: mine.device,
        clusterId: config.cluster.id,
        nodeId: self.id,
        slot: mine.slot,
        peers,
        network: net.name,
        intervalMs: net.heartbeat.intervalMs,
        incarnation: Number(this.#o.incarnation),
        clock: this.#o.clock,
        timers: this.#o.timers,
        authenticator: this.#o.mac,
        createIfMissing: this.#o.createDiskFiles ?? false,
        onHeartbeat: (h: Heartbeat) => {
          this.#input((s) => onDiskHeartbeat(s, h));
        },
        onProblem: (problem) => {
          this.#o.onProblem({ type: 'disk', network: net.name, problem });
        },
      });
      this.#disks.push({ network: net.name, hb });
    }
  }

  #input(step: (s: ProtocolState, nowMs: number) => ProtocolResult): void {
    if (this.#stopped || !this.#state) return;
    this.#apply(step(this.#state, this.#o.clock.monotonicMs()));
  }

  #apply(r: ProtocolResult): void {
    this.#state = r.state;
    for (const s of r.sends) this.#sockets.get(s.from)?.send(s.bytes, s.address, s.port);
    for (const e of r.events) this.#o.onEvent(e);
    if (this.#timer !== undefined) this.#o.timers.cancel(this.#timer);
    const delay = Math.max(0, r.wakeAtMs - this.#o.clock.monotonicMs());
    this.#timer = this.#o.timers.setTimer(delay, () => {
      this.#timer = undefined;
      this.#input((s, now) => onTimer(s, now));
    });
  }

  status(): RunnerStatus {
    const now = this.#o.clock.monotonicMs();
    if (!this.#state) throw new Error('the heartbeat runner has not started');
    return {
      ...protocolStatus(this.#state, now),
      interfaces: [...this.#addresses].map(([name, address]) => ({
        name,
        address,
        open: this.#sockets.has(name),
      })),
      disks: this.#disks.map((d) => ({ network: d.network, stats: d.hb.stats() })),
    };
  }

  /**
   * Test hook: closes one local interface's socket, so the node neither sends nor hears
   * heartbeats on it, as if its cable were pulled.
   */
  async closeInterface(name: string): Promise<boolean> {
    const socket = this.#sockets.get(name);
    if (!socket) return false;
    this.#sockets.delete(name);
    await socket.close();
    return true;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.timers.cancel(this.#timer);
    await Promise.all([
      ...[...this.#sockets.values()].map((s) => s.close()),
      ...this.#disks.map((d) => d.hb.stop()),
    ]);
    this.#sockets.clear();
  }
}
