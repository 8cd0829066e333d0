// The service IP resource agent: IP address takeover (IPAT) with Linux `ip` and `arping`.
//
// IPAT by aliasing (the default): the service address is added to the first live interface
// of this node on the service IP's network, next to that interface's boot address, with the
// label `<device>:<last octet>` (see aliasLabel), then announced by gratuitous ARP so that
// neighbours that cached the MAC of the previous holder update it.
//
// IPAT by replacement: the service address takes the place of the interface's boot address.
// Anything bound to the boot address stops on that interface until release puts the boot
// address back; in particular the heartbeat of that interface, if it is bound to the boot
// address, is silent meanwhile (the reference's behaviour: the boot label is gone while the
// service label is up). The heartbeat of the node's other interfaces carries on.
//
// Persistent labels and boot addresses never move: the agent refuses (AgentError) to remove
// one, except the boot address that replacement swaps for the service address.
//
// Every change adds before it deletes (the new address, then the old one goes): the address
// is never absent from the node, so clients and local sockets see no gap; if the add fails,
// the old state stands; and the device never loses its last IPv4 address, which would make
// the kernel flush every route through it (the default gateway among them).
//
// The `netns` option runs everything inside a named network namespace (`ip -n <ns>`,
// `ip netns exec <ns> arping`): the tests use it; the daemon leaves it unset.

import type { Cidr, IpAddress } from '../../core/net/ip.js';
import { formatCidr, parseIp, sameSubnet } from '../../core/net/ip.js';
import type {
  InterfaceDef,
  PersistentLabelDef,
  ServiceIpResource,
} from '../../core/config/model.js';
import type { Argv, ProcessResult, ProcessRunner } from '../../core/ports/process.js';
import { ChildProcessRunner } from '../process.js';
import { shellQuote } from '../shell-quote.js';
import type { AgentContext, AgentOp, MonitorStatus, ResourceAgent } from './agent.js';
import { AgentError } from './agent.js';

/** Default time limit of each command: `ip` answers in milliseconds unless netlink is stuck. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** How long start waits for arping's first packet before it goes on (the rest follow). */
const FIRST_ARP_WAIT_MS = 150;
/** Default number of gratuitous ARP packets (arping sends one per second). */
export const DEFAULT_ARP_COUNT = 3;
const KILL_GRACE_MS = 1000;
const MAX_OUTPUT_BYTES = 1 << 20;
// Interface names (and so labels) are at most IFNAMSIZ - 1 characters.
const MAX_LABEL = 15;
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

export interface ServiceIpAgentOptions {
  readonly resource: ServiceIpResource;
  readonly ipat: 'alias' | 'replacement';
  /** This node's interfaces on the service IP's network, in order of preference. */
  readonly interfaces: readonly InterfaceDef[];
  /** This node's persistent labels (all networks): never removed. */
  readonly persistentLabels?: readonly PersistentLabelDef[];
  /** Other addresses never to remove, such as this node's boot addresses on other networks. */
  readonly protectedAddresses?: readonly Cidr[];
  /** Run inside this named network namespace (tests); unset for the host's own network. */
  readonly netns?: string;
  /** Time limit of each command, default DEFAULT_COMMAND_TIMEOUT_MS. */
  readonly commandTimeoutMs?: number;
  /** Gratuitous ARP packets after acquiring, default DEFAULT_ARP_COUNT; 0 sends none. */
  readonly arpCount?: number;
  readonly runner?: ProcessRunner;
}

/**
 * The label of an alias: `<device>:<last octet>`, e.g. `eth0:10` for 10.0.9.10. The same on
 * every node, short enough for devices of up to 11 characters, and readable in `ip addr`.
 * Two service addresses with the same last octet on one device share a label; that is
 * harmless, since the agent finds its address by address, never by label. Undefined (no
 * label) when the result would exceed 15 characters, and for IPv6, which has no labels.
 */
export function aliasLabel(device: string, address: IpAddress): string | undefined {
  if (address.family !== 4) return undefined;
  const label = `${device}:${(address.value & 255n).toString()}`;
  return label.length <= MAX_LABEL ? label : undefined;
}

interface Addr {
  readonly cidr: Cidr;
  readonly secondary: boolean;
}

