// `haven tiebreaker`: the quorum server, run on a third machine (outside the cluster's sites).
// It reads the cluster definition (the cluster id, the node ids, its own address and port
// from quorum.tieBreaker) and the cluster key, then answers the tie-breaker requests of the
// nodes over UDP until SIGTERM or SIGINT. It keeps no state on disk: after a start it grants
// nobody for one lease (see core/tiebreaker/server.ts).

import { formatDiagnostic } from '../core/config/diagnostic.js';
import type { Logger } from '../agent/log.js';
import { SystemClock } from '../runtime/clock.js';
import { loadClusterFile } from '../runtime/cluster-file.js';
import { HmacSha256Authenticator } from '../runtime/hmac.js';
import { readKeyFile } from '../runtime/keyfile.js';
import { TiebreakerServer } from '../runtime/tiebreaker-server.js';
import { UdpTransport } from '../runtime/udp.js';
import { TIEBREAKER_LEASE_MS } from '../agent/cluster/group-config.js';

export interface TiebreakerOptions {
  readonly config: string;
  readonly key: string;
  /** The address to listen on. @default quorum.tieBreaker.address */
  readonly listen?: string | undefined;
  /** @default quorum.tieBreaker.port */
  readonly port?: number | undefined;
  /** How long a grant runs, and the quiet time after a start. @default TIEBREAKER_LEASE_MS */
  readonly leaseMs?: number | undefined;
}

/** Exit statuses, as the agent's: 0 stopped, 1 configuration or start-up problem. */
export const TIEBREAKER_EXIT = { ok: 0, config: 1 } as const;

export async function runTiebreaker(
  o: TiebreakerOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<number> {
  // The server runs no events: the .rp files the definition names need not be on its machine.
  const loaded = await loadClusterFile(o.config, { programFiles: false });
  for (const d of loaded.diagnostics) if (d.severity === 'error') log.error(formatDiagnostic(d));
  if (!loaded.ok || !loaded.config) {
    log.error('the cluster definition has errors: fix them (haven verify FILE) and start again', {
      file: o.config,
    });
    return TIEBREAKER_EXIT.config;
  }
  const config = loaded.config;
  log.bind({ cluster: config.cluster.name, role: 'quorum-server' });
  const tb = config.quorum.tieBreaker;
  if (tb.type !== 'server') {
    log.error(
      `the cluster definition ${o.config} does not use a quorum server (quorum.tieBreaker is ${tb.type}): set quorum.tieBreaker to {type: server, address: ADDR, port: N} on every node, then start the server`,
    );
    return TIEBREAKER_EXIT.config;
  }
  let key: Uint8Array;
  try {
    key = await readKeyFile(o.key);
  } catch (e) {
    log.error(e instanceof Error ? e.message : String(e));
    return TIEBREAKER_EXIT.config;
  }
  // The definition allows a prefix length on the address; the server listens on the address.
  const address = o.listen ?? tb.address.split('/')[0] ?? tb.address;
  let server: TiebreakerServer;
  try {
    server = await TiebreakerServer.start({
      clusterId: config.cluster.id,
      nodes: new Set(config.nodes.map((n) => n.id)),
      leaseMs: o.leaseMs ?? TIEBREAKER_LEASE_MS,
      address,
      port: o.port ?? tb.port,
      mac: new HmacSha256Authenticator(key),
      clock: new SystemClock(),
      transport: new UdpTransport(),
      log: (level, msg, fields) => {
        log[level](msg, fields);
      },
    });
  } catch (e) {
    log.error(
      `cannot listen on ${address} port ${String(o.port ?? tb.port)}: ${e instanceof Error ? e.message : String(e)} (the address must be one of this machine's; give another with --listen, or 0.0.0.0 for all)`,
    );
    return TIEBREAKER_EXIT.config;
  }
  if (!signal.aborted)
    await new Promise<void>((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    });
  await server.stop();
  log.info('quorum server stopped', { dropped: Object.fromEntries(server.dropped) });
  return TIEBREAKER_EXIT.ok;
}
