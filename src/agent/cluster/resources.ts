// This node's resource groups: each group's resources as agents (service IPs, file systems,
// applications, OCF agents, systemd units), brought online in the order of ACQUIRE_ORDER and
// offline in reverse by a GroupRunner, one group after another. What every resource did goes
// to the event trace.

import type { ClusterConfig, MonitorDef, ResourceDef } from '../../core/config/model.js';
import type { Argv, ProcessRunner } from '../../core/ports/process.js';
import { parseIp } from '../../core/net/ip.js';
import { ChildProcessRunner } from '../../runtime/process.js';
import { AgentError, type AgentCommand, type ResourceAgent } from '../../runtime/agents/agent.js';
import { ApplicationAgent } from '../../runtime/agents/application.js';
import { FilesystemAgent } from '../../runtime/agents/filesystem.js';
import { GroupRunner, acquireOrder, type GroupStep } from '../../runtime/agents/group-runner.js';
import { OcfAgent } from '../../runtime/agents/ocf.js';
import { ServiceIpAgent } from '../../runtime/agents/service-ip.js';
import { SystemdAgent } from '../../runtime/agents/systemd.js';
import type { GroupWatcher, MonitoredApplication } from './monitor.js';
import type { ResourceOps, ResourceTrace } from './service.js';

export interface ResourceManagerOptions {
  readonly config: ClusterConfig;
  readonly node: string;
  readonly runner?: ProcessRunner;
  /** Where OCF agents keep their state (HA_RSCTMP). */
  readonly ocfStateDir?: string;
  /** Where background application starts write their output. */
  readonly outputDir?: string;
  /** The commands that would halt what this node holds now changed (the dead man switch). */
  readonly onHalt?: (commands: readonly string[]) => void;
  /** Run the service IP agents and the address lookups inside this network namespace (tests). */
  readonly netns?: string;
}

/** What swap() did: each service address moved, and each that could not be. */
export interface SwapResult {
  readonly moved: readonly { resource: string; address: string; from: string; to: string }[];
  readonly failed: readonly { resource: string; reason: string }[];
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The longest the halt after lost quorum may take, all groups together. */
const HALT_SCRIPT_TIMEOUT_MS = 10 * 60 * 1000;

/** A resource kind this version cannot manage yet: every start fails, saying so. */
class UnsupportedAgent implements ResourceAgent {
  constructor(
    readonly resource: string,
    readonly kind: ResourceDef['kind'],
    readonly why: string,
  ) {}
  start(): Promise<void> {
    return Promise.reject(new AgentError(this.resource, 'start', this.why));
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  monitor(): Promise<{ state: 'stopped' }> {
    return Promise.resolve({ state: 'stopped' });
  }
}

export class ResourceManager implements ResourceOps {
  readonly #o: ResourceManagerOptions;
  /** Each group's agents, kept: an application agent remembers the processes it started. */
  readonly #agents = new Map<string, readonly ResourceAgent[]>();
  #held: ReadonlySet<string> = new Set();
  #watcher: GroupWatcher | undefined;

  constructor(o: ResourceManagerOptions) {
    this.#o = o;
  }