interface Link {
  readonly device: string;
  /** Administratively up and with carrier: able to carry the address. */
  readonly live: boolean;
  readonly why: string;
  readonly addrs: readonly Addr[];
}

type Snapshot = ReadonlyMap<string, Link>;

interface Holder {
  readonly link: Link;
  readonly addr: Addr;
}

export class ServiceIpAgent implements ResourceAgent {
  readonly kind = 'serviceIp' as const;
  readonly resource: string;
  readonly #res: ServiceIpResource;
  readonly #ipat: 'alias' | 'replacement';
  readonly #candidates: readonly InterfaceDef[];
  readonly #labels: readonly PersistentLabelDef[];
  readonly #protected: readonly Cidr[];
  readonly #netns: string | undefined;
  readonly #timeoutMs: number;
  readonly #arpCount: number;
  readonly #runner: ProcessRunner;

  constructor(o: ServiceIpAgentOptions) {
    this.resource = o.resource.name;
    this.#res = o.resource;
    this.#ipat = o.ipat;
    this.#candidates = o.interfaces;
    this.#labels = o.persistentLabels ?? [];
    this.#protected = o.protectedAddresses ?? [];
    this.#netns = o.netns;
    this.#timeoutMs = o.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#arpCount = o.arpCount ?? DEFAULT_ARP_COUNT;
    this.#runner = o.runner ?? new ChildProcessRunner();
  }

  /**
   * One command per candidate interface. Aliasing: delete the service address from it.
   * Replacement, on an interface with a boot address: only if the service address is there,
   * put the boot address back unless it already is, then delete the service address; in
   * that order, as release does (see the header): the interface never loses its last
   * address, so the kernel keeps its routes. The boot added next to the service address
   * becomes its secondary when they share a subnet, and deleting a primary deletes its
   * secondaries unless promote_secondaries is set: the command sets it, as #remove does.
   */
  haltCommands(): readonly string[] {
    if (this.#res.ip === undefined) return [];
    const ip = this.#res.ip.cidr.address;
    const ns = this.#netns === undefined ? '' : `-n ${shellQuote(this.#netns)} `;
    return this.#candidates.map((c) => {
      const dev = shellQuote(c.device);
      const del = `ip ${ns}addr del ${ip.text} dev ${dev} 2>/dev/null`;
      const boot = c.address;
      if (this.#ipat === 'alias' || boot === undefined) return del;
      const has = (a: IpAddress): string =>
        `[ -n "$(ip ${ns}-o addr show dev ${dev} to ${a.text} 2>/dev/null)" ]`;
      const promote =
        ip.family === 4 ? `${commandLine(this.#sysctlArgv(c.device))} >/dev/null 2>&1; ` : '';
      const restore = `${has(boot.address)} || ip ${ns}addr add ${formatCidr(boot)} dev ${dev} 2>/dev/null`;
      return `if ${has(ip)}; then ${promote}${restore}; ${del}; fi`;
    });
  }

  async start(ctx: AgentContext = {}): Promise<void> {
    const op = 'start';
    const ip = this.#address(op);
    this.#refuseOwnAddressProtected(op, ip);
    const snap = await this.#read(op, ctx);
    const holders = holdersOf(snap, ip);
    const home = holders.find((h) => h.link.live && this.#candidate(h.link.device));
    if (home) {
      // Already online: only stray copies elsewhere (a half-finished move) need removing.
      await this.#release(
        op,
        holders.filter((h) => h !== home),
        ctx,
      );
      await this.#verifyOn(op, ip, home.link.device, snap, ctx);
      return;
    }
    const target = this.#pickTarget(op, snap, undefined);
    await this.#moveTo(op, snap, ip, target, holders, ctx);
  }

  async stop(ctx: AgentContext = {}): Promise<void> {
    const op = 'stop';
    const ip = this.#address(op);
    const snap = await this.#read(op, ctx);
    const holders = holdersOf(snap, ip);
    if (holders.length > 0) this.#refuseOwnAddressProtected(op, ip);
    await this.#release(op, holders, ctx);
    if (this.#ipat === 'replacement') {
      // A stop that failed half-way (service gone, boot not back) is finished by the retry.
      await this.#restoreMissingBoots(op, ctx);
    }
    const after = await this.#read(op, ctx);
    const left = holdersOf(after, ip);
    if (left.length > 0) {
      throw new AgentError(
        this.resource,
        op,
        `${ip.text} is still on ${left.map((h) => h.link.device).join(', ')} after ip addr del; check what re-adds it (NetworkManager, DHCP, another cluster manager)`,
      );
    }
    this.#checkProtectedKept(op, snap, after);
  }

