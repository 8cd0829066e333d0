// Topology services' heartbeat protocol for one node, sans I/O: when to send which heartbeat
// to whom, and what a received datagram means. It composes the wire format (authenticity),
// the replay guard (freshness) and the failure detector (liveness), and returns effects:
// datagrams to send, topology events, and the one time at which it wants to be called again.
//
// Load: every `interval`, each local interface on an IP network sends one heartbeat to each
// peer interface on that network. A node sends sum over networks of (its interfaces x peer
// interfaces) datagrams per interval: linear in the number of nodes, and so is what it
// receives. All-to-all is chosen over a ring (the reference's Topology Services) or SWIM-style
// probing because it detects a failure in one detection window with no second-hand
// reports, which is what the sub-second failover budget needs; at the 32 nodes the reference
// supports, a node handles a few hundred 61-byte datagrams a second (see docs/benchmarks.md).
//
// Disk heartbeats are written and read by the runtime on their own schedule; their progress
// reaches the detector through onDiskHeartbeat.

import type { ClusterConfig } from '../config/model.js';
import type { MessageAuthenticator } from '../ports/mac.js';
import {
  createDetector,
  onHeartbeat,
  onTick,
  type DetectorState,
  type Heartbeat,
} from '../topology/detector.js';
import type { TopologyEvent } from '../topology/events.js';
import { topologyModelFromConfig } from '../topology/from-config.js';
import { snapshot, type TopologySnapshot } from '../topology/snapshot.js';
import { addDrop, emptyDropCounters, type DropCounters, type DropReason } from './counters.js';
import {
  checkReplay,
  createReplayGuard,
  type GuardInterfaceSpec,
  type ReplayGuardState,
} from './replay.js';
import { decodeHeartbeat, encodeHeartbeat } from './wire.js';

/** One local interface that sends and receives heartbeats. */
export interface LocalInterface {
  readonly name: string;
  /** 1-based position among the node's interfaces: the wire's `fromInterface`. */
  readonly index: number;
  readonly network: string;
  /** The boot address the runtime binds, without prefix. */
  readonly address: string;
}

/** A peer interface heartbeats go to. */
export interface PeerTarget {
  readonly node: string;
  readonly interface: string;
  readonly address: string;
}

interface IpNetwork {
  readonly name: string;
  readonly number: number;
  readonly intervalMs: number;
  readonly locals: readonly LocalInterface[];
  readonly peers: readonly PeerTarget[];
}

export interface HeartbeatSetup {
  readonly clusterId: number;
  readonly port: number;
  readonly localNode: string;
  readonly localNodeId: number;
  readonly incarnation: bigint;
  /** The IP networks this node is on, with its interfaces and its peers' on each. */
  readonly networks: readonly IpNetwork[];
  /** (node id, interface index) -> interface name and network name, for every interface. */
  readonly interfaceByWire: ReadonlyMap<
    string,
    { readonly name: string; readonly network: string }
  >;
  /** Every interface of the cluster in the wire's numbers, for the replay guard. */
  readonly wireInterfaces: readonly GuardInterfaceSpec[];
}

const wireKey = (nodeId: number, index: number): string => `${nodeId}/${index}`;

/** Derives the heartbeat setup of `localNode` from the cluster definition. */
export function heartbeatSetup(
  config: ClusterConfig,
  localNode: string,
  incarnation: bigint,
): HeartbeatSetup {
  const self = config.nodes.find((n) => n.name === localNode);
  if (!self) {
    throw new RangeError(`node ${localNode} is not in cluster ${config.cluster.name}`);
  }
  // The wire numbers of every interface, assigned here only: the sender's numbering and the
  // receiver's (this map and the replay guard) must agree.
  const networkNumbers = new Map(config.networks.map((n) => [n.name, n.number]));
  const interfaceByWire = new Map<string, { name: string; network: string }>();
  const wireInterfaces: GuardInterfaceSpec[] = [];
  for (const node of config.nodes) {
    node.interfaces.forEach((i, k) => {
      interfaceByWire.set(wireKey(node.id, k + 1), { name: i.name, network: i.network });
      wireInterfaces.push({
        node: node.id,
        index: k + 1,
        network: networkNumbers.get(i.network) ?? 0,
      });
    });
  }
  const networks: IpNetwork[] = [];
  for (const net of config.networks) {
    if (net.type !== 'ether') continue;
    const locals: LocalInterface[] = [];
    self.interfaces.forEach((i, k) => {
      if (i.network === net.name && i.address) {
        locals.push({
          name: i.name,
          index: k + 1,
          network: net.name,
          address: i.address.address.text,
        });
      }
    });
    if (locals.length === 0) continue;
    const peers: PeerTarget[] = [];
    for (const node of config.nodes) {
      if (node.name === localNode) continue;
      for (const i of node.interfaces) {
        if (i.network === net.name && i.address) {
          peers.push({ node: node.name, interface: i.name, address: i.address.address.text });
        }
      }
    }
    networks.push({
      name: net.name,
      number: net.number,
      intervalMs: net.heartbeat.intervalMs,
      locals,
      peers,
    });
  }
  return {
    clusterId: config.cluster.id,
    port: config.cluster.port,
    localNode,
    localNodeId: self.id,
    incarnation,
    networks,
    interfaceByWire,
    wireInterfaces,
  };
}

export interface Send {
  /** The local interface (socket) to send from. */
  readonly from: string;
  readonly address: string;
  readonly port: number;
  readonly bytes: Uint8Array;
}

export interface ProtocolState {
  readonly setup: HeartbeatSetup;
  readonly mac: MessageAuthenticator;
  readonly guard: ReplayGuardState;
  readonly detector: DetectorState;
  /** The sequence number of the next heartbeat: one counter for all our interfaces. */
  readonly seq: bigint;
  /** Per IP network (same order as setup.networks): when its next round of heartbeats is due. */
  readonly nextSendMs: readonly number[];
  readonly drops: DropCounters;
  readonly sent: number;
  readonly received: number;
}

