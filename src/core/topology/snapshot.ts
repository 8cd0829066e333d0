// A read-only status view of the detector (for `haven status`, the API and the dashboard).
// Taking a snapshot changes nothing: it does not judge windows that are already due.
import type { DetectorCounters, DetectorState } from './detector.js';
import { nextDeadlineMs } from './detector.js';
import type { LinkState } from './liveness.js';
import type { InterfaceId, NetworkId, NetworkKind, NodeId } from './model.js';

export interface InterfaceStatus {
  readonly iface: InterfaceId;
  readonly state: LinkState;
  readonly lastHeardMs: number | null;
  /** floor((now - lastHeard) / interval); counted from the detector's start if never heard. */
  readonly missedBeats: number;
  /** When the current silence window ends (the interface goes down); null when down. */
  readonly deadlineMs: number | null;
  readonly lastSeq: number | null;
  readonly viaLocalInterface: InterfaceId | null;
  readonly staleHeartbeats: number;
  readonly changedAtMs: number;
}

export interface NetworkStatus {
  readonly network: NetworkId;
  readonly kind: NetworkKind;
  readonly intervalMs: number;
  readonly sensitivity: number;
  readonly state: LinkState;
  readonly changedAtMs: number;
  readonly interfaces: readonly InterfaceStatus[];
}

export interface NodeStatus {
  readonly node: NodeId;
  readonly state: LinkState;
  readonly incarnation: number | null;
  readonly changedAtMs: number;
  readonly networks: readonly NetworkStatus[];
}

export interface TopologySnapshot {
  readonly atMs: number;
  readonly localNode: NodeId;
  readonly startedAtMs: number;
  readonly lastInputMs: number;
  readonly nextDeadlineMs: number | null;
  readonly counters: DetectorCounters;
  /** Peers sorted by id, their networks by id, their interfaces by id. */
  readonly nodes: readonly NodeStatus[];
}

/** The status at `nowMs` (by default, the time of the last input). */
export function snapshot(
  state: DetectorState,
  nowMs: number = state.lastInputMs,
): TopologySnapshot {
  const { model } = state;
  const networkOf = new Map(model.networks.map((n) => [n.id, n]));
  const nodes = model.peers.map((peerSpec, n): NodeStatus => {
    const peer = state.peers[n];
    const networks: NetworkStatus[] = [];
    for (let p = peerSpec.firstPair; p < peerSpec.endPair; p++) {
      const pairSpec = model.pairs[p];
      const pair = state.pairs[p];
      const net = pairSpec && networkOf.get(pairSpec.network);
      if (!pairSpec || !pair || !net) continue;
      const interfaces: InterfaceStatus[] = [];
      for (let k = pairSpec.firstInterface; k < pairSpec.endInterface; k++) {
        const spec = model.interfaces[k];
        const itf = state.interfaces[k];
        if (!spec || !itf) continue;
        const silentSince = itf.lastHeardMs ?? state.startedAtMs;
        interfaces.push({
          iface: spec.id,
          state: itf.status,
          lastHeardMs: itf.lastHeardMs,
          missedBeats: Math.max(0, Math.floor((nowMs - silentSince) / spec.intervalMs)),
          deadlineMs: itf.status === 'down' ? null : itf.windowStartMs + spec.detectionMs,
          lastSeq: itf.lastSeq,
          viaLocalInterface: itf.viaLocalInterface,
          staleHeartbeats: itf.staleHeartbeats,
          changedAtMs: itf.changedAtMs,
        });
      }
      networks.push({
        network: net.id,
        kind: net.kind,
        intervalMs: net.intervalMs,
        sensitivity: net.sensitivity,
        state: pair.status,
        changedAtMs: pair.changedAtMs,
        interfaces,
      });
    }
    return {
      node: peerSpec.id,
      state: peer?.status ?? 'unknown',
      incarnation: peer?.incarnation ?? null,
      changedAtMs: peer?.changedAtMs ?? state.startedAtMs,
      networks,
    };
  });
  return {
    atMs: nowMs,
    localNode: model.localNode,
    startedAtMs: state.startedAtMs,
    lastInputMs: state.lastInputMs,
    nextDeadlineMs: nextDeadlineMs(state),
    counters: state.counters,
    nodes,
  };
}
