// The heartbeat datagram: a fixed 61-byte packet, big-endian, authenticated with
// HMAC-SHA256 under the cluster key. Layout, the order of the checks and the security
// properties: README.md. Decoding never throws: whatever arrives from the network is either
// a message or a reason to drop it.
import { InvalidArgumentError } from '../errors.js';
import { MAC_TAG_BYTES, type MessageAuthenticator } from '../ports/mac.js';

/** "HVN": tells Haven traffic from anything else that reaches the port. */
export const WIRE_MAGIC: readonly number[] = [0x48, 0x56, 0x4e];
export const WIRE_VERSION = 1;

/**
 * The message type byte. 0 is never a type (a zeroed buffer is not a message); the other
 * values are left for the messages to come (group services, barriers...). Every message
 * shares the magic / version / type prefix and is authenticated whole, so the type byte
 * under the tag is what keeps a message of one type from being passed off as another.
 */
export const MessageType = { heartbeat: 1 } as const;

/** magic 3, version 1, type 1, cluster 2, node 2, interface 2, network 2, incarnation 8, seq 8. */
export const HEARTBEAT_BODY_BYTES = 29;
/** 61 bytes: 89 on the wire with the IPv4 and UDP headers, 109 over IPv6. */
export const HEARTBEAT_BYTES = HEARTBEAT_BODY_BYTES + MAC_TAG_BYTES;

/** What every Haven message starts with: enough to know its layout. */
const PREFIX_BYTES = 5;

const OFFSET = {
  version: 3,
  type: 4,
  clusterId: 5,
  fromNode: 7,
  fromInterface: 9,
  network: 11,
  incarnation: 13,
  seq: 21,
} as const;

const U16_MAX = 0xffff;
const U64_MAX = (1n << 64n) - 1n;

/** One heartbeat as it travels. Identifiers are the cluster definition's numbers. */
export interface HeartbeatMessage {
  /** The cluster's `id`. */
  readonly clusterId: number;
  /** The sender's node `id`. */
  readonly fromNode: number;
  /** The sending interface: its 1-based position among the sender node's interfaces. */
  readonly fromInterface: number;
  /** The network's 1-based position in the cluster definition (its `number`). */
  readonly network: number;
  /**
   * The sender's process life; it must grow with every start of the sender's agent (see
   * `nextIncarnation` in replay.ts for how the runtime picks it).
   */
  readonly incarnation: bigint;
  /** Per sending interface, strictly increasing within one incarnation. */
  readonly seq: bigint;
}

/** Why a datagram was dropped before anything in it was believed. */
export const WIRE_REJECT_REASONS = [
  /** Shorter than its type's length (or than the 5-byte prefix). */
  'too-short',
  /** Longer than its type's length. */
  'too-long',
  /** Not "HVN": not Haven traffic at all. */
  'bad-magic',
  /** A Haven packet of another protocol version (a node not yet upgraded, or newer). */
  'bad-version',
  /** A type this version does not know. */
  'unknown-type',
  /** The cluster id is not ours: another cluster on the same network (or a forger). */
  'wrong-cluster',
  /** The tag does not authenticate the packet: a forgery, a damaged packet, or a node with another key. */
  'bad-mac',
] as const;
export type WireRejectReason = (typeof WIRE_REJECT_REASONS)[number];

export type DecodeResult =
  | { readonly ok: true; readonly msg: HeartbeatMessage }
  | { readonly ok: false; readonly reason: WireRejectReason };

/**
 * The authenticated packet of `msg`. Throws InvalidArgumentError when a field is out of its
 * range (u16, or u64 for incarnation and seq) or the authenticator's tag is not 32 bytes:
 * what we send is ours, so that is a bug, not input to tolerate.
 */
