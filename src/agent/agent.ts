// `haven agent`: the daemon of one node, in the foreground (for systemd). It reads the cluster
// definition and the cluster key, starts topology services (heartbeats on every network, in a
// worker thread) and cluster services (group services, the cluster manager and this node's
// resource groups: agent/cluster/), writes the cluster log and the event trace, and serves the
// haven command on a root-only unix socket.
//
// SIGTERM or SIGINT is a graceful stop: this node's groups go offline through a node_down event
// that the whole cluster runs (nobody takes them over), then the control socket closes,
// heartbeats stop and the process exits 0. A second signal exits at once, leaving whatever
// runs running (as a forced stop does).

import { hostname } from 'node:os';
import { loadClusterFile } from '../runtime/cluster-file.js';
import { formatDiagnostic } from '../core/config/diagnostic.js';
import { nextIncarnation } from '../core/heartbeat/replay.js';
import { FileStore } from '../runtime/store.js';
import { readKeyFile } from '../runtime/keyfile.js';
import { HmacSha256Authenticator } from '../runtime/hmac.js';
import { ChildProcessRunner } from '../runtime/process.js';
import { SystemClock } from '../runtime/clock.js';
import { SystemTimers } from '../runtime/timers.js';
import type { NodeNo } from '../core/cluster/node.js';
import { ControlError, ControlServer, type ControlHandler } from './control/server.js';
import type { ClusterStatusReply, OperatorReply } from './control/api.js';
import { groupConfigOf, nodeNames } from './cluster/group-config.js';
import { GroupTransport } from './cluster/transport.js';
import { ClusterService } from './cluster/service.js';
import { createTiebreaker } from './cluster/tiebreaker.js';
import { UdpTransport } from '../runtime/udp.js';
import { ResourceManager } from './cluster/resources.js';
import { parseGroupMessage } from './cluster/messages.js';
import { DeadManSwitch } from './cluster/deadman.js';
import { ApplicationMonitor } from './cluster/monitor.js';
import { FactsCollector } from './cluster/facts.js';
import { AdapterMonitor } from './cluster/adapters.js';
import { UserEventMonitor } from './cluster/user-events.js';
import { ResourceVariableReader } from '../runtime/resource-variables.js';
import { systemdNotifier } from './systemd-notify.js';
import { AgentLogs, DEFAULT_LOG_DIR } from './logs/index.js';
import { join } from 'node:path';
import { HeartbeatService } from './heartbeat/service.js';
import { startLoopDelayMonitor } from './loop-delay.js';
import type { Logger } from './log.js';

export interface AgentOptions {
  readonly config: string;
  readonly node?: string | undefined;
  readonly key: string;
  readonly stateDir: string;
  readonly socket: string;
  /** Enables test-only control methods (closing an interface's socket). */
  readonly testHooks?: boolean | undefined;
  /** Creates missing disk heartbeat files (for files standing in for shared disks). */
  readonly createDiskFiles?: boolean | undefined;
  /** Where cluster.log, events.log and the daily history go. @default DEFAULT_LOG_DIR */
  readonly logDir?: string | undefined;
}

/** Exit statuses of the agent (systemd restarts it on anything but 0 and 1). */
export const AGENT_EXIT = { ok: 0, config: 1, internal: 70 } as const;