  /** The agent of one resource on this node. */
  agentOf(def: ResourceDef, group: string): ResourceAgent {
    const { config, node } = this.#o;
    const runner = this.#o.runner ? { runner: this.#o.runner } : {};
    switch (def.kind) {
      case 'serviceIp': {
        const me = config.nodes.find((n) => n.name === node);
        const net = config.networks.find((n) => n.name === def.network);
        return new ServiceIpAgent({
          resource: def,
          ipat: net?.ipat ?? 'alias',
          interfaces: me?.interfaces.filter((i) => i.network === def.network) ?? [],
          persistentLabels: me?.persistentLabels ?? [],
          protectedAddresses: (me?.interfaces ?? []).flatMap((i) =>
            i.address === undefined ? [] : [i.address],
          ),
          ...runner,
          ...(this.#o.netns === undefined ? {} : { netns: this.#o.netns }),
        });
      }
      case 'filesystem':
        return new FilesystemAgent({ resource: def, env: { PATH }, ...runner });
      case 'application':
        return new ApplicationAgent({
          resource: def,
          group,
          node,
          env: { PATH, LANG: 'C.UTF-8' },
          onProcessGroup: () => {
            this.#halt();
          },
          ...runner,
          ...(this.#o.outputDir
            ? { backgroundOutput: `${this.#o.outputDir}/${def.name}.out` }
            : {}),
        });
      case 'ocf':
        return new OcfAgent(def, {
          ...runner,
          ...(this.#o.ocfStateDir ? { stateDir: this.#o.ocfStateDir } : {}),
        });
      case 'systemd':
        return new SystemdAgent(def, runner);
      case 'volumeGroup':
        return new UnsupportedAgent(
          def.name,
          def.kind,
          'LVM volume groups are not managed by this version of Haven: use an OCF agent (heartbeat:LVM-activate) instead',
        );
    }
  }

  /**
   * The application monitor (monitor.ts) is told which groups are held, when a group comes
   * online, and when its release begins (the release waits for the watcher first).
   */
  watch(watcher: GroupWatcher): void {
    this.#watcher = watcher;
    watcher.holding(this.#held);
  }

  /** A group's applications with the agents that run them here, for the application monitor. */
  applications(group: string): MonitoredApplication[] {
    return this.#agentsOf(group).flatMap((agent) => {
      const def = this.#o.config.resources.find((r) => r.name === agent.resource);
      if (def?.kind !== 'application') return [];
      // A separate agent per monitor: ApplicationAgent.monitor() runs all monitors at once,
      // and each monitor has its own interval. It only ever runs monitor().
      const checker = (m: MonitorDef): ResourceAgent =>
        this.agentOf({ ...def, monitors: [m] }, group);
      return [{ def, agent, checker }];
    });
  }

  #agentsOf(group: string): readonly ResourceAgent[] {
    let agents = this.#agents.get(group);
    if (!agents) {
      const def = this.#o.config.resourceGroups.find((g) => g.name === group);
      agents = (def?.resources ?? []).flatMap((name) => {
        const res = this.#o.config.resources.find((x) => x.name === name);
        return res ? [this.agentOf(res, group)] : [];
      });
      this.#agents.set(group, agents);
    }
    return agents;
  }

  #runner(
    group: string,
    trace: (op: ResourceTrace) => void,
    commands: Map<string, AgentCommand[]>,
  ): GroupRunner {
    const agents = this.#agentsOf(group);
    return new GroupRunner({ group, agents, onStep: stepTracer(commands, trace) });
  }

  async acquire(
    groups: readonly string[],
    trace: (op: ResourceTrace) => void,
  ): Promise<{ group: string; reason: string }[]> {
    const failed: { group: string; reason: string }[] = [];
    for (const group of groups) {
      const commands = new Map<string, AgentCommand[]>();
      const r = await this.#runner(group, trace, commands).acquire(collector(commands));
      if (!r.ok) {
        const also = r.rollbackFailures.map(
          (f) => ` (and ${f.resource} did not stop: ${f.error.details.reason})`,
        );
        failed.push({ group, reason: `${r.failure.error.message}${also.join('')}` });
      } else {
        this.#watcher?.online(group);
      }
    }
    this.#halt();
    return failed;
  }

  async release(
    groups: readonly string[],
    trace: (op: ResourceTrace) => void,
  ): Promise<{ group: string; reason: string }[]> {
    const failed: { group: string; reason: string }[] = [];
    // Monitoring ends (and a restart in flight is over) before anything is stopped: a monitor
    // must not restart what the release takes down.
    const watcher = this.#watcher;
    if (watcher) await Promise.all(groups.map((g) => watcher.releasing(g)));
    for (const group of groups) {
      const commands = new Map<string, AgentCommand[]>();
      const r = await this.#runner(group, trace, commands).release(collector(commands));
      if (!r.ok) failed.push({ group, reason: r.failures.map((f) => f.error.message).join('; ') });
    }
    this.#halt();
    return failed;
  }