  async monitor(ctx: AgentContext = {}): Promise<MonitorStatus> {
    const op = 'monitor';
    const ip = this.#address(op);
    const holders = holdersOf(await this.#read(op, ctx), ip);
    if (holders.length === 0) return { state: 'stopped' };
    if (holders.some((h) => h.link.live)) return { state: 'running' };
    return {
      state: 'failed',
      reason: `${ip.text} is on ${holders.map((h) => `${h.link.device}, which ${h.link.why}`).join('; ')}`,
    };
  }

  async validate(ctx: AgentContext = {}): Promise<readonly string[]> {
    const op = 'validate';
    const problems: string[] = [];
    const ip = this.#res.ip?.cidr.address;
    if (!ip) {
      return [
        `${this.resource}: address ${JSON.stringify(this.#res.address)} is not an IP address; give one such as 10.0.9.10/24`,
      ];
    }
    const own = this.#protection(ip);
    if (own)
      problems.push(
        `${this.resource}: address ${ip.text} is ${own}; give the service IP an address of its own`,
      );
    if (this.#candidates.length === 0) {
      problems.push(
        `${this.resource}: this node has no interface on network ${this.#res.network}; add one under the node's interfaces`,
      );
    }
    const snap = await this.#read(op, ctx);
    for (const c of this.#candidates) {
      if (!snap.has(c.device)) {
        problems.push(
          `${this.resource}: interface ${c.name} names device ${c.device}, which does not exist on this node; correct its device (see \`ip link\`)`,
        );
      }
      if (this.#ipat === 'replacement' && !c.address) {
        problems.push(
          `${this.resource}: interface ${c.name} has no boot address, which IPAT by replacement needs to swap with the service address; give it one`,
        );
      }
    }
    if (this.#res.arp && ip.family === 4 && this.#arpCount > 0) {
      const r = await this.#exec(op, this.#arpingArgv(['-V']), ctx).catch(() => undefined);
      if (r?.exitCode !== 0) {
        problems.push(
          `${this.resource}: arping (iputils-arping) cannot run, so no gratuitous ARP would follow a takeover; install iputils-arping or set arp: false`,
        );
      }
    }
    return problems;
  }

  /**
   * swap_adapter: moves the service address to another live interface of this node on the
   * same network (`toInterface`, an interface or device name, or else the first live one
   * other than the current). Its commands are reported with op `start`. Aliasing adds the
   * address on the new interface, announces it, then deletes it from the old one, so it is
   * never absent (see the header); replacement also gives the old interface its boot
   * address back and takes the new one's.
   */
  async swap(toInterface?: string, ctx: AgentContext = {}): Promise<void> {
    const op = 'start';
    const ip = this.#address(op);
    this.#refuseOwnAddressProtected(op, ip);
    const snap = await this.#read(op, ctx);
    const holders = holdersOf(snap, ip);
    const from = holders.find((h) => this.#candidate(h.link.device)) ?? holders[0];
    if (!from) {
      throw new AgentError(
        this.resource,
        op,
        `cannot swap: ${ip.text} is not on this node; start the resource first`,
      );
    }
    let target: InterfaceDef;
    if (toInterface === undefined) {
      target = this.#pickTarget(op, snap, from.link.device);
    } else {
      const named = this.#candidates.find(
        (c) => c.name === toInterface || c.device === toInterface,
      );
      if (!named) {
        throw new AgentError(
          this.resource,
          op,
          `cannot swap to ${toInterface}: it is not an interface of this node on network ${this.#res.network} (${this.#candidateList()})`,
        );
      }
      if (named.device === from.link.device) return;
      const link = snap.get(named.device);
      if (!link?.live) {
        throw new AgentError(
          this.resource,
          op,
          `cannot swap to ${toInterface}: ${named.device} ${link ? link.why : 'does not exist'}`,
        );
      }
      target = named;
    }
    await this.#moveTo(op, snap, ip, target, holders, ctx);
  }

  // ---- moving the address --------------------------------------------------------------

  /** Puts the address on `target`, announces it, then removes it from where it was. */
  async #moveTo(
    op: AgentOp,
    snap: Snapshot,
    ip: IpAddress,
    target: InterfaceDef,
    holders: readonly Holder[],
    ctx: AgentContext,
  ): Promise<void> {
    const dev = target.device;
    const cidr: Cidr = { address: ip, prefix: this.#prefixFor(target) };
    const add = ['addr', 'add', formatCidr(cidr), 'dev', dev];
    const label = this.#ipat === 'alias' ? aliasLabel(dev, ip) : undefined;
    if (label) add.push('label', label);
    // IPv6 duplicate address detection would leave the address unusable ("tentative") for a
    // second or more; the cluster already knows it is the only holder.
    if (ip.family === 6) add.push('nodad');
    await this.#ip(op, add, ctx);
    if (this.#ipat === 'replacement' && target.address) {
      await this.#remove(op, dev, target.address, true, ctx);
    }
    await this.#announce(dev, ip, ctx);
    await this.#release(
      op,
      holders.filter((h) => h.link.device !== dev),
      ctx,
    );
    await this.#verifyOn(op, ip, dev, snap, ctx);
  }

