// The on-disk format of the disk heartbeat: one slot per node on a shared block device or
// file, each holding a 512-byte record that says who wrote it, in which life, and how many
// times. Pure: encoding and decoding only, no I/O. Layout and rationale: README.md.
import { InvalidArgumentError } from '../errors.js';

/**
 * Distance between two slots, and the size of one slot's I/O. A whole 4 KiB block per slot,
 * not one 512-byte sector: on 4Kn disks 4096 is the smallest direct I/O, on 512e disks it is
 * the physical sector (a drive's read-modify-write of a shared 4 KiB sector could tear a
 * neighbour's record on power loss), and a page-cache writeback never carries another node's
 * (stale) record along with ours. Slot `n` starts at byte `n * SLOT_STRIDE_BYTES`.
 */
export const SLOT_STRIDE_BYTES = 4096;

/**
 * The record at the start of each slot: one 512-byte sector, the unit a disk writes
 * atomically, so a crash mid-write leaves the old record or the new one, never a mix. Where
 * the device tears it anyway (a file on a non-atomic medium), the checksum catches it.
 */
export const SLOT_RECORD_BYTES = 512;

/** Slot numbers accepted by the encoder (the configuration allows 0 to 1023). */
export const MAX_SLOT = 65_535;

export const SLOT_MAGIC = 'HVNDISK1';
export const SLOT_FORMAT_VERSION = 1;

/** The largest authentication tag the record has room for (HMAC-SHA-512 fits). */
export const MAX_TAG_BYTES = 64;

// Byte offsets in the record. Big-endian, as on the wire. `magic` and `version` stay where
// they are in every future version, so an old reader can tell "newer format" from garbage.
const OFF_MAGIC = 0;
const OFF_VERSION = 8;
const OFF_FLAGS = 10;
const OFF_CLUSTER = 12;
const OFF_NODE = 16;
const OFF_SLOT = 20;
const OFF_INCARNATION = 24;
const OFF_COUNTER = 32;
const OFF_WALL = 40;
const OFF_TAG_LENGTH = 48;
/**
 * The authenticated part: every field above the tag length. The length itself need not be
 * signed: it only says how much of the tag area to verify, and a forged length hands the
 * verifier a different tag, which fails.
 */
const SIGNED_BYTES = 48;
const OFF_TAG = 64;
const OFF_CHECKSUM = SLOT_RECORD_BYTES - 4;

const FLAG_TAGGED = 0x0001;
const KNOWN_FLAGS = FLAG_TAGGED;
const MAGIC_BYTES = Uint8Array.from(SLOT_MAGIC, (c) => c.charCodeAt(0));
const U32_MAX = 0xffff_ffff;

/**
 * Signs and verifies records with the cluster key. The same shape as the ports'
 * `MessageAuthenticator`, declared here structurally so this module does not depend on it.
 */
export interface SlotAuthenticator {
  sign(data: Uint8Array): Uint8Array;
  verify(data: Uint8Array, tag: Uint8Array): boolean;
}

/** What one slot says. All numbers are non-negative safe integers. */
export interface SlotRecord {
  readonly clusterId: number;
  readonly nodeId: number;
  readonly slot: number;
  /** The writer's process life: grows with every restart of its agent. */
  readonly incarnation: number;
  /** Grows by at least one with every write within an incarnation. */
  readonly counter: number;
  /** The writer's wall clock when it wrote, in ms since the epoch: for display only. */
  readonly wallMs: number;
}

/** Why a slot was not accepted, in the order the decoder checks. See README.md. */
export const SLOT_DECODE_FAILURES = [
  'bad-length',
  'empty',
  'bad-magic',
  'bad-version',
  'bad-checksum',
  'bad-field',
  'wrong-cluster',
  'bad-mac',
  'wrong-slot',
  'wrong-node',
] as const;
export type SlotDecodeFailure = (typeof SLOT_DECODE_FAILURES)[number];

export type SlotDecodeResult =
  | { readonly ok: true; readonly slot: SlotRecord }
  | {
      readonly ok: false;
      readonly reason: SlotDecodeFailure;
      /**
       * For wrong-cluster, wrong-slot and wrong-node: what the slot holds, for the operator.
       * Not authenticated for wrong-cluster (a foreign cluster has a foreign key).
       */
      readonly record?: SlotRecord;
    };