  async haltNow(groups: readonly string[]): Promise<{ exitCode: number | null; output: string }> {
    // Monitoring ends first, as for a release: a monitor must not restart what the halt kills.
    const watcher = this.#watcher;
    if (watcher) await Promise.all(groups.map((g) => watcher.releasing(g)));
    const agents = groups.map((g) => acquireOrder(this.#agentsOf(g)).reverse());
    const script = haltScript(agents.map((as) => as.flatMap((a) => a.haltCommands?.() ?? [])));
    let result: { exitCode: number | null; output: string } = { exitCode: 0, output: '' };
    if (script.length > 0) {
      try {
        const r = await (this.#o.runner ?? new ChildProcessRunner()).run({
          command: ['/bin/sh', '-c', script.join('\n')],
          env: { PATH },
          cwd: '/',
          // Each command is bounded by its resource's time limit; this bounds the whole.
          timeoutMs: HALT_SCRIPT_TIMEOUT_MS,
          killGraceMs: 1000,
          maxOutputBytes: 64 * 1024,
        });
        result = { exitCode: r.exitCode, output: `${r.stdout}${r.stderr}` };
      } catch (e) {
        result = { exitCode: null, output: e instanceof Error ? e.message : String(e) };
      }
    }
    for (const a of agents.flat()) a.halted?.();
    return result;
  }

  holding(groups: ReadonlySet<string>): void {
    this.#held = new Set(groups);
    this.#halt();
    this.#watcher?.holding(this.#held);
  }

  /**
   * The service addresses of the groups this node holds that are on `device` now, as
   * "resource (address)": what the adapter monitor (adapters.ts) asks about a failed link.
   * One `ip -j addr show dev <device>`.
   */
  async serviceAddressesOn(device: string): Promise<readonly string[]> {
    return (await this.#serviceIpsOn(device)).map((s) => `${s.agent.resource} (${s.address})`);
  }

  /**
   * swap_adapter on this node: moves every service address of a held group that is on
   * interface `from` to interface `to` (names or devices of this node's interfaces), each by
   * its agent's swap(), traced like any resource operation (op start). Rejects when `from` is
   * not an interface of this node; an address that is no longer on `from` is not moved (a swap
   * run twice moves nothing the second time).
   */
  async swap(
    from: string,
    to: string | undefined,
    trace: (op: ResourceTrace) => void,
  ): Promise<SwapResult> {
    const me = this.#o.config.nodes.find((n) => n.name === this.#o.node);
    const source = me?.interfaces.find((i) => i.name === from || i.device === from);
    if (!source) {
      const known = (me?.interfaces ?? []).map((i) => `${i.name} (${i.device})`).join(', ');
      throw new Error(
        `swap_adapter: ${from} is not an interface of node ${this.#o.node} (${known || 'none'}); check the event's details`,
      );
    }
    const target =
      to === undefined ? undefined : me?.interfaces.find((i) => i.name === to || i.device === to);
    const moved: { resource: string; address: string; from: string; to: string }[] = [];
    const failed: { resource: string; reason: string }[] = [];
    for (const { agent, address } of await this.#serviceIpsOn(source.device)) {
      const commands: AgentCommand[] = [];
      const startMs = Date.now();
      let error: AgentError | Error | undefined;
      try {
        await agent.swap(to, { onCommand: (c) => commands.push(c) });
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
      const reason = error instanceof AgentError ? error.details.reason : error?.message;
      trace({
        resource: agent.resource,
        op: 'start',
        outcome: error ? 'failed' : 'ok',
        detail:
          reason ??
          `swap_adapter: ${address} moved from ${source.name} (${source.device}) to ${target ? `${target.name} (${target.device})` : 'another interface'}`,
        durationMs: Date.now() - startMs,
        commands,
      });
      if (reason !== undefined) failed.push({ resource: agent.resource, reason });
      else
        moved.push({
          resource: agent.resource,
          address,
          from: source.name,
          to: target?.name ?? 'another interface',
        });
    }
    return { moved, failed };
  }

  /** The service IP agents of held groups whose address is on `device` now. */
  async #serviceIpsOn(device: string): Promise<{ agent: ServiceIpAgent; address: string }[]> {
    const argv: Argv = [
      'ip',
      ...(this.#o.netns === undefined ? [] : ['-n', this.#o.netns]),
      '-j',
      'addr',
      'show',
      'dev',
      device,
    ];
    const r = await (this.#o.runner ?? new ChildProcessRunner()).run({
      command: argv,
      env: { PATH },
      cwd: '/',
      timeoutMs: 10_000,
      killGraceMs: 1000,
      maxOutputBytes: 1 << 20,
    });
    if (r.exitCode !== 0) {
      throw new Error(
        `${argv.join(' ')} ${r.timedOut ? 'timed out' : `exited with status ${String(r.exitCode)}`}: ${r.stderr.trim()}`,
      );
    }
    const here = new Set<string>();
    for (const link of JSON.parse(r.stdout) as { addr_info?: { local?: unknown }[] }[])
      for (const a of link.addr_info ?? []) {
        const ip = typeof a.local === 'string' ? parseIp(a.local) : undefined;
        if (ip) here.add(`${String(ip.family)}:${ip.value.toString()}`);
      }
    const out: { agent: ServiceIpAgent; address: string }[] = [];
    for (const group of [...this.#held].sort()) {
      for (const agent of this.#agentsOf(group)) {
        if (!(agent instanceof ServiceIpAgent)) continue;
        const def = this.#o.config.resources.find((x) => x.name === agent.resource);
        const ip = def?.kind === 'serviceIp' ? def.ip?.cidr.address : undefined;
        if (ip && here.has(`${String(ip.family)}:${ip.value.toString()}`))
          out.push({ agent, address: ip.text });
      }
    }
    return out;
  }

  /** What the dead man switch runs (haltScript): the held groups' halt commands. */
  #halt(): void {
    this.#o.onHalt?.(
      haltScript(
        [...this.#held].sort().map((group) =>
          acquireOrder(this.#agents.get(group) ?? [])
            .reverse()
            .flatMap((a) => a.haltCommands?.() ?? []),
        ),
      ),
    );
  }
}

/** An agent context that collects each resource's commands for its step's trace. */
function collector(commands: Map<string, AgentCommand[]>): {
  onCommand: (c: AgentCommand) => void;
} {
  return {
    onCommand: (c) => {
      commands.set(c.resource, [...(commands.get(c.resource) ?? []), c]);
    },
  };
}

/** Traces each step of a group runner with the commands its resource ran. */
function stepTracer(
  commands: Map<string, AgentCommand[]>,
  trace: (op: ResourceTrace) => void,
): (s: GroupStep) => void {
  return (s) => {
    trace({
      resource: s.resource,
      op: s.op,
      outcome: s.outcome,
      ...(s.error ? { detail: s.error.details.reason } : {}),
      durationMs: s.durationMs,
      commands: commands.get(s.resource) ?? [],
    });
    commands.delete(s.resource);
  };
}

/**
 * The halt script's lines: each group's halt commands (newest resource first) in a subshell of
 * its own, all groups at once, then a wait. A group whose stop is slow, or stuck on a hung
 * disk that even SIGKILL cannot end, must not hold back another group's kill and address
 * removal while another node takes that group over.
 */
export function haltScript(groups: readonly (readonly string[])[]): string[] {
  const lines: string[] = [];
  for (const commands of groups) {
    if (commands.length === 0) continue;
    lines.push('(', ...commands.map((c) => `  ${c}`), ') &');
  }
  if (lines.length > 0) lines.push('wait');
  return lines;
}