export function encodeHeartbeat(msg: HeartbeatMessage, mac: MessageAuthenticator): Uint8Array {
  const packet = new Uint8Array(HEARTBEAT_BYTES);
  const view = new DataView(packet.buffer);
  packet.set(WIRE_MAGIC, 0);
  view.setUint8(OFFSET.version, WIRE_VERSION);
  view.setUint8(OFFSET.type, MessageType.heartbeat);
  view.setUint16(OFFSET.clusterId, u16('clusterId', msg.clusterId));
  view.setUint16(OFFSET.fromNode, u16('fromNode', msg.fromNode));
  view.setUint16(OFFSET.fromInterface, u16('fromInterface', msg.fromInterface));
  view.setUint16(OFFSET.network, u16('network', msg.network));
  view.setBigUint64(OFFSET.incarnation, u64('incarnation', msg.incarnation));
  view.setBigUint64(OFFSET.seq, u64('seq', msg.seq));
  const tag = mac.sign(packet.subarray(0, HEARTBEAT_BODY_BYTES));
  if (tag.length !== MAC_TAG_BYTES) {
    throw new InvalidArgumentError('mac.sign()', tag.length, `a ${MAC_TAG_BYTES}-byte tag`);
  }
  packet.set(tag, HEARTBEAT_BODY_BYTES);
  return packet;
}

/**
 * The message in `bytes`, or why it was dropped. Never throws, for any bytes.
 *
 * Order of the checks (README.md, "Checks, in order"): the prefix (length, magic, version,
 * type) that says which layout to expect, the exact length of that layout, the cluster id,
 * then the tag. The fields read before the tag is checked are only ever used to reject, never to
 * accept: a forger who sets them can at most choose which counter their packet lands in.
 */
export function decodeHeartbeat(
  bytes: Uint8Array,
  mac: MessageAuthenticator,
  expectedClusterId: number,
): DecodeResult {
  // Length first: nothing below reads beyond what it has checked is there.
  if (bytes.length < PREFIX_BYTES) return reject('too-short');
  if (bytes[0] !== WIRE_MAGIC[0] || bytes[1] !== WIRE_MAGIC[1] || bytes[2] !== WIRE_MAGIC[2]) {
    return reject('bad-magic');
  }
  if (bytes[OFFSET.version] !== WIRE_VERSION) return reject('bad-version');
  if (bytes[OFFSET.type] !== MessageType.heartbeat) return reject('unknown-type');
  if (bytes.length < HEARTBEAT_BYTES) return reject('too-short');
  if (bytes.length > HEARTBEAT_BYTES) return reject('too-long');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Before the tag: the id travels in clear and leaks nothing, it is covered by the tag
  // anyway (so it cannot be rewritten to move a packet between clusters sharing a key),
  // and checking it first sorts the harmless case, another cluster on this network, apart
  // from 'bad-mac' (a node of ours with another key, or a forger), and costs no HMAC.
  if (view.getUint16(OFFSET.clusterId) !== expectedClusterId) return reject('wrong-cluster');
  const body = bytes.subarray(0, HEARTBEAT_BODY_BYTES);
  const tag = bytes.subarray(HEARTBEAT_BODY_BYTES, HEARTBEAT_BYTES);
  if (!mac.verify(body, tag)) return reject('bad-mac');

  return {
    ok: true,
    msg: {
      clusterId: view.getUint16(OFFSET.clusterId),
      fromNode: view.getUint16(OFFSET.fromNode),
      fromInterface: view.getUint16(OFFSET.fromInterface),
      network: view.getUint16(OFFSET.network),
      incarnation: view.getBigUint64(OFFSET.incarnation),
      seq: view.getBigUint64(OFFSET.seq),
    },
  };
}

function reject(reason: WireRejectReason): DecodeResult {
  return { ok: false, reason };
}

function u16(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > U16_MAX) {
    throw new InvalidArgumentError(field, value, 'an integer from 0 to 65535');
  }
  return value;
}

function u64(field: string, value: bigint): bigint {
  if (value < 0n || value > U64_MAX) {
    throw new InvalidArgumentError(field, value, 'a bigint from 0 to 2^64-1');
  }
  return value;
}
