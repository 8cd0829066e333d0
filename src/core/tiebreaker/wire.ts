// The quorum server's messages on the wire: one UDP datagram each way, authenticated with the
// cluster key like the heartbeats and the group messages (a MessageAuthenticator, HMAC-SHA256).
// The leader of a view holding exactly half of the votes asks; the server answers whether it
// holds the tie-breaker's lease.
//
// Request (big-endian):
//   0  3  magic "HVT"          3  1  version 1          4  1  kind 1 (request)
//   5  4  cluster id           9  2  node id           11  8  node incarnation (0: not given)
//  19  4  lease asked, ms     23  1  request id length n (1..64)
//  24  n  request id (UTF-8)  24+n 32 HMAC-SHA256 of bytes 0..24+n
//
// Reply:
//   0  3  magic "HVT"          3  1  version 1          4  1  kind 2 (reply)
//   5  4  cluster id           9  2  node id (the asker)  11  8  its incarnation, echoed
//  19  1  flags: 1 granted, 2 a holder is named      20  2  holder node id
//  22  4  remaining ms of the holder's lease (or of the server's quiet time)
//  26  1  request id length n (1..64)                27  n  request id, echoed
//  27+n 32 HMAC-SHA256 of bytes 0..27+n
//
// The kind byte keeps a request reflected back to its sender from passing for a reply. A reply
// echoes the request's node, incarnation and id, and the client takes only the reply to its
// one outstanding request: an old grant replayed later is not the answer to anything.
// Decoding never throws: a datagram that is short, foreign, forged or malformed is refused with
// a reason.

import { MAC_TAG_BYTES, type MessageAuthenticator } from '../ports/mac.js';

export const TIEBREAKER_MAGIC: readonly number[] = [0x48, 0x56, 0x54]; // "HVT"
export const TIEBREAKER_WIRE_VERSION = 1;
const KIND_REQUEST = 1;
const KIND_REPLY = 2;
const REQUEST_HEADER_BYTES = 24;
const REPLY_HEADER_BYTES = 27;
/** Longest request id, in UTF-8 bytes. */
export const MAX_REQUEST_ID_BYTES = 64;
/** Largest datagram either way: anything longer is refused before the MAC is computed. */
export const MAX_TIEBREAKER_BYTES = REPLY_HEADER_BYTES + MAX_REQUEST_ID_BYTES + MAC_TAG_BYTES;
const FLAG_GRANTED = 1;
const FLAG_HOLDER = 2;
const U32_MAX = 0xffff_ffff;

export interface TiebreakRequest {
  readonly clusterId: number;
  readonly node: number;
  /** The asking agent's incarnation; 0n when not given. */
  readonly incarnation: bigint;
  readonly requestId: string;
  /** How long the asker will believe a grant, counted from when it sent the request. */
  readonly leaseMs: number;
}

export interface TiebreakReply {
  readonly clusterId: number;
  /** The node that asked. */
  readonly node: number;
  readonly incarnation: bigint;
  readonly requestId: string;
  readonly granted: boolean;
  /** The node holding the lease after this decision, if any. */
  readonly holder: number | undefined;
  /** How long the holder's lease runs still, or the server's quiet time after a start. */
  readonly remainingMs: number;
}

export const TIEBREAKER_REJECT_REASONS = [
  'too-short',
  'too-long',
  'bad-magic',
  'bad-version',
  'bad-kind',
  'bad-length',
  'bad-mac',
  'wrong-cluster',
  'bad-request-id',
  'bad-flags',
] as const;
export type TiebreakerRejectReason = (typeof TIEBREAKER_REJECT_REASONS)[number];

export type TiebreakerDecode<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly reason: TiebreakerRejectReason };

function requestIdBytes(id: string): Uint8Array {
  const bytes = new TextEncoder().encode(id);
  if (bytes.length < 1 || bytes.length > MAX_REQUEST_ID_BYTES)
    throw new RangeError(
      `tie-breaker request id of ${String(bytes.length)} bytes: expected 1 to ${String(MAX_REQUEST_ID_BYTES)}`,
    );
  return bytes;
}

function checkU(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`tie-breaker ${name} ${String(value)}: expected 0 to ${String(max)}`);
}

function header(out: Uint8Array, kind: number, clusterId: number, node: number, inc: bigint): void {
  checkU('cluster id', clusterId, U32_MAX);
  checkU('node id', node, 0xffff);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(TIEBREAKER_MAGIC, 0);
  v.setUint8(3, TIEBREAKER_WIRE_VERSION);
  v.setUint8(4, kind);
  v.setUint32(5, clusterId);
  v.setUint16(9, node);
  v.setBigUint64(11, BigInt.asUintN(64, inc));
}

/** Throws RangeError on a value the format cannot carry (a caller's bug, not input). */
export function encodeTiebreakRequest(r: TiebreakRequest, mac: MessageAuthenticator): Uint8Array {
  const id = requestIdBytes(r.requestId);
  checkU('lease', r.leaseMs, U32_MAX);
  const out = new Uint8Array(REQUEST_HEADER_BYTES + id.length + MAC_TAG_BYTES);
  header(out, KIND_REQUEST, r.clusterId, r.node, r.incarnation);
  const v = new DataView(out.buffer);
  v.setUint32(19, r.leaseMs);
  v.setUint8(23, id.length);
  out.set(id, REQUEST_HEADER_BYTES);
  const signed = REQUEST_HEADER_BYTES + id.length;
  out.set(mac.sign(out.subarray(0, signed)), signed);
  return out;
}