export interface SlotExpectation {
  readonly clusterId: number;
  /** The slot the bytes were read from: a record must name the slot it lives in. */
  readonly slot: number;
  /** The node configured for this slot; omitted, any node is accepted. */
  readonly nodeId?: number | undefined;
}

/** Byte offset of slot `slot` on the device. */
export function slotOffset(slot: number): number {
  checkInteger('slot', slot, MAX_SLOT);
  return slot * SLOT_STRIDE_BYTES;
}

/** The device size needed to hold slots 0 to `maxSlot`. */
export function regionBytes(maxSlot: number): number {
  return slotOffset(maxSlot) + SLOT_STRIDE_BYTES;
}

/** One positioned read of consecutive slots. */
export interface ReadRun {
  readonly firstSlot: number;
  readonly slotCount: number;
  readonly offset: number;
  readonly length: number;
}

/**
 * Groups the slots a node reads into as few reads as is sensible: neighbouring slots (at
 * most `maxGapSlots` unused slots apart, at most `maxRunSlots` in one read) share one read,
 * so a cluster with slots 1..N costs one seek per round, not N. Sorted, duplicates dropped.
 */
export function planReads(slots: readonly number[], maxGapSlots = 4, maxRunSlots = 32): ReadRun[] {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  sorted.forEach((s) => slotOffset(s)); // validates each slot
  const runs: ReadRun[] = [];
  let first: number | undefined;
  let last = 0;
  const close = (): void => {
    if (first === undefined) return;
    const slotCount = last - first + 1;
    runs.push({
      firstSlot: first,
      slotCount,
      offset: first * SLOT_STRIDE_BYTES,
      length: slotCount * SLOT_STRIDE_BYTES,
    });
  };
  for (const s of sorted) {
    if (first !== undefined && s - last - 1 <= maxGapSlots && s - first < maxRunSlots) {
      last = s;
      continue;
    }
    close();
    first = s;
    last = s;
  }
  close();
  return runs;
}

/**
 * The 512-byte record for `record`, tagged when an authenticator is given. Throws
 * InvalidArgumentError for a field out of range (ids beyond u32, a slot beyond MAX_SLOT,
 * counters beyond 2^53) or a tag longer than MAX_TAG_BYTES: our own values, so a bug.
 */
export function encodeSlot(record: SlotRecord, authenticator?: SlotAuthenticator): Uint8Array {
  checkInteger('clusterId', record.clusterId, U32_MAX);
  checkInteger('nodeId', record.nodeId, U32_MAX);
  checkInteger('slot', record.slot, MAX_SLOT);
  checkInteger('incarnation', record.incarnation, Number.MAX_SAFE_INTEGER);
  checkInteger('counter', record.counter, Number.MAX_SAFE_INTEGER);
  // Display only: a wall clock before 1970 is recorded as 0 rather than refused.
  const wallMs = Number.isSafeInteger(record.wallMs) && record.wallMs > 0 ? record.wallMs : 0;

  const bytes = new Uint8Array(SLOT_RECORD_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_BYTES, OFF_MAGIC);
  view.setUint16(OFF_VERSION, SLOT_FORMAT_VERSION);
  view.setUint16(OFF_FLAGS, authenticator === undefined ? 0 : FLAG_TAGGED);
  view.setUint32(OFF_CLUSTER, record.clusterId);
  view.setUint32(OFF_NODE, record.nodeId);
  view.setUint32(OFF_SLOT, record.slot);
  view.setBigUint64(OFF_INCARNATION, BigInt(record.incarnation));
  view.setBigUint64(OFF_COUNTER, BigInt(record.counter));
  view.setBigUint64(OFF_WALL, BigInt(wallMs));
  if (authenticator !== undefined) {
    const tag = authenticator.sign(bytes.subarray(0, SIGNED_BYTES));
    if (tag.length === 0 || tag.length > MAX_TAG_BYTES) {
      throw new InvalidArgumentError(
        'authenticator',
        tag.length,
        `tags of 1 to ${MAX_TAG_BYTES} bytes`,
      );
    }
    bytes[OFF_TAG_LENGTH] = tag.length;
    bytes.set(tag, OFF_TAG);
  }
  view.setUint32(OFF_CHECKSUM, crc32c(bytes.subarray(0, OFF_CHECKSUM)));
  return bytes;
}

