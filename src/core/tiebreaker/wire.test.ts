import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HmacSha256Authenticator } from '../../runtime/hmac.js';
import { MAC_TAG_BYTES, type MessageAuthenticator } from '../ports/mac.js';
import {
  MAX_TIEBREAKER_BYTES,
  decodeTiebreakReply,
  decodeTiebreakRequest,
  encodeTiebreakReply,
  encodeTiebreakRequest,
  type TiebreakReply,
  type TiebreakRequest,
} from './wire.js';

const mac = new HmacSha256Authenticator(Uint8Array.from({ length: 32 }, (_, i) => i + 1));
const otherMac = new HmacSha256Authenticator(Uint8Array.from({ length: 32 }, (_, i) => 100 + i));

const request: TiebreakRequest = {
  clusterId: 0x1234,
  node: 2,
  incarnation: 0x0000_0193_5a1b_2c3dn,
  requestId: 'tie:2:12345.678',
  leaseMs: 10_000,
};
const reply: TiebreakReply = {
  clusterId: 0x1234,
  node: 2,
  incarnation: 0x0000_0193_5a1b_2c3dn,
  requestId: 'tie:2:12345.678',
  granted: true,
  holder: 2,
  remainingMs: 9_999,
};
const denial: TiebreakReply = { ...reply, granted: false, holder: 1, remainingMs: 4321 };

/** Re-signs `bytes` (all but the tag) so that a test reaches the checks after the MAC. */
function resign(bytes: Uint8Array, m: MessageAuthenticator = mac): Uint8Array {
  const out = bytes.slice();
  const signed = out.length - MAC_TAG_BYTES;
  out.set(m.sign(out.subarray(0, signed)), signed);
  return out;
}

describe('tie-breaker wire format', () => {
  it('round-trips a request and replies (grant, denial naming the holder, no holder)', () => {
    assert.deepEqual(decodeTiebreakRequest(encodeTiebreakRequest(request, mac), 0x1234, mac), {
      ok: true,
      message: request,
    });
    for (const r of [reply, denial, { ...denial, holder: undefined, remainingMs: 0 }])
      assert.deepEqual(decodeTiebreakReply(encodeTiebreakReply(r, mac), 0x1234, mac), {
        ok: true,
        message: r,
      });
    const long = { ...request, requestId: 'x'.repeat(64), incarnation: 0n };
    assert.deepEqual(decodeTiebreakRequest(encodeTiebreakRequest(long, mac), 0x1234, mac), {
      ok: true,
      message: long,
    });
  });

  it('refuses every single bit flip, of a request and of a reply', () => {
    for (const [bytes, decode] of [
      [encodeTiebreakRequest(request, mac), decodeTiebreakRequest],
      [encodeTiebreakReply(denial, mac), decodeTiebreakReply],
    ] as const) {
      for (let i = 0; i < bytes.length; i++)
        for (let bit = 0; bit < 8; bit++) {
          const copy = bytes.slice();
          copy[i] = (copy[i] ?? 0) ^ (1 << bit);
          const r = decode(copy, 0x1234, mac);
          assert.equal(r.ok, false, `byte ${String(i)} bit ${String(bit)} passed`);
        }
    }
  });

  it('refuses another key, another cluster, and a request passed off as a reply', () => {
    const bytes = encodeTiebreakRequest(request, mac);
    assert.deepEqual(decodeTiebreakRequest(bytes, 0x1234, otherMac), {
      ok: false,
      reason: 'bad-mac',
    });
    assert.deepEqual(decodeTiebreakRequest(bytes, 0x1235, mac), {
      ok: false,
      reason: 'wrong-cluster',
    });
    assert.deepEqual(decodeTiebreakReply(bytes, 0x1234, mac), { ok: false, reason: 'bad-kind' });
    assert.deepEqual(decodeTiebreakRequest(encodeTiebreakReply(reply, mac), 0x1234, mac), {
      ok: false,
      reason: 'bad-kind',
    });
  });

  it('refuses short, oversized, truncated and malformed datagrams without throwing', () => {
    const bytes = encodeTiebreakReply(reply, mac);
    assert.deepEqual(decodeTiebreakReply(new Uint8Array(0), 0x1234, mac), {
      ok: false,
      reason: 'too-short',
    });
    const huge = new Uint8Array(MAX_TIEBREAKER_BYTES + 1);
    huge.set(bytes);
    assert.deepEqual(decodeTiebreakReply(huge, 0x1234, mac), { ok: false, reason: 'too-long' });
    assert.deepEqual(decodeTiebreakReply(bytes.subarray(0, bytes.length - 1), 0x1234, mac), {
      ok: false,
      reason: 'bad-length',
    });
    // Authentic but malformed: unknown flags; a grant that names no holder or another node.
    const flags = (f: number, holder = 2): Uint8Array => {
      const copy = bytes.slice();
      copy[19] = f;
      copy[21] = holder;
      return resign(copy);
    };
    assert.equal(decodeTiebreakReply(flags(3), 0x1234, mac).ok, true);
    for (const b of [flags(7), flags(1), flags(3, 1)])
      assert.deepEqual(decodeTiebreakReply(b, 0x1234, mac), { ok: false, reason: 'bad-flags' });
    // A request id that is not UTF-8.
    const req = encodeTiebreakRequest({ ...request, requestId: 'ab' }, mac).slice();
    req[24] = 0xff;
    assert.deepEqual(decodeTiebreakRequest(resign(req), 0x1234, mac), {
      ok: false,
      reason: 'bad-request-id',
    });
    // Random garbage of every length up to the largest: refused, never thrown.
    let seed = 7;
    for (let n = 0; n <= MAX_TIEBREAKER_BYTES + 2; n++) {
      const junk = Uint8Array.from(
        { length: n },
        () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24,
      );
      assert.equal(decodeTiebreakRequest(junk, 0x1234, mac).ok, false);
      assert.equal(decodeTiebreakReply(junk, 0x1234, mac).ok, false);
    }
  });

  it('will not encode what it cannot carry', () => {
    assert.throws(() => encodeTiebreakRequest({ ...request, requestId: '' }, mac), RangeError);
    assert.throws(
      () => encodeTiebreakRequest({ ...request, requestId: 'x'.repeat(65) }, mac),
      RangeError,
    );
    assert.throws(() => encodeTiebreakRequest({ ...request, node: 70_000 }, mac), RangeError);
    assert.throws(() => encodeTiebreakRequest({ ...request, leaseMs: -1 }, mac), RangeError);
  });
});
