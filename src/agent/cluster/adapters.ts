// Local adapter failures (the reference's swap_adapter): this node watches the link state of its
// own interfaces on ether networks, which Linux shows directly (/sys/class/net/<dev>/operstate
// and carrier), instead of waiting for heartbeats to fall silent. When an interface that holds a
// service address of a group this node holds goes down, and another interface of this node on
// the same network is up, the node queues the cluster event swap_adapter with details
// {from, to} (interface names); its program then moves the addresses on the event node
// (ResourceManager.swap) and every node runs swap_adapter_complete.
//
// Polling, at the shortest heartbeat interval of the watched networks: two small sysfs reads per
// interface per round, no process. A link counts as failed only when it is still down one round
// after it was first seen down (a flap shorter than an interval is ignored). Only then is the
// resource manager asked (one `ip` command) which service addresses are on it. A swap is queued
// once per failure: it stays pending until the link comes back up, whatever the event's outcome
// (an event in error waits for the administrator, as every event does). A failed link holding a
// service address with no live interface to move to is logged, and checked again when another
// interface of its network comes up.
//
// A failed interface without a service address is only logged: topology services already report
// the failure of its heartbeat paths (fail_interface) cluster-wide.

import { readFile } from 'node:fs/promises';
import type { ClusterConfig, InterfaceDef } from '../../core/config/model.js';
import type { TimerHandle, Timers } from '../../core/ports/timers.js';

/** The state of one link: up means administratively up and with carrier. */
export interface LinkState {
  readonly up: boolean;
  /** Why it is down, for the log ("operstate down", "no carrier", "does not exist"). */
  readonly why: string;
}

/** Reads the link state of a device. */
export type LinkReader = (device: string) => Promise<LinkState>;

/**
 * The link state from sysfs (`root` is /sys/class/net, or a fake tree in tests). operstate says
 * down for an administratively down link and for a missing carrier; carrier is read as well
 * because some drivers (dummy, tun) report operstate "unknown" for ever. The kernel refuses to
 * read carrier (EINVAL) on an administratively down link: that is down too.
 */
export function sysfsLinkReader(root = '/sys/class/net'): LinkReader {
  return async (device) => {
    const read = async (file: string): Promise<string | Error> => {
      try {
        return (await readFile(`${root}/${device}/${file}`, 'utf8')).trim();
      } catch (e) {
        return e instanceof Error ? e : new Error(String(e));
      }
    };
    const operstate = await read('operstate');
    if (operstate instanceof Error) {
      const missing = (operstate as NodeJS.ErrnoException).code === 'ENOENT';
      return { up: false, why: missing ? 'does not exist' : `unreadable: ${operstate.message}` };
    }
    if (operstate === 'down' || operstate === 'lowerlayerdown' || operstate === 'notpresent')
      return { up: false, why: `operstate ${operstate}` };
    const carrier = await read('carrier');
    if (carrier instanceof Error) return { up: false, why: `operstate ${operstate}, no carrier` };
    if (carrier !== '1') return { up: false, why: `operstate ${operstate}, no carrier` };
    return { up: true, why: `operstate ${operstate}` };
  };
}

/** What the detector asks the resource manager (resources.ts). */
export interface ServiceAddressLookup {
  /** The service addresses of held groups now on `device`, e.g. "svc_ip (10.0.9.10)". */
  serviceAddressesOn(device: string): Promise<readonly string[]>;
}

export interface AdapterMonitorOptions {
  readonly config: ClusterConfig;
  /** This node's name. */
  readonly node: string;
  readonly resources: ServiceAddressLookup;
  readonly timers: Timers;
  /** Queue swap_adapter for this node on `network`, moving from one interface to another. */
  readonly onSwap: (network: string, details: { from: string; to: string }) => void;
  readonly log: (
    level: 'info' | 'warn' | 'error',
    msg: string,
    fields: Readonly<Record<string, unknown>>,
  ) => void;
  /** Default: sysfsLinkReader(). */
  readonly readLink?: LinkReader;
  /** Default: the shortest heartbeat interval of the watched networks. */
  readonly intervalMs?: number;
}

interface Watched {
  readonly def: InterfaceDef;
  readonly replacement: boolean;
  /** Last reading; undefined before the first. */
  up: boolean | undefined;
  why: string;
  /** Rounds in a row it has been seen down (failed from 2 on). */
  downRounds: number;
  /** A swap_adapter was queued for this failure. */
  pending: boolean;
  /** Holds a service address but no interface could take it: checked again on a change. */
  stranded: boolean;
}

export class AdapterMonitor {
  readonly #o: AdapterMonitorOptions;
  readonly #read: LinkReader;
  readonly #watched: Watched[];
  readonly intervalMs: number;
  #timer: TimerHandle | undefined;
  #stopped = true;
  #round: Promise<void> = Promise.resolve();