export async function runAgent(o: AgentOptions, log: Logger): Promise<number> {
  // A hung disk heartbeat can hold two libuv pool threads per diskhb network: keep enough for
  // the store and crypto. Must be set before the pool starts, i.e. before the first async I/O.
  process.env['UV_THREADPOOL_SIZE'] ??= '16';
  const loaded = await loadClusterFile(o.config);
  for (const d of loaded.diagnostics) {
    if (d.severity === 'error') log.error(formatDiagnostic(d));
    else if (d.severity === 'warning') log.warn(formatDiagnostic(d));
  }
  const text = loaded.text;
  if (!loaded.ok || !loaded.config || text === undefined) {
    log.error('the cluster definition has errors: fix them (haven verify FILE) and start again', {
      file: o.config,
    });
    return AGENT_EXIT.config;
  }
  const config = loaded.config;
  const node = o.node ?? hostname();
  if (!config.nodes.some((n) => n.name === node)) {
    log.error(
      `this node, ${node}, is not in cluster ${config.cluster.name}: give --node with one of ${config.nodes.map((n) => n.name).join(', ')}`,
    );
    return AGENT_EXIT.config;
  }
  log.bind({ node, cluster: config.cluster.name });

  let key: Uint8Array;
  try {
    key = await readKeyFile(o.key);
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    return AGENT_EXIT.config;
  }

  // The incarnation must grow at every start, and be durable before the first heartbeat.
  const store = await FileStore.open(o.stateDir);
  const prev = await store.read('incarnation');
  const incarnation = nextIncarnation(
    prev ? BigInt(new TextDecoder().decode(prev)) : null,
    Date.now(),
  );
  await store.writeAtomic('incarnation', new TextEncoder().encode(incarnation.toString()));

  const mainLoop = startLoopDelayMonitor();
  let fatal: ((code: number) => void) | undefined;
  const exited = new Promise<number>((resolve) => (fatal = resolve));

  // ---- cluster services: logs, group transport, the cluster manager, resources ----
  const logDir = o.logDir ?? DEFAULT_LOG_DIR;
  const logs = AgentLogs.open(logDir, node, {
    onError: (e) => {
      log.warn('a log file cannot be written', { error: e.message });
    },
  });
  const names = nodeNames(config);
  const self = names.byName.get(node) as NodeNo;
  const rateLimited = rateLimiter();
  /** Paths (node:network, node:network:interface) reported down, until they come back. */
  const failedPaths = new Set<string>();
  /** Peers topology services reported down (every path silent). */
  const downNodes = new Set<string>();
  const service: { current?: ClusterService } = {};
  const mac = new HmacSha256Authenticator(key);
  let transport: GroupTransport;
  try {
    transport = await GroupTransport.start({
      config,
      self,
      incarnation,
      mac,
      onMessage: (from, body) => service.current?.message(from, body),
      onError: (e) => {
        if (rateLimited('transport')) log.warn('group services socket error', { error: e.message });
      },
    });
  } catch (e) {
    log.error('cannot open the group services sockets', {
      error: e instanceof Error ? e.message : String(e),
    });
    await logs.close();
    return AGENT_EXIT.config;
  }
  const deadman = DeadManSwitch.start(o.stateDir, (e) => {
    log.error('the dead man switch could not start', { error: e.message });
  });
  const resources = new ResourceManager({
    config,
    node,
    ocfStateDir: join(o.stateDir, 'ocf'),
    outputDir: logDir,
    onHalt: (commands) => {
      void deadman.update(commands);
    },
  });
  const groupConfig = groupConfigOf(config);
  const tiebreaker = createTiebreaker({
    config,
    self,
    incarnation,
    mac,
    leaseMs: groupConfig.tieBreaker?.leaseMs ?? 0,
    createDiskFiles: o.createDiskFiles === true,
    logger: log,
    timers: new SystemTimers(),
    transport: new UdpTransport(),
  });
  const clusterService = new ClusterService({
    config,
    groupConfig,
    tiebreaker,
    self,
    incarnation: Number(incarnation),
    send: (to, msg) => {
      transport.send(to, msg);
    },
    parse: parseGroupMessage,
    onBadMessage: (from, why) => {
      transport.countBadMessage();
      if (rateLimited(`bad:${String(from)}`))
        log.warn('dropped a group services message', { from: names.name(from), why });
    },
    logger: log,
    logs,
    resources,
    runner: new ChildProcessRunner(),
    clock: new SystemClock(),
    timers: new SystemTimers(),
    onExit: () => {
      fatal?.(AGENT_EXIT.ok);
    },
  });
  service.current = clusterService;
  // Application monitors: restart, then fallover or notify (the reference's application monitors).
  const monitor = new ApplicationMonitor({
    resources,
    node,
    runner: new ChildProcessRunner(),
    clock: new SystemClock(),
    timers: new SystemTimers(),
    onGroupFailed: (group, reason) => {
      clusterService.groupFailed(group, reason);
    },
    log: (level, msg, fields) => {
      log[level](msg, fields);
      if (level !== 'debug') logs.clusterLog.log(level, msg, fields);
    },
    trace: (t) => {
      logs.event({ type: 'resource', eventId: undefined, ...t });
    },
  });
  resources.watch(monitor);
  // Facts for dynamic node priority, sent to the view's leader every 5 s (only when a group
  // uses it: otherwise nobody reads them).
  const dynamic = config.resourceGroups.some((g) => g.fallover === 'dynamic-priority');
  const facts = dynamic
    ? new FactsCollector({
        config,
        node,
        runner: new ChildProcessRunner(),
        onFacts: (f) => {
          clusterService.facts(f);
        },
        onError: (what, e) => {
          if (rateLimited(`facts:${what}`))
            log.warn(`dynamic node priority: cannot read ${what}`, {
              error: e instanceof Error ? e.message : String(e),
            });
        },
      })
    : undefined;

  // User-defined events: this node's resource variables sampled at each event's interval; a
  // predicate that becomes true queues the event cluster-wide.
  const userEvents = new UserEventMonitor({
    config,
    node,
    reader: new ResourceVariableReader(),
    timers: new SystemTimers(),
    onEvent: (name, details) => {
      clusterService.localEvent(name, self, undefined, details);
    },
    log: (level, msg, fields) => {
      log[level](msg, fields);
      logs.clusterLog.log(level, msg, fields);
    },
  });

  // Local adapter failures: a failed interface holding a service address queues swap_adapter,
  // whose program moves the address to another live interface of this node (adapters.ts).
  const adapters = new AdapterMonitor({
    config,
    node,
    resources,
    timers: new SystemTimers(),
    onSwap: (network, details) => {
      clusterService.localEvent('swap_adapter', self, network, details);
    },
    log: (level, msg, fields) => {
      log[level](msg, fields);
      logs.clusterLog.log(level, msg, fields);
    },
  });

  const heartbeat = await HeartbeatService.start(
    {
      configText: text,
      configFile: o.config,
      localNode: node,
      key,
      incarnation,
      createDiskFiles: o.createDiskFiles === true,
    },
    {
      onEvent: (event, wallMs) => {
        log.info(event.type, { event }, wallMs);
        if (event.type === 'local_stall') return;
        const id = names.byName.get(event.node);
        if (id === undefined) return;
        switch (event.type) {
          case 'node_up':
          case 'node_down':
            logs.clusterLog.log(event.type === 'node_up' ? 'info' : 'warn', event.type, {
              node: event.node,
            });
            if (event.type === 'node_up') downNodes.delete(event.node);
            else {
              downNodes.add(event.node);
              // Its paths are the node_down's business: their return is not news either.
              for (const p of failedPaths)
                if (p.startsWith(`${event.node}:`)) failedPaths.delete(p);
            }
            clusterService.peer(id, event.type === 'node_up');
            break;
          case 'network_up':
          case 'network_down':
          case 'fail_interface':
          case 'join_interface': {
            // A path heard for the first time is not news: only a failure, and the return of
            // what failed, become cluster events.
            const what = `${event.node}:${event.network}${'iface' in event ? `:${event.iface}` : ''}`;
            const up = event.type === 'network_up' || event.type === 'join_interface';
            if (up && !failedPaths.delete(what)) break;
            if (!up) failedPaths.add(what);
            logs.clusterLog.log(
              event.type.endsWith('down') || event.type.startsWith('fail') ? 'warn' : 'info',
              event.type,
              { node: event.node, network: event.network },
            );
            // A whole node going silent reports its paths first, then itself: wait a moment,
            // and leave the paths of a node that went down to the node_down event.
            const { type, network } = event;
            setTimeout(() => {
              if (!up && downNodes.has(event.node)) return;
              clusterService.localEvent(type, id, network);
            }, PATH_EVENT_DELAY_MS);
            break;
          }
          default:
            break;
        }
      },
      onProblem: (problem, wallMs) => {
        log.warn(`heartbeat problem: ${problem.type}`, { problem }, wallMs);
      },
      onExit: (error) => {
        log.error('topology services stopped unexpectedly; the agent exits', { error });
        fatal?.(AGENT_EXIT.internal);
      },
    },
  );

  const ok = (message: string): OperatorReply => ({ accepted: true, message });
  const str = (p: Record<string, unknown>, k: string): string | undefined =>
    typeof p[k] === 'string' ? p[k] : undefined;
  const groupOf = (p: Record<string, unknown>) => {
    const name = str(p, 'group') ?? '';
    const g = config.resourceGroups.find((x) => x.name === name);
    if (!g)
      throw new ControlError(
        'not-found',
        `no resource group ${JSON.stringify(name)}; the groups are ${config.resourceGroups.map((x) => x.name).join(', ') || '(none)'}`,
      );
    return g;
  };
  const nodeIn = (g: { name: string; nodes: readonly string[] }, name: string): NodeNo => {
    const id = names.byName.get(name);
    if (id === undefined)
      throw new ControlError(
        'not-found',
        `no node ${JSON.stringify(name)}; the nodes are ${config.nodes.map((n) => n.name).join(', ')}`,
      );
    if (!g.nodes.includes(name))
      throw new ControlError(
        'invalid',
        `${name} is not in the node list of ${g.name} (${g.nodes.join(', ')}); add it there first`,
      );
    return id;
  };

  const handlers = new Map<string, ControlHandler>([
    ['agent.ping', () => Promise.resolve({ node, pid: process.pid })],
    [
      'topology.status',
      async () => {
        const s = await heartbeat.status();
        if (!s) throw new ControlError('unavailable', 'topology services are not running');
        return {
          cluster: config.cluster.name,
          node,
          networks: config.networks.map((n) => ({
            name: n.name,
            type: n.type,
            intervalMs: n.heartbeat.intervalMs,
            sensitivity: n.heartbeat.sensitivity,
            nodes: config.nodes
              .filter((x) => x.interfaces.some((i) => i.network === n.name))
              .map((x) => x.name),
          })),
          heartbeat: s.status,
          groupTransport: transport.stats(),
          loopDelay: { heartbeat: s.loopDelay, main: mainLoop.read() },
        };
      },
    ],
    [
      'cluster.status',
      async (): Promise<ClusterStatusReply> => {
        const s = await heartbeat.status();
        const cm = clusterService.cm();
        const stops = clusterService.stops();
        const members = new Set(cm.view?.members ?? []);
        const peers = new Map((s?.status.topology.nodes ?? []).map((n) => [n.node, n]));
        return {
          cluster: config.cluster.name,
          node,
          cm,
          nodes: config.nodes.map((n) => {
            const peer = peers.get(n.name);
            const stop = stops.get(n.id) ?? null;
            const heard = n.name === node || peer?.state === 'up';
            const state = stop
              ? 'stopped'
              : members.has(n.name)
                ? 'up'
                : heard
                  ? 'joining'
                  : 'down';
            return {
              name: n.name,
              id: n.id,
              state,
              stopMode: stop,
              networks: config.networks
                .filter((net) => n.interfaces.some((i) => i.network === net.name))
                .map((net) => {
                  const ns = peer?.networks.find((x) => x.network === net.name);
                  const ifs = n.interfaces.filter((i) => i.network === net.name);
                  return {
                    network: net.name,
                    state: n.name === node || ns?.state === 'up' ? 'up' : 'down',
                    interfaces: ifs.map((i) => ({
                      name: i.name,
                      address: i.address ? i.address.address.text : null,
                      state:
                        n.name === node ||
                        ns?.interfaces.find((x) => x.iface === i.name)?.state === 'up'
                          ? 'up'
                          : 'down',
                    })),
                  };
                }),
            };
          }),
          groups: clusterService.groups(),
          errors: clusterService.errors(),
        };
      },
    ],
    [
      'rg.info',
      () =>
        Promise.resolve({
          cluster: config.cluster.name,
          node,
          groups: clusterService.groups(),
        }),
    ],
    ['events.list', () => Promise.resolve(clusterService.events())],
    [
      'cluster.stop',
      (p) => {
        const mode = str(p, 'mode') ?? 'graceful';
        if (mode !== 'graceful' && mode !== 'takeover' && mode !== 'forced')
          throw new ControlError(
            'invalid',
            `unknown stop mode ${JSON.stringify(mode)}: graceful, takeover or forced`,
          );
        const all = p['all'] === true;
        clusterService.operator({ type: 'stop', mode, all });
        return Promise.resolve(
          ok(
            `stopping cluster services on ${all ? 'every node' : node} (${mode}); follow it with haven events`,
          ),
        );
      },
    ],
    [
      'cluster.start',
      () =>
        Promise.reject(
          new ControlError('invalid', `cluster services are already running on ${node}`),
        ),
    ],
    [
      'cluster.resume',
      () => {
        if (clusterService.errors().length === 0)
          throw new ControlError('invalid', 'no event is in error: nothing to resume');
        clusterService.operator({ type: 'resume' });
        return Promise.resolve(ok('resuming the events in error on every node'));
      },
    ],
    [
      'rg.move',
      (p) => {
        const g = groupOf(p);
        const to = nodeIn(g, str(p, 'node') ?? '');
        clusterService.operator({ type: 'rg-move', group: g.name, to });
        return Promise.resolve(
          ok(
            `moving ${g.name} to ${names.name(to)} (a priority override); follow it with haven events`,
          ),
        );
      },
    ],
    [
      'rg.online',
      (p) => {
        const g = groupOf(p);
        const target = str(p, 'node');
        const to = target === undefined ? undefined : nodeIn(g, target);
        clusterService.operator(
          to === undefined
            ? { type: 'rg-online', group: g.name }
            : { type: 'rg-online', group: g.name, node: to },
        );
        return Promise.resolve(ok(`bringing ${g.name} online${target ? ` on ${target}` : ''}`));
      },
    ],
    [
      'rg.offline',
      (p) => {
        const g = groupOf(p);
        clusterService.operator({ type: 'rg-offline', group: g.name });
        return Promise.resolve(ok(`taking ${g.name} offline`));
      },
    ],
  ]);
  if (o.testHooks === true) {
    handlers.set('test.close-interface', async (p) => {
      const name = typeof p['interface'] === 'string' ? p['interface'] : '';
      if (!(await heartbeat.closeInterface(name))) {
        throw new ControlError('not-found', `no open interface ${name} on this node`);
      }
      log.warn('test hook: closed the heartbeat socket of an interface', { interface: name });
      return { closed: name };
    });
  }
  const control = await ControlServer.start(o.socket, handlers, (e) => {
    log.warn('control socket error', { error: e.message });
  });
  clusterService.start();
  facts?.start();
  adapters.start();
  userEvents.start();
  // systemd (Type=notify): ready now; the watchdog is pinged only while this thread runs (the
  // ping's timer fires) and the heartbeat thread answers within a second.
  const notifier = systemdNotifier();
  notifier.ready();
  const stopWatchdog = notifier.watchdog(async () => {
    const answer = await Promise.race([
      heartbeat.status(),
      new Promise<undefined>((r) => {
        setTimeout(() => {
          r(undefined);
        }, 1000);
      }),
    ]);
    return answer !== undefined;
  });
  log.info('agent started', {
    pid: process.pid,
    incarnation: incarnation.toString(),
    socket: o.socket,
    logDir,
  });
  logs.clusterLog.log('info', 'agent started', { pid: process.pid });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn('second signal: exiting now, leaving resources as they are', { signal });
      fatal?.(AGENT_EXIT.ok);
      return;
    }
    stopping = true;
    log.info('stopping: graceful stop of cluster services', { signal });
    clusterService.operator({ type: 'stop', mode: 'graceful' });
  };
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.on('SIGINT', () => {
    stop('SIGINT');
  });

  const code = await exited;
  notifier.stopping();
  stopWatchdog();
  await monitor.stop();
  facts?.stop();
  await adapters.stop();
  userEvents.stop();
  // Whatever runs now was left running on purpose (a forced stop, or a second signal).
  await deadman.disarm();
  await control.stop();
  await heartbeat.stop();
  await transport.close();
  await tiebreaker.close();
  mainLoop.stop();
  logs.clusterLog.log('info', 'agent stopped', { code });
  await logs.close();
  log.info('agent stopped', { code });
  return code;
}

/** How long a path event waits for the node_down that may follow it (same detection round). */
const PATH_EVENT_DELAY_MS = 250;

/** True at most once a minute per key: for warnings a broken peer could repeat endlessly. */
function rateLimiter(): (key: string) => boolean {
  const last = new Map<string, number>();
  return (key) => {
    const now = Date.now();
    if (now - (last.get(key) ?? -Infinity) < 60_000) return false;
    last.set(key, now);
    return true;
  };
}