  /** Removes the service address from these holders (replacement: boot back first). */
  async #release(op: AgentOp, holders: readonly Holder[], ctx: AgentContext): Promise<void> {
    for (const h of holders) {
      const boot = this.#bootOf(h.link.device);
      if (
        this.#ipat === 'replacement' &&
        boot &&
        !h.link.addrs.some((a) => sameAddr(a.cidr.address, boot.address))
      ) {
        await this.#ip(op, ['addr', 'add', formatCidr(boot), 'dev', h.link.device], ctx);
      }
      await this.#remove(op, h.link.device, h.addr.cidr, false, ctx);
    }
  }

  /** Replacement: puts back the boot address of each candidate whose boot subnet is empty. */
  async #restoreMissingBoots(op: AgentOp, ctx: AgentContext): Promise<void> {
    const snap = await this.#read(op, ctx);
    for (const c of this.#candidates) {
      const link = snap.get(c.device);
      const boot = c.address;
      // An address on the boot subnet means something holds the interface (another service
      // address by replacement): the boot comes back when that one is released.
      if (
        !link ||
        !boot ||
        link.addrs.some((a) => sameSubnet({ address: a.cidr.address, prefix: boot.prefix }, boot))
      )
        continue;
      await this.#ip(op, ['addr', 'add', formatCidr(boot), 'dev', c.device], ctx);
    }
  }

  /**
   * Deletes one address from a device, refusing persistent labels and boot addresses
   * (`ownSwap`: the boot that replacement trades for the service address).
   */
  async #remove(
    op: AgentOp,
    dev: string,
    cidr: Cidr,
    ownSwap: boolean,
    ctx: AgentContext,
  ): Promise<void> {
    const label = this.#labels.find((l) => sameAddr(l.address.address, cidr.address));
    if (label) {
      throw new AgentError(
        this.resource,
        op,
        `refusing to remove ${cidr.address.text} from ${dev}: it is persistent label ${label.name} of node ${label.node}, which never moves`,
      );
    }
    if (!ownSwap && this.#isBoot(cidr.address)) {
      throw new AgentError(
        this.resource,
        op,
        `refusing to remove ${cidr.address.text} from ${dev}: it is a boot address of this node`,
      );
    }
    const link = (await this.#read(op, ctx)).get(dev);
    const entry = link?.addrs.find((a) => sameAddr(a.cidr.address, cidr.address));
    if (!link || !entry) return;
    // Deleting a primary IPv4 address deletes the secondaries of its subnet with it, unless
    // the device promotes one of them instead (systemd sets this by default, the kernel does
    // not). Here that would take a persistent label or another service address along, or
    // (replacement) the service address just added next to the boot.
    const secondaries = link.addrs.filter(
      (a) => a !== entry && a.secondary && sameSubnet(a.cidr, entry.cidr),
    );
    if (entry.cidr.address.family === 4 && !entry.secondary && secondaries.length > 0) {
      await this.#promoteSecondaries(op, dev, ctx);
    }
    await this.#ip(op, ['addr', 'del', formatCidr(entry.cidr), 'dev', dev], ctx);
  }

  async #promoteSecondaries(op: AgentOp, dev: string, ctx: AgentContext): Promise<void> {
    const argv = this.#sysctlArgv(dev);
    const r = await this.#exec(op, argv, ctx);
    if (r.exitCode !== 0) throw this.#failed(op, commandLine(argv), r);
  }

  /** Sets promote_secondaries on `dev` (in the namespace, if any). */
  #sysctlArgv(dev: string): Argv {
    // The slash form, because a VLAN device name (eth0.100) contains the dot separator.
    const argv: Argv = ['sysctl', '-q', '-w', `net/ipv4/conf/${dev}/promote_secondaries=1`];
    return this.#netns === undefined ? argv : ['ip', 'netns', 'exec', this.#netns, ...argv];
  }

  /** Gratuitous ARP; a failure is in the trace (onCommand) but does not fail the operation. */
  async #announce(dev: string, ip: IpAddress, ctx: AgentContext): Promise<void> {
    if (!this.#res.arp || ip.family !== 4 || this.#arpCount <= 0) return;
    // -U: unsolicited ARP (sender and target are the service address), which makes every
    // neighbour that has the address cached take the new MAC.
    const argv = this.#arpingArgv([
      '-U',
      '-c',
      String(this.#arpCount),
      '-I',
      dev,
      '-s',
      ip.text,
      ip.text,
    ]);
    // arping sends one packet per second: the limit must leave room for all of them. Only the
    // first is waited for (it leaves at once): the others follow in the background, so that
    // the announcement does not add seconds to every takeover.
    const timeoutMs = Math.max(this.#timeoutMs, this.#arpCount * 1000 + 2000);
    const sent = this.#exec('start', argv, ctx, timeoutMs).catch(() => undefined);
    await Promise.race([sent, new Promise((r) => setTimeout(r, FIRST_ARP_WAIT_MS))]);
  }

  #arpingArgv(args: readonly string[]): Argv {
    return this.#netns === undefined
      ? ['arping', ...args]
      : ['ip', 'netns', 'exec', this.#netns, 'arping', ...args];
  }

  async #verifyOn(
    op: AgentOp,
    ip: IpAddress,
    dev: string,
    before: Snapshot,
    ctx: AgentContext,
  ): Promise<void> {
    const after = await this.#read(op, ctx);
    const holders = holdersOf(after, ip);
    if (!holders.some((h) => h.link.device === dev)) {
      throw new AgentError(
        this.resource,
        op,
        `${ip.text} is not on ${dev} after ip addr add; check what removes it (NetworkManager, DHCP)`,
      );
    }
    const strays = holders.filter((h) => h.link.device !== dev);
    if (strays.length > 0) {
      throw new AgentError(
        this.resource,
        op,
        `${ip.text} is still on ${strays.map((h) => h.link.device).join(', ')} besides ${dev}`,
      );
    }
    this.#checkProtectedKept(op, before, after);
  }

  /** Every persistent label and boot address present before is still there. */
  #checkProtectedKept(op: AgentOp, before: Snapshot, after: Snapshot): void {
    const lost: string[] = [];
    for (const [dev, link] of before) {
      for (const a of link.addrs) {
        const swapped =
          this.#ipat === 'replacement' &&
          this.#candidates.some((c) => c.address && sameAddr(c.address.address, a.cidr.address));
        if (swapped || !this.#protection(a.cidr.address)) continue;
        const now = [...after.values()].some((l) =>
          l.addrs.some((b) => sameAddr(b.cidr.address, a.cidr.address)),
        );
        if (!now) lost.push(`${a.cidr.address.text} (was on ${dev})`);
      }
    }
    if (lost.length > 0) {
      throw new AgentError(
        this.resource,
        op,
        `these protected addresses disappeared: ${lost.join(', ')}; put them back with ip addr add and check net.ipv4.conf.<device>.promote_secondaries`,
      );
    }
  }

  // ---- choosing ----------------------------------------------------------------------

  /** The first live candidate (other than `except`); replacement needs one with a boot. */
  #pickTarget(op: AgentOp, snap: Snapshot, except: string | undefined): InterfaceDef {
    const usable = this.#candidates.filter(
      (c) => c.device !== except && (this.#ipat === 'alias' || c.address !== undefined),
    );
    const target = usable.find((c) => snap.get(c.device)?.live);
    if (target) return target;
    const states = usable.map((c) => {
      const link = snap.get(c.device);
      return `${c.device} ${link ? link.why : 'does not exist'}`;
    });
    const what = except === undefined ? 'no interface' : `no interface other than ${except}`;
    throw new AgentError(
      this.resource,
      op,
      `${what} of this node on network ${this.#res.network} is up${this.#ipat === 'replacement' ? ' with a boot address' : ''}${states.length ? ` (${states.join('; ')})` : ''}; bring one up, or check the interfaces of this node in the configuration`,
    );
  }

  /** The prefix given, else that of the boot subnet holding the address, else the target's. */
  #prefixFor(target: InterfaceDef): number {
    const ip = this.#res.ip;
    if (ip?.prefixGiven) return ip.cidr.prefix;
    const address = ip?.cidr.address;
    if (address) {
      const boot = this.#candidates.find(
        (c) => c.address && sameSubnet({ address, prefix: c.address.prefix }, c.address),
      );
      if (boot?.address) return boot.address.prefix;
      if (target.address?.address.family === address.family) return target.address.prefix;
      return address.family === 4 ? 32 : 128;
    }
    return 32;
  }

  #candidate(dev: string): boolean {
    return this.#candidates.some((c) => c.device === dev);
  }

  #bootOf(dev: string): Cidr | undefined {
    return this.#candidates.find((c) => c.device === dev)?.address;
  }

  #isBoot(a: IpAddress): boolean {
    return (
      this.#candidates.some((c) => c.address && sameAddr(c.address.address, a)) ||
      this.#protected.some((p) => sameAddr(p.address, a))
    );
  }

  /** What makes an address untouchable, or undefined. */
  #protection(a: IpAddress): string | undefined {
    const label = this.#labels.find((l) => sameAddr(l.address.address, a));
    if (label) return `persistent label ${label.name} of node ${label.node}`;
    if (this.#isBoot(a)) return 'a boot address of this node';
    return undefined;
  }

  #refuseOwnAddressProtected(op: AgentOp, ip: IpAddress): void {
    const what = this.#protection(ip);
    if (what) {
      throw new AgentError(
        this.resource,
        op,
        `refusing to manage ${ip.text}: it is ${what}, which never moves; give the service IP an address of its own`,
      );
    }
  }

  #candidateList(): string {
    return this.#candidates.map((c) => `${c.name} (${c.device})`).join(', ') || 'none';
  }

  #address(op: AgentOp): IpAddress {
    const a = this.#res.ip?.cidr.address;
    if (!a) {
      throw new AgentError(
        this.resource,
        op,
        `address ${JSON.stringify(this.#res.address)} is not an IP address; give one such as 10.0.9.10/24`,
      );
    }
    return a;
  }

  // ---- commands ----------------------------------------------------------------------

  async #read(op: AgentOp, ctx: AgentContext): Promise<Snapshot> {
    const out = await this.#ip(op, ['-j', 'addr', 'show'], ctx);
    try {
      return parseAddrJson(out);
    } catch (e) {
      throw new AgentError(
        this.resource,
        op,
        `cannot read the output of ip -j addr show: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  async #ip(op: AgentOp, args: readonly string[], ctx: AgentContext): Promise<string> {
    const argv: Argv =
      this.#netns === undefined ? ['ip', ...args] : ['ip', '-n', this.#netns, ...args];
    const r = await this.#exec(op, argv, ctx);
    if (r.exitCode !== 0) throw this.#failed(op, commandLine(argv), r);
    return r.stdout;
  }

  #failed(op: AgentOp, command: string, r: ProcessResult): AgentError {
    const extra = { exitCode: r.exitCode, timedOut: r.timedOut };
    if (r.timedOut) {
      return new AgentError(
        this.resource,
        op,
        `${command} did not finish within ${this.#timeoutMs} ms and was killed`,
        extra,
      );
    }
    if (r.aborted) return new AgentError(this.resource, op, `${command} was aborted`, extra);
    const how =
      r.exitCode === null
        ? `was killed by ${r.signal ?? 'a signal'}`
        : `exited with status ${r.exitCode}`;
    const tail = r.stderr.trim().split('\n').slice(-3).join(' / ');
    return new AgentError(this.resource, op, `${command} ${how}${tail ? `: ${tail}` : ''}`, extra);
  }

  /** Runs one command with a time limit and reports it; rejects only if it could not run. */
  async #exec(
    op: AgentOp,
    argv: Argv,
    ctx: AgentContext,
    timeoutMs = this.#timeoutMs,
  ): Promise<ProcessResult> {
    const command = commandLine(argv);
    const startedAtMs = Date.now();
    const report = (
      r: Omit<ProcessResult, 'pid' | 'aborted' | 'stdoutTruncated' | 'stderrTruncated'>,
    ): void => {
      ctx.onCommand?.({
        resource: this.resource,
        op,
        command,
        exitCode: r.exitCode,
        signal: r.signal,
        timedOut: r.timedOut,
        // The JSON of `ip -j` is read by the agent, not by people: the trace says how much.
        stdout:
          argv.includes('-j') && r.exitCode === 0
            ? `(${String(r.stdout.length)} bytes of JSON)`
            : r.stdout,
        stderr: r.stderr,
        startedAtMs,
        durationMs: r.durationMs,
      });
    };
    let r: ProcessResult;
    try {
      r = await this.#runner.run({
        command: argv,
        env: ENV,
        cwd: '/',
        timeoutMs,
        killGraceMs: KILL_GRACE_MS,
        maxOutputBytes: MAX_OUTPUT_BYTES,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      report({
        exitCode: null,
        signal: null,
        timedOut: false,
        stdout: '',
        stderr: message,
        durationMs: Date.now() - startedAtMs,
      });
      throw new AgentError(this.resource, op, `${command} could not run: ${message}`, { cause: e });
    }
    report(r);
    return r;
  }
}

