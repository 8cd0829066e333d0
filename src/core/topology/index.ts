// Public surface of topology services' failure detector.
export {
  createDetector,
  nextDeadlineMs,
  onHeartbeat,
  onTick,
  type DetectorCounters,
  type DetectorResult,
  type DetectorState,
  type Heartbeat,
} from './detector.js';
export type {
  FailInterfaceEvent,
  JoinInterfaceEvent,
  LocalStallEvent,
  NetworkDownEvent,
  NetworkUpEvent,
  NodeDownEvent,
  NodeUpEvent,
  PeerRestartedEvent,
  TopologyEvent,
  TopologyEventType,
} from './events.js';
export { deriveLevel, type LinkState } from './liveness.js';
export {
  TopologyModelError,
  detectionTimeMs,
  type InterfaceId,
  type InterfaceSpec,
  type NetworkId,
  type NetworkKind,
  type NetworkSpec,
  type NodeId,
  type NodeSpec,
  type TopologyModel,
} from './model.js';
export {
  snapshot,
  type InterfaceStatus,
  type NetworkStatus,
  type NodeStatus,
  type TopologySnapshot,
} from './snapshot.js';
