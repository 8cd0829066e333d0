// What the failure detector tells the layer above. A union tagged on `type`; every event
// carries `atMs`, the monotonic time of the input that produced it.
import type { InterfaceId, NetworkId, NodeId } from './model.js';

/** A peer interface (adapter) went silent for its network's detection time. */
export interface FailInterfaceEvent {
  readonly type: 'fail_interface';
  readonly node: NodeId;
  readonly network: NetworkId;
  readonly iface: InterfaceId;
  readonly atMs: number;
  /** When it was last heard; null if never heard since the detector started. */
  readonly lastHeardMs: number | null;
}

/** A peer interface was heard again (or for the first time). */
export interface JoinInterfaceEvent {
  readonly type: 'join_interface';
  readonly node: NodeId;
  readonly network: NetworkId;
  readonly iface: InterfaceId;
  readonly atMs: number;
}

/** Every interface of `node` on `network` is down: the network failed for that node. */
export interface NetworkDownEvent {
  readonly type: 'network_down';
  readonly node: NodeId;
  readonly network: NetworkId;
  readonly atMs: number;
}

export interface NetworkUpEvent {
  readonly type: 'network_up';
  readonly node: NodeId;
  readonly network: NetworkId;
  readonly atMs: number;
}

/** No path to `node` is alive, on any network, disk heartbeat included. */
export interface NodeDownEvent {
  readonly type: 'node_down';
  readonly node: NodeId;
  readonly atMs: number;
}

export interface NodeUpEvent {
  readonly type: 'node_up';
  readonly node: NodeId;
  readonly atMs: number;
  /** The incarnation (process life) of the peer that was heard. */
  readonly incarnation: number;
}

/**
 * The peer is running a new incarnation: it restarted, and lost whatever state it had.
 * Emitted even when the restart was fast enough that no node_down/node_up happened, so the
 * layer above can treat it as a departure followed by a join.
 */
export interface PeerRestartedEvent {
  readonly type: 'peer_restarted';
  readonly node: NodeId;
  readonly atMs: number;
  readonly previousIncarnation: number;
  readonly incarnation: number;
}

/**
 * We ourselves did not run for a while (GC pause, SIGSTOP, overloaded host): the silence
 * windows of the peers were restarted instead of being judged (see README, "Local stall").
 */
export interface LocalStallEvent {
  readonly type: 'local_stall';
  readonly atMs: number;
  /** The previous input: the last moment we know we were running. */
  readonly sinceMs: number;
  /** atMs - sinceMs: an upper bound on how long we were not listening. */
  readonly durationMs: number;
  /** How long after the wake-up time we had asked for (`nextDeadlineMs`) we were called. */
  readonly lateMs: number;
}

export type TopologyEvent =
  | FailInterfaceEvent
  | JoinInterfaceEvent
  | NetworkDownEvent
  | NetworkUpEvent
  | NodeDownEvent
  | NodeUpEvent
  | PeerRestartedEvent
  | LocalStallEvent;

export type TopologyEventType = TopologyEvent['type'];
