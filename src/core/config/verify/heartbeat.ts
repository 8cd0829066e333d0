// Heartbeat timing: per network, the interval and the detection time it gives; for the
// cluster, how long a dead node goes unnoticed. The limits:
// - interval from 50ms to 10s: below, heartbeats compete with the work itself and a busy
//   node misses them (false failures); above, failures go unnoticed for too long to call the
//   cluster highly available.
// - detection over 30s: the reference's systems detect in tens of seconds, Haven is meant to
//   do better; beyond 30s clients notice before the cluster does.
// - diskhb under 100ms: every heartbeat is a write and a read on the shared disk, per node.

import type { Finding, Path } from '../diagnostic.js';
import { formatPath } from '../diagnostic.js';
import { formatDuration } from '../duration.js';
import { detectionMs } from '../explain.js';
import type { ClusterConfig, NetworkDef } from '../model.js';
import { lookup } from './lookup.js';

export const MIN_INTERVAL_MS = 50;
export const MAX_INTERVAL_MS = 10_000;
export const MAX_DETECTION_MS = 30_000;
export const MIN_DISKHB_INTERVAL_MS = 100;

function timing(n: NetworkDef): string {
  return `${n.heartbeat.sensitivity} missed heartbeats at ${formatDuration(n.heartbeat.intervalMs)}`;
}

/**
 * Where a network's interval comes from: its own override, or the cluster-wide tunable.
 * The model keeps only the result, so an override equal to the tunable counts as inherited;
 * the finding then points at the tunable, which has the same value.
 */
function intervalPath(config: ClusterConfig, n: NetworkDef): { path: Path; inherited: boolean } {
  const inherited = n.heartbeat.intervalMs === config.tunables.heartbeat.intervalMs;
  return inherited
    ? { path: ['tunables', 'heartbeat', 'interval'], inherited }
    : { path: [...n.at, 'heartbeat', 'interval'], inherited };
}

function sensitivityPath(config: ClusterConfig, n: NetworkDef): Path {
  return n.heartbeat.sensitivity === config.tunables.heartbeat.sensitivity &&
    n.heartbeat.intervalMs === config.tunables.heartbeat.intervalMs
    ? ['tunables', 'heartbeat']
    : [...n.at, 'heartbeat'];
}

export function checkHeartbeat(config: ClusterConfig): Finding[] {
  const out: Finding[] = [];
  const look = lookup(config);
  const hb = config.tunables.heartbeat;
  const networks = [...look.networks.values()];

  const tunableOutOfRange = hb.intervalMs < MIN_INTERVAL_MS || hb.intervalMs > MAX_INTERVAL_MS;
  if (tunableOutOfRange) {
    out.push(intervalRange(['tunables', 'heartbeat', 'interval'], hb.intervalMs, 'the cluster'));
  }
  for (const n of networks) {
    const ms = n.heartbeat.intervalMs;
    const { path, inherited } = intervalPath(config, n);
    if (!inherited && (ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS)) {
      out.push(intervalRange(path, ms, `network ${n.name}`));
    }
    if (n.type === 'diskhb' && ms < MIN_DISKHB_INTERVAL_MS && ms >= MIN_INTERVAL_MS) {
      out.push({
        severity: 'warning',
        code: 'diskhb-interval-short',
        path,
        message: `the disk heartbeat network ${n.name} beats every ${formatDuration(ms)}: each beat is a write and a read on the shared disk by every node`,
        expected: `an interval of ${formatDuration(MIN_DISKHB_INTERVAL_MS)} or more on diskhb networks`,
        hint: `set ${formatPath([...n.at, 'heartbeat', 'interval'])} to 200ms or more`,
      });
    }
    const detect = detectionMs(n);
    if (detect > MAX_DETECTION_MS) {
      out.push({
        severity: 'warning',
        code: 'heartbeat-detection-slow',
        path: sensitivityPath(config, n),
        message: `a failed interface on ${n.name} goes unnoticed for ${formatDuration(detect)} (${timing(n)})`,
        expected: `a detection time (interval x sensitivity) of ${formatDuration(MAX_DETECTION_MS)} or less`,
        hint: 'lower the interval or the sensitivity',
      });
    }
    out.push({
      severity: 'info',
      code: 'heartbeat-detection',
      path: n.at,
      message: `detects a failed ${n.type === 'diskhb' ? 'disk heartbeat path' : 'interface'} on ${n.name} after ${formatDuration(detect)} (${timing(n)})`,
    });
  }

  // A node is down only when every path to it is silent: its slowest network decides.
  let slowest: { node: string; network: NetworkDef; ms: number } | undefined;
  let fastest = Infinity;
  for (const node of config.nodes) {
    let worst: { network: NetworkDef; ms: number } | undefined;
    for (const i of node.interfaces) {
      const net = look.networks.get(i.network);
      if (net && (!worst || detectionMs(net) > worst.ms)) {
        worst = { network: net, ms: detectionMs(net) };
      }
    }
    if (!worst) continue;
    fastest = Math.min(fastest, worst.ms);
    if (!slowest || worst.ms > slowest.ms) slowest = { node: node.name, ...worst };
  }
  if (slowest) {
    const range =
      fastest < slowest.ms
        ? `from ${formatDuration(fastest)} to ${formatDuration(slowest.ms)}, depending on the node (${slowest.node} is the slowest)`
        : formatDuration(slowest.ms);
    out.push({
      severity: 'info',
      code: 'node-detection',
      path: ['nodes'],
      message: `detects a failed node after ${range}: a node is down only when all its paths are, and its slowest is ${slowest.network.name} (${timing(slowest.network)})`,
    });
  }
  return out;
}

function intervalRange(path: Path, ms: number, whose: string): Finding {
  return {
    severity: 'error',
    code: 'heartbeat-interval-range',
    path,
    message: `the heartbeat interval of ${whose} is ${formatDuration(ms)}, ${ms < MIN_INTERVAL_MS ? 'too short: a busy node would miss heartbeats and be taken for dead' : 'too long: failures would go unnoticed'}`,
    expected: `an interval from ${formatDuration(MIN_INTERVAL_MS)} to ${formatDuration(MAX_INTERVAL_MS)}`,
  };
}
