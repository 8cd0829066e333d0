// Group services messages on the wire: one UDP datagram per message, authenticated with the
// cluster key, sent on every IP network (so one failed network loses nothing); the copy that
// arrives second is a duplicate and is dropped by the window below. The protocols above
// retransmit what matters, so a lost datagram is only a delay.
//
// Frame (big-endian):
//   0  3  magic "HVG"          3  1  version 1
//   4  4  cluster id           8  2  sender node id
//  10  8  sender incarnation  18  8  sequence (per sender incarnation, from 1)
//  26  4  body length         30  n  body: the message as UTF-8 JSON
//  30+n 32 HMAC-SHA256 of bytes 0..30+n under the cluster key
//
// Decoding never throws: a datagram that is short, foreign, forged, too long or a duplicate is
// dropped with a reason, which the agent counts.

import { MAC_TAG_BYTES, type MessageAuthenticator } from '../ports/mac.js';

export const GROUP_MAGIC: readonly number[] = [0x48, 0x56, 0x47]; // "HVG"
export const GROUP_WIRE_VERSION = 1;
const HEADER_BYTES = 30;
/** Largest body: a decision carries the resource state; keep well inside one UDP datagram. */
export const MAX_GROUP_BODY_BYTES = 60_000;

export interface GroupFrame {
  readonly clusterId: number;
  readonly from: number;
  readonly incarnation: bigint;
  readonly seq: bigint;
  /** The message, already JSON. */
  readonly body: string;
}

export const GROUP_DROP_REASONS = [
  'too-short',
  'bad-magic',
  'bad-version',
  'bad-length',
  'too-long',
  'bad-mac',
  'wrong-cluster',
  'from-self',
  'unknown-sender',
  'old-incarnation',
  'duplicate',
  'bad-json',
  'bad-message',
] as const;
export type GroupDropReason = (typeof GROUP_DROP_REASONS)[number];

export type GroupDecode =
  | { readonly ok: true; readonly frame: GroupFrame }
  | { readonly ok: false; readonly reason: GroupDropReason };

export function encodeGroupFrame(f: GroupFrame, mac: MessageAuthenticator): Uint8Array {
  const body = new TextEncoder().encode(f.body);
  if (body.length > MAX_GROUP_BODY_BYTES)
    throw new RangeError(
      `group message of ${String(body.length)} bytes exceeds ${String(MAX_GROUP_BODY_BYTES)}`,
    );
  const out = new Uint8Array(HEADER_BYTES + body.length + MAC_TAG_BYTES);
  const v = new DataView(out.buffer);
  out.set(GROUP_MAGIC, 0);
  v.setUint8(3, GROUP_WIRE_VERSION);
  v.setUint32(4, f.clusterId);
  v.setUint16(8, f.from);
  v.setBigUint64(10, f.incarnation);
  v.setBigUint64(18, f.seq);
  v.setUint32(26, body.length);
  out.set(body, HEADER_BYTES);
  out.set(mac.sign(out.subarray(0, HEADER_BYTES + body.length)), HEADER_BYTES + body.length);
  return out;
}

export function decodeGroupFrame(
  bytes: Uint8Array,
  clusterId: number,
  mac: MessageAuthenticator,
): GroupDecode {
  if (bytes.length < HEADER_BYTES + MAC_TAG_BYTES) return { ok: false, reason: 'too-short' };
  if (GROUP_MAGIC.some((b, i) => bytes[i] !== b)) return { ok: false, reason: 'bad-magic' };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint8(3) !== GROUP_WIRE_VERSION) return { ok: false, reason: 'bad-version' };
  const length = v.getUint32(26);
  if (length > MAX_GROUP_BODY_BYTES) return { ok: false, reason: 'too-long' };
  if (bytes.length !== HEADER_BYTES + length + MAC_TAG_BYTES)
    return { ok: false, reason: 'bad-length' };
  const signed = bytes.subarray(0, HEADER_BYTES + length);
  if (!mac.verify(signed, bytes.subarray(HEADER_BYTES + length)))
    return { ok: false, reason: 'bad-mac' };
  if (v.getUint32(4) !== clusterId) return { ok: false, reason: 'wrong-cluster' };
  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(
      bytes.subarray(HEADER_BYTES, HEADER_BYTES + length),
    );
  } catch {
    return { ok: false, reason: 'bad-json' };
  }
  return {
    ok: true,
    frame: {
      clusterId,
      from: v.getUint16(8),
      incarnation: v.getBigUint64(10),
      seq: v.getBigUint64(18),
      body,
    },
  };
}

/** How many sequence numbers behind the newest a late copy is still accepted. */
export const DUPLICATE_WINDOW = 512;

/** Per sender: its incarnation, the newest sequence number and which recent ones were seen. */
export interface SenderWindow {
  readonly incarnation: bigint;
  readonly top: bigint;
  /** Sequence numbers seen in (top - DUPLICATE_WINDOW, top]. */
  readonly seen: ReadonlySet<bigint>;
}

/**
 * Is this authentic frame news? A later incarnation of the sender replaces its window; an
 * earlier one is dropped; within one, a sequence number seen before (the copy from the other
 * network, or a replay) or too old to judge is dropped. Returns the sender's new window.
 */
export function acceptFrame(
  w: SenderWindow | undefined,
  incarnation: bigint,
  seq: bigint,
):
  | { readonly ok: true; readonly window: SenderWindow }
  | { readonly ok: false; readonly reason: 'old-incarnation' | 'duplicate' } {
  if (w === undefined || incarnation > w.incarnation)
    return { ok: true, window: { incarnation, top: seq, seen: new Set([seq]) } };
  if (incarnation < w.incarnation) return { ok: false, reason: 'old-incarnation' };
  const floor = w.top - BigInt(DUPLICATE_WINDOW);
  if (seq <= floor || w.seen.has(seq)) return { ok: false, reason: 'duplicate' };
  const top = seq > w.top ? seq : w.top;
  const newFloor = top - BigInt(DUPLICATE_WINDOW);
  const seen = new Set<bigint>([seq]);
  for (const s of w.seen) if (s > newFloor) seen.add(s);
  return { ok: true, window: { incarnation, top, seen } };
}