// ---- parsing ---------------------------------------------------------------------------

function sameAddr(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

function holdersOf(snap: Snapshot, ip: IpAddress): Holder[] {
  const out: Holder[] = [];
  for (const link of snap.values()) {
    for (const addr of link.addrs) if (sameAddr(addr.cidr.address, ip)) out.push({ link, addr });
  }
  return out;
}

/** Parses `ip -j addr show` into devices, their state and their addresses. */
function parseAddrJson(text: string): Map<string, Link> {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error('expected a JSON array of interfaces');
  const out = new Map<string, Link>();
  for (const item of data as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    const device = o['ifname'];
    if (typeof device !== 'string') continue;
    const flags = Array.isArray(o['flags'])
      ? (o['flags'] as unknown[]).filter((f) => typeof f === 'string')
      : [];
    const up = flags.includes('UP');
    const carrier = flags.includes('LOWER_UP');
    const operstate = typeof o['operstate'] === 'string' ? o['operstate'] : 'unknown';
    const why = !up
      ? `is administratively down (operstate ${operstate})`
      : !carrier
        ? `has no carrier (operstate ${operstate})`
        : 'is up';
    const addrs: Addr[] = [];
    const infos = Array.isArray(o['addr_info']) ? (o['addr_info'] as unknown[]) : [];
    for (const info of infos) {
      if (typeof info !== 'object' || info === null) continue;
      const a = info as Record<string, unknown>;
      const local = typeof a['local'] === 'string' ? parseIp(a['local']) : undefined;
      const prefix = a['prefixlen'];
      if (!local || typeof prefix !== 'number') continue;
      addrs.push({ cidr: { address: local, prefix }, secondary: a['secondary'] === true });
    }
    // UP and LOWER_UP rather than operstate: some drivers (dummy, tun) never report "UP".
    out.set(device, { device, live: up && carrier, why, addrs });
  }
  return out;
}

/** A command line as a person would type it (arguments quoted only when they need it). */
function commandLine(argv: Argv): string {
  return argv.map(shellQuote).join(' ');
}