export interface ProtocolResult {
  readonly state: ProtocolState;
  readonly sends: readonly Send[];
  readonly events: readonly TopologyEvent[];
  /** Why a received datagram was dropped, if it was. */
  readonly dropped?: DropReason;
  /** Call onTimer at this time (monotonic ms). */
  readonly wakeAtMs: number;
}

/** Starts the protocol at `nowMs`: the first round of heartbeats goes out at once. */
export function startProtocol(
  config: ClusterConfig,
  setup: HeartbeatSetup,
  mac: MessageAuthenticator,
  nowMs: number,
): ProtocolResult {
  const guard = createReplayGuard({
    localNode: setup.localNodeId,
    interfaces: setup.wireInterfaces,
  });
  const state: ProtocolState = {
    setup,
    mac,
    guard,
    detector: createDetector(topologyModelFromConfig(config, setup.localNode), nowMs),
    seq: 1n,
    nextSendMs: setup.networks.map(() => nowMs),
    drops: emptyDropCounters(),
    sent: 0,
    received: 0,
  };
  return onTimer(state, nowMs);
}

function wakeAt(state: ProtocolState, detectorDeadline: number | null): number {
  return Math.min(...state.nextSendMs, detectorDeadline ?? Infinity);
}

/** The timer fired: send the rounds that are due, and let the detector judge silences. */
export function onTimer(state: ProtocolState, nowMs: number): ProtocolResult {
  const sends: Send[] = [];
  let seq = state.seq;
  const nextSendMs = state.nextSendMs.map((due, n) => {
    const net = state.setup.networks[n];
    if (!net || due > nowMs) return due;
    for (const local of net.locals) {
      const bytes = encodeHeartbeat(
        {
          clusterId: state.setup.clusterId,
          fromNode: state.setup.localNodeId,
          fromInterface: local.index,
          network: net.number,
          incarnation: state.setup.incarnation,
          seq,
        },
        state.mac,
      );
      for (const peer of net.peers) {
        sends.push({ from: local.name, address: peer.address, port: state.setup.port, bytes });
      }
    }
    seq += 1n;
    // Keep the rhythm, but after a stall of our own send one round now, not a burst.
    const next = due + net.intervalMs;
    return next > nowMs ? next : nowMs + net.intervalMs;
  });
  const tick = onTick(state.detector, nowMs);
  const next: ProtocolState = {
    ...state,
    detector: tick.state,
    seq,
    nextSendMs,
    sent: state.sent + sends.length,
  };
  return { state: next, sends, events: tick.events, wakeAtMs: wakeAt(next, tick.nextDeadlineMs) };
}

function dropped(state: ProtocolState, reason: DropReason): ProtocolResult {
  const next = { ...state, drops: addDrop(state.drops, reason), received: state.received + 1 };
  return {
    state: next,
    sends: [],
    events: [],
    dropped: reason,
    wakeAtMs: wakeAt(next, state.detector.wakeAtMs),
  };
}

/**
 * A datagram arrived on local interface `localName`. Anything a stranger can send is
 * handled here without throwing: it is either believed or dropped and counted.
 */
export function onDatagram(
  state: ProtocolState,
  localName: string,
  bytes: Uint8Array,
  nowMs: number,
): ProtocolResult {
  const local = state.setup.networks.flatMap((n) => n.locals).find((l) => l.name === localName);
  if (!local) return dropped(state, 'wrong-network');
  const decoded = decodeHeartbeat(bytes, state.mac, state.setup.clusterId);
  if (!decoded.ok) return dropped(state, decoded.reason);
  const msg = decoded.msg;
  const guarded = checkReplay(state.guard, msg, local.index);
  if (!guarded.ok) return dropped(state, guarded.reason);
  const from = state.setup.interfaceByWire.get(wireKey(msg.fromNode, msg.fromInterface));
  // The guard knows every configured interface, so `from` is always found here.
  if (!from) return dropped(state, 'unknown-sender');
  const hb: Heartbeat = {
    fromInterface: from.name,
    toLocalInterface: local.name,
    network: from.network,
    nowMs,
    // Incarnations are wall-clock milliseconds and sequence numbers count rounds: both stay
    // far below 2^53, so the conversion is exact.
    incarnation: Number(msg.incarnation),
    seq: Number(msg.seq),
  };
  const r = onHeartbeat(state.detector, hb);
  const next: ProtocolState = {
    ...state,
    guard: guarded.state,
    detector: r.state,
    received: state.received + 1,
  };
  return { state: next, sends: [], events: r.events, wakeAtMs: wakeAt(next, r.nextDeadlineMs) };
}

/** Progress seen on a peer's disk heartbeat slot. */
export function onDiskHeartbeat(state: ProtocolState, hb: Heartbeat): ProtocolResult {
  const r = onHeartbeat(state.detector, hb);
  const next: ProtocolState = { ...state, detector: r.state };
  return { state: next, sends: [], events: r.events, wakeAtMs: wakeAt(next, r.nextDeadlineMs) };
}

export interface HeartbeatStatus {
  readonly localNode: string;
  readonly incarnation: string;
  readonly sent: number;
  readonly received: number;
  readonly drops: DropCounters;
  readonly topology: TopologySnapshot;
}

export function protocolStatus(state: ProtocolState, nowMs: number): HeartbeatStatus {
  return {
    localNode: state.setup.localNode,
    incarnation: state.setup.incarnation.toString(),
    sent: state.sent,
    received: state.received,
    drops: state.drops,
    topology: snapshot(state.detector, nowMs),
  };
}
