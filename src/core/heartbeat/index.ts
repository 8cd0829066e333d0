// Public surface of the heartbeat message layer: the authenticated wire format, the replay
// guard and the drop counters. The failure detector that consumes what passes is in
// ../topology.
export {
  HEARTBEAT_BODY_BYTES,
  HEARTBEAT_BYTES,
  MessageType,
  WIRE_MAGIC,
  WIRE_REJECT_REASONS,
  WIRE_VERSION,
  decodeHeartbeat,
  encodeHeartbeat,
  type DecodeResult,
  type HeartbeatMessage,
  type WireRejectReason,
} from './wire.js';
export {
  REPLAY_REJECT_REASONS,
  checkReplay,
  createReplayGuard,
  nextIncarnation,
  type GuardInterfaceSpec,
  type ReplayCheck,
  type ReplayGuardModel,
  type ReplayGuardState,
  type ReplayRejectReason,
} from './replay.js';
export {
  DROP_REASONS,
  addDrop,
  emptyDropCounters,
  sumDropCounters,
  totalDrops,
  type DropCounters,
  type DropReason,
} from './counters.js';