/**
 * Reads a record and checks it against what the slot should hold. Never throws, whatever
 * the bytes (a throwing authenticator counts as a failed verification): input from a shared
 * disk is untrusted. Checks, in order: length, all zero ('empty': never written), magic,
 * version, checksum (a torn or damaged sector), field ranges, cluster, tag, slot, node.
 */
export function decodeSlot(
  bytes: Uint8Array,
  expected: SlotExpectation,
  authenticator?: SlotAuthenticator,
): SlotDecodeResult {
  if (bytes.length !== SLOT_RECORD_BYTES) return fail('bad-length');
  if (bytes.every((b) => b === 0)) return fail('empty');
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (bytes[OFF_MAGIC + i] !== MAGIC_BYTES[i]) return fail('bad-magic');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(OFF_VERSION) !== SLOT_FORMAT_VERSION) return fail('bad-version');
  if (view.getUint32(OFF_CHECKSUM) !== crc32c(bytes.subarray(0, OFF_CHECKSUM))) {
    return fail('bad-checksum');
  }

  // The checksum only proves the sector is as its writer meant it; a buggy or hostile
  // writer can still put nonsense in it.
  const flags = view.getUint16(OFF_FLAGS);
  const tagLength = bytes[OFF_TAG_LENGTH] ?? 0;
  const tagged = (flags & FLAG_TAGGED) !== 0;
  const incarnation = safeU64(view, OFF_INCARNATION);
  const counter = safeU64(view, OFF_COUNTER);
  const wallMs = safeU64(view, OFF_WALL);
  if (
    (flags & ~KNOWN_FLAGS) !== 0 ||
    tagged !== tagLength > 0 ||
    tagLength > MAX_TAG_BYTES ||
    incarnation === undefined ||
    counter === undefined ||
    wallMs === undefined
  ) {
    return fail('bad-field');
  }
  const record: SlotRecord = {
    clusterId: view.getUint32(OFF_CLUSTER),
    nodeId: view.getUint32(OFF_NODE),
    slot: view.getUint32(OFF_SLOT),
    incarnation,
    counter,
    wallMs,
  };

  // Checked before the tag: another cluster's record cannot verify under our key, and
  // "another cluster" is the diagnosis the operator needs (stale data, or a shared disk).
  if (record.clusterId !== expected.clusterId) return fail('wrong-cluster', record);
  // Symmetric on purpose: a tagged record where we expect none is refused too, so two
  // nodes that disagree about the key both see the problem, not only one of them.
  if (tagged !== (authenticator !== undefined)) return fail('bad-mac');
  if (authenticator !== undefined) {
    const tag = bytes.slice(OFF_TAG, OFF_TAG + tagLength);
    if (!safeVerify(authenticator, bytes.slice(0, SIGNED_BYTES), tag)) return fail('bad-mac');
  }
  if (record.slot !== expected.slot) return fail('wrong-slot', record);
  if (expected.nodeId !== undefined && record.nodeId !== expected.nodeId) {
    return fail('wrong-node', record);
  }
  return { ok: true, slot: record };
}

// ---- CRC-32C (Castagnoli) ------------------------------------------------------------
// Chosen over CRC-32 (IEEE) for its better Hamming distance on sector-sized messages:
// every error of up to 5 bits in a 512-byte record is detected, not only up to 3.

const CRC32C_TABLE = buildCrcTable(0x82f63b78);

function buildCrcTable(reversedPolynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reversedPolynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32C of `bytes` (reflected, initial and final XOR 0xFFFFFFFF), as an unsigned integer. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffff_ffff;
  for (const b of bytes) crc = (CRC32C_TABLE[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffff_ffff) >>> 0;
}

// ---- internals -----------------------------------------------------------------------

function fail(reason: SlotDecodeFailure, record?: SlotRecord): SlotDecodeResult {
  return record === undefined ? { ok: false, reason } : { ok: false, reason, record };
}

function safeU64(view: DataView, offset: number): number | undefined {
  const value = view.getBigUint64(offset);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

function safeVerify(authenticator: SlotAuthenticator, data: Uint8Array, tag: Uint8Array): boolean {
  try {
    return authenticator.verify(data, tag);
  } catch {
    return false;
  }
}

function checkInteger(argument: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(argument, value, `an integer from 0 to ${max}`);
  }
}