  constructor(o: AdapterMonitorOptions) {
    this.#o = o;
    this.#read = o.readLink ?? sysfsLinkReader();
    const me = o.config.nodes.find((n) => n.name === o.node);
    const ether = new Map(
      o.config.networks.filter((n) => n.type === 'ether').map((n) => [n.name, n]),
    );
    this.#watched = (me?.interfaces ?? [])
      .filter((i) => ether.has(i.network))
      .map((def) => ({
        def,
        replacement: ether.get(def.network)?.ipat === 'replacement',
        up: undefined,
        why: '',
        downRounds: 0,
        pending: false,
        stranded: false,
      }));
    const intervals = this.#watched.map(
      (w) => ether.get(w.def.network)?.heartbeat.intervalMs ?? 1000,
    );
    this.intervalMs = o.intervalMs ?? Math.max(100, Math.min(1000, ...intervals));
  }

  /** The interfaces watched (this node's, on ether networks). */
  get interfaces(): readonly string[] {
    return this.#watched.map((w) => w.def.name);
  }

  start(): void {
    // A network with a single interface of this node has nowhere to swap to, but its failure
    // is still worth a line in the log: every ether interface is watched.
    if (!this.#stopped || this.#watched.length === 0) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops polling; resolves when a round in flight is over. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.timers.cancel(this.#timer);
    this.#timer = undefined;
    await this.#round;
  }

  #schedule(delayMs: number): void {
    this.#timer = this.#o.timers.setTimer(delayMs, () => {
      this.#timer = undefined;
      this.#round = this.poll().finally(() => {
        if (!this.#stopped) this.#schedule(this.intervalMs);
      });
    });
  }

  /** One round: reads every link, then acts on the failures (public for tests). */
  async poll(): Promise<void> {
    const readings = await Promise.all(
      this.#watched.map((w) =>
        this.#read(w.def.device).catch((e: unknown): LinkState => ({
          up: false,
          why: `unreadable: ${e instanceof Error ? e.message : String(e)}`,
        })),
      ),
    );
    // Networks where an interface came back up: a stranded address there may move now.
    const cameUp = new Set<string>();
    this.#watched.forEach((w, i) => {
      const r = readings[i] ?? { up: false, why: 'unread' };
      const was = w.up;
      w.up = r.up;
      w.why = r.why;
      if (r.up) {
        if (w.downRounds >= 2) {
          this.#o.log('info', 'interface is up again', this.#fields(w));
          cameUp.add(w.def.network);
        }
        w.downRounds = 0;
        w.pending = false;
        w.stranded = false;
        return;
      }
      // The first reading of a link already down counts like any other: an address can be
      // left on a dead link by an agent restarted after the failure.
      if (was !== false) w.downRounds = 1;
      else w.downRounds++;
    });
    for (const w of this.#watched) {
      if (w.downRounds < 2 || w.pending) continue;
      const justFailed = w.downRounds === 2;
      if (justFailed) this.#o.log('warn', 'interface is down', this.#fields(w));
      if (justFailed || (w.stranded && cameUp.has(w.def.network))) await this.#failed(w);
    }
  }

  /** A failed link: if it holds service addresses, queue their move to a live interface. */
  async #failed(w: Watched): Promise<void> {
    let addresses: readonly string[];
    try {
      addresses = await this.#o.resources.serviceAddressesOn(w.def.device);
    } catch (e) {
      this.#o.log('error', 'cannot tell which service addresses are on a failed interface', {
        ...this.#fields(w),
        error: e instanceof Error ? e.message : String(e),
      });
      return;
    }
    if (addresses.length === 0) {
      w.stranded = false;
      return;
    }
    // IPAT by replacement trades the service address for the target's boot address: only an
    // interface with one can take it.
    const target = this.#watched.find(
      (o) =>
        o !== w &&
        o.def.network === w.def.network &&
        o.up === true &&
        (!w.replacement || o.def.address !== undefined),
    );
    if (!target) {
      if (!w.stranded) {
        this.#o.log(
          'error',
          'a failed interface holds service addresses and no other interface of this node on its network is up: they stay unreachable until one comes up',
          { ...this.#fields(w), addresses },
        );
      }
      w.stranded = true;
      return;
    }
    w.stranded = false;
    w.pending = true;
    this.#o.log('warn', 'queueing swap_adapter: moving service addresses off a failed interface', {
      ...this.#fields(w),
      to: target.def.name,
      toDevice: target.def.device,
      addresses,
    });
    this.#o.onSwap(w.def.network, { from: w.def.name, to: target.def.name });
  }

  #fields(w: Watched): Record<string, unknown> {
    return {
      interface: w.def.name,
      device: w.def.device,
      network: w.def.network,
      state: w.why,
    };
  }
}
