// Public surface of the disk heartbeat's pure part: the slot format, peer progress tracking
// and the rules for taking our own slot. The I/O lives in runtime/diskhb.ts.
export {
  MAX_SLOT,
  MAX_TAG_BYTES,
  SLOT_DECODE_FAILURES,
  SLOT_FORMAT_VERSION,
  SLOT_MAGIC,
  SLOT_RECORD_BYTES,
  SLOT_STRIDE_BYTES,
  crc32c,
  decodeSlot,
  encodeSlot,
  planReads,
  regionBytes,
  slotOffset,
  type ReadRun,
  type SlotAuthenticator,
  type SlotDecodeFailure,
  type SlotDecodeResult,
  type SlotExpectation,
  type SlotRecord,
} from './slot.js';
export {
  createPeerReader,
  observePeer,
  type ObserveOptions,
  type ObserveResult,
  type PeerObservation,
  type PeerReaderCounters,
  type PeerReaderState,
  type PeerSlotSpec,
  type SlotProgress,
} from './reader.js';
export {
  initialOwnSlot,
  judgeOwnSlot,
  type OwnSlotContent,
  type OwnSlotIdentity,
  type OwnSlotPolicy,
  type OwnSlotRead,
  type OwnSlotState,
  type OwnSlotVerdict,
} from './own-slot.js';
