// `haven agent`: the daemon of one node, in the foreground (for systemd). It reads the cluster
// definition and the cluster key, starts topology services (heartbeats on every network, in a
// worker thread), and serves the haven command on a root-only unix socket.
//
// SIGTERM or SIGINT stops it cleanly: the control socket closes, heartbeats stop (peers then
// see this node leave after their detection time), and the process exits 0.

import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parseClusterDefinition } from '../core/config/load.js';
import { formatDiagnostic } from '../core/config/diagnostic.js';
import { nextIncarnation } from '../core/heartbeat/replay.js';
import { FileStore } from '../runtime/store.js';
import { readKeyFile } from '../runtime/keyfile.js';
import { ControlError, ControlServer, type ControlHandler } from './control/server.js';
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
}

/** Exit statuses of the agent (systemd restarts it on anything but 0 and 1). */
export const AGENT_EXIT = { ok: 0, config: 1, internal: 70 } as const;

export async function runAgent(o: AgentOptions, log: Logger): Promise<number> {
  // A hung disk heartbeat can hold two libuv pool threads per diskhb network: keep enough for
  // the store and crypto. Must be set before the pool starts, i.e. before the first async I/O.
  process.env['UV_THREADPOOL_SIZE'] ??= '16';
  let text: string;
  try {
    text = await readFile(o.config, 'utf8');
  } catch (e) {
    log.error('cannot read the cluster definition', { file: o.config, error: String(e) });
    return AGENT_EXIT.config;
  }
  const loaded = parseClusterDefinition(text, o.config);
  for (const d of loaded.diagnostics) {
    if (d.severity === 'error') log.error(formatDiagnostic(d));
    else if (d.severity === 'warning') log.warn(formatDiagnostic(d));
  }
  if (!loaded.ok || !loaded.config) {
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
          loopDelay: { heartbeat: s.loopDelay, main: mainLoop.read() },
        };
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
  log.info('agent started', {
    pid: process.pid,
    incarnation: incarnation.toString(),
    socket: o.socket,
  });

  const stop = (signal: string): void => {
    log.info('stopping', { signal });
    fatal?.(AGENT_EXIT.ok);
  };
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
  process.once('SIGINT', () => {
    stop('SIGINT');
  });

  const code = await exited;
  await control.stop();
  await heartbeat.stop();
  mainLoop.stop();
  log.info('agent stopped', { code });
  return code;
}