/** Throws RangeError on a value the format cannot carry (a caller's bug, not input). */
export function encodeTiebreakReply(r: TiebreakReply, mac: MessageAuthenticator): Uint8Array {
  const id = requestIdBytes(r.requestId);
  if (r.holder !== undefined) checkU('holder', r.holder, 0xffff);
  const remaining = Math.min(U32_MAX, Math.max(0, Math.ceil(r.remainingMs)));
  const out = new Uint8Array(REPLY_HEADER_BYTES + id.length + MAC_TAG_BYTES);
  header(out, KIND_REPLY, r.clusterId, r.node, r.incarnation);
  const v = new DataView(out.buffer);
  v.setUint8(19, (r.granted ? FLAG_GRANTED : 0) | (r.holder !== undefined ? FLAG_HOLDER : 0));
  v.setUint16(20, r.holder ?? 0);
  v.setUint32(22, remaining);
  v.setUint8(26, id.length);
  out.set(id, REPLY_HEADER_BYTES);
  const signed = REPLY_HEADER_BYTES + id.length;
  out.set(mac.sign(out.subarray(0, signed)), signed);
  return out;
}

/** The checks common to both kinds; on success, the request id and a view of the bytes. */
function open(
  bytes: Uint8Array,
  kind: number,
  headerBytes: number,
  clusterId: number,
  mac: MessageAuthenticator,
):
  | { readonly ok: true; readonly v: DataView; readonly requestId: string }
  | { readonly ok: false; readonly reason: TiebreakerRejectReason } {
  if (bytes.length > MAX_TIEBREAKER_BYTES) return { ok: false, reason: 'too-long' };
  if (bytes.length < headerBytes + 1 + MAC_TAG_BYTES) return { ok: false, reason: 'too-short' };
  if (TIEBREAKER_MAGIC.some((b, i) => bytes[i] !== b)) return { ok: false, reason: 'bad-magic' };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(3) !== TIEBREAKER_WIRE_VERSION) return { ok: false, reason: 'bad-version' };
  if (v.getUint8(4) !== kind) return { ok: false, reason: 'bad-kind' };
  const idLength = v.getUint8(headerBytes - 1);
  if (bytes.length !== headerBytes + idLength + MAC_TAG_BYTES)
    return { ok: false, reason: 'bad-length' };
  const signed = headerBytes + idLength;
  if (!mac.verify(bytes.subarray(0, signed), bytes.subarray(signed)))
    return { ok: false, reason: 'bad-mac' };
  // After the MAC: a foreign cluster with another key fails the MAC first; one that shares
  // the key (a copied key file) is told apart here.
  if (v.getUint32(5) !== clusterId) return { ok: false, reason: 'wrong-cluster' };
  if (idLength < 1 || idLength > MAX_REQUEST_ID_BYTES)
    return { ok: false, reason: 'bad-request-id' };
  let requestId: string;
  try {
    requestId = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(headerBytes, signed),
    );
  } catch {
    return { ok: false, reason: 'bad-request-id' };
  }
  return { ok: true, v, requestId };
}

export function decodeTiebreakRequest(
  bytes: Uint8Array,
  clusterId: number,
  mac: MessageAuthenticator,
): TiebreakerDecode<TiebreakRequest> {
  const o = open(bytes, KIND_REQUEST, REQUEST_HEADER_BYTES, clusterId, mac);
  if (!o.ok) return o;
  return {
    ok: true,
    message: {
      clusterId,
      node: o.v.getUint16(9),
      incarnation: o.v.getBigUint64(11),
      leaseMs: o.v.getUint32(19),
      requestId: o.requestId,
    },
  };
}

export function decodeTiebreakReply(
  bytes: Uint8Array,
  clusterId: number,
  mac: MessageAuthenticator,
): TiebreakerDecode<TiebreakReply> {
  const o = open(bytes, KIND_REPLY, REPLY_HEADER_BYTES, clusterId, mac);
  if (!o.ok) return o;
  const flags = o.v.getUint8(19);
  if ((flags & ~(FLAG_GRANTED | FLAG_HOLDER)) !== 0) return { ok: false, reason: 'bad-flags' };
  const granted = (flags & FLAG_GRANTED) !== 0;
  const named = (flags & FLAG_HOLDER) !== 0;
  // A grant always names its holder (the asker): a reply that says otherwise is malformed.
  if (granted && (!named || o.v.getUint16(20) !== o.v.getUint16(9)))
    return { ok: false, reason: 'bad-flags' };
  return {
    ok: true,
    message: {
      clusterId,
      node: o.v.getUint16(9),
      incarnation: o.v.getBigUint64(11),
      requestId: o.requestId,
      granted,
      holder: named ? o.v.getUint16(20) : undefined,
      remainingMs: o.v.getUint32(22),
    },
  };
}
