import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../errors.js';
import type { MessageAuthenticator } from '../ports/mac.js';
import { HmacSha256Authenticator } from '../../runtime/hmac.js';
import {
  HEARTBEAT_BODY_BYTES,
  HEARTBEAT_BYTES,
  WIRE_REJECT_REASONS,
  decodeHeartbeat,
  encodeHeartbeat,
  type HeartbeatMessage,
  type WireRejectReason,
} from './wire.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const mac = new HmacSha256Authenticator(KEY);
const otherMac = new HmacSha256Authenticator(Uint8Array.from({ length: 32 }, (_, i) => 100 + i));

const msg: HeartbeatMessage = {
  clusterId: 0x1234,
  fromNode: 2,
  fromInterface: 3,
  network: 4,
  incarnation: 0x0000_0193_5a1b_2c3dn,
  seq: 0x0102_0304_0506_0708n,
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function reason(bytes: Uint8Array, clusterId = msg.clusterId): WireRejectReason | 'ok' {
  const r = decodeHeartbeat(bytes, mac, clusterId);
  return r.ok ? 'ok' : r.reason;
}

function withByte(bytes: Uint8Array, at: number, value: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = value;
  return copy;
}

describe('heartbeat wire format', () => {
  it('is 61 bytes: a 29-byte body and a 32-byte tag', () => {
    assert.equal(HEARTBEAT_BODY_BYTES, 29);
    assert.equal(HEARTBEAT_BYTES, 61);
    assert.equal(encodeHeartbeat(msg, mac).length, 61);
  });

  it('lays the fields out big-endian at fixed offsets, the tag being HMAC-SHA256 of the body', () => {
    const packet = encodeHeartbeat(msg, mac);
    const body = [
      '48564e', // "HVN"
      '01', // version
      '01', // type: heartbeat
      '1234', // cluster id
      '0002', // node
      '0003', // interface
      '0004', // network
      '000001935a1b2c3d', // incarnation
      '0102030405060708', // seq
    ].join('');
    assert.equal(hex(packet.subarray(0, 29)), body);
    const expected = createHmac('sha256', KEY).update(Buffer.from(body, 'hex')).digest('hex');
    assert.equal(hex(packet.subarray(29)), expected);
  });

  it('round-trips, extreme values included', () => {
    const cases: HeartbeatMessage[] = [
      msg,
      { clusterId: 0, fromNode: 0, fromInterface: 0, network: 0, incarnation: 0n, seq: 0n },
      {
        clusterId: 65535,
        fromNode: 65535,
        fromInterface: 65535,
        network: 65535,
        incarnation: (1n << 64n) - 1n,
        seq: (1n << 64n) - 1n,
      },
    ];
    for (const m of cases) {
      assert.deepEqual(decodeHeartbeat(encodeHeartbeat(m, mac), mac, m.clusterId), {
        ok: true,
        msg: m,
      });
    }
  });

  it('decodes a view into a larger buffer (a pooled Buffer) at its own offset', () => {
    const packet = encodeHeartbeat(msg, mac);
    const big = new Uint8Array(200).fill(0xee);
    big.set(packet, 77);
    assert.deepEqual(decodeHeartbeat(big.subarray(77, 77 + 61), mac, msg.clusterId), {
      ok: true,
      msg,
    });
  });

  it('reaches every reason code', () => {
    const good = encodeHeartbeat(msg, mac);
    const seen = new Set<WireRejectReason>();
    const expect = (bytes: Uint8Array, want: WireRejectReason, clusterId?: number): void => {
      assert.equal(reason(bytes, clusterId), want);
      seen.add(want);
    };
    expect(new Uint8Array(0), 'too-short');
    expect(good.subarray(0, 4), 'too-short');
    expect(good.subarray(0, 60), 'too-short');
    expect(Uint8Array.from([...good, 0]), 'too-long');
    expect(new Uint8Array(65507), 'bad-magic');
    expect(withByte(good, 0, 0x68), 'bad-magic'); // "hVN"
    expect(withByte(good, 3, 2), 'bad-version');
    expect(withByte(good, 3, 0), 'bad-version');
    expect(withByte(good, 4, 0), 'unknown-type');
    expect(withByte(good, 4, 2), 'unknown-type');
    expect(good, 'wrong-cluster', msg.clusterId + 1);
    expect(encodeHeartbeat(msg, otherMac), 'bad-mac');
    expect(withByte(good, 60, good[60]! ^ 1), 'bad-mac');
    assert.deepEqual([...seen].sort(), [...WIRE_REJECT_REASONS].sort());
  });

  it('rejects every single-bit flip, with the reason of the field it hits', () => {
    const good = encodeHeartbeat(msg, mac);
    for (let byte = 0; byte < good.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const got = reason(withByte(good, byte, good[byte]! ^ (1 << bit)));
        const want: WireRejectReason =
          byte < 3
            ? 'bad-magic'
            : byte === 3
              ? 'bad-version'
              : byte === 4
                ? 'unknown-type'
                : byte < 7
                  ? 'wrong-cluster'
                  : 'bad-mac';
        assert.equal(got, want, `byte ${byte} bit ${bit}`);
      }
    }
  });

  it('rejects every truncation and every extension', () => {
    const good = encodeHeartbeat(msg, mac);
    for (let n = 0; n < good.length; n++) assert.equal(reason(good.subarray(0, n)), 'too-short');
    for (let extra = 1; extra <= 64; extra++) {
      const longer = new Uint8Array(good.length + extra);
      longer.set(good);
      assert.equal(reason(longer), 'too-long');
    }
  });

  it('an authentic packet of one cluster is rejected by another with the same key', () => {
    // The id is under the tag: rewriting it to pass a packet to the other cluster breaks the tag.
    const good = encodeHeartbeat({ ...msg, clusterId: 7 }, mac);
    assert.equal(reason(good, 8), 'wrong-cluster');
    const moved = good.slice();
    moved[6] = 8;
    assert.equal(reason(moved, 8), 'bad-mac');
  });

  it('refuses to encode out-of-range fields and a tag of the wrong size', () => {
    const bad: [keyof HeartbeatMessage, unknown][] = [
      ['clusterId', 65536],
      ['fromNode', -1],
      ['fromInterface', 1.5],
      ['network', Number.NaN],
      ['incarnation', -1n],
      ['seq', 1n << 64n],
    ];
    for (const [field, value] of bad) {
      assert.throws(
        () => encodeHeartbeat({ ...msg, [field]: value }, mac),
        (e: unknown) => e instanceof InvalidArgumentError && e.details.argument === field,
        field,
      );
    }
    const shortTag: MessageAuthenticator = { sign: () => new Uint8Array(16), verify: () => true };
    assert.throws(() => encodeHeartbeat(msg, shortTag), InvalidArgumentError);
  });

  it('checks the tag with the authenticator, over the body only', () => {
    const calls: [string, string][] = [];
    const spy: MessageAuthenticator = {
      sign: (data) => mac.sign(data),
      verify: (data, tag) => {
        calls.push([hex(data), hex(tag)]);
        return mac.verify(data, tag);
      },
    };
    const good = encodeHeartbeat(msg, mac);
    assert.equal(decodeHeartbeat(good, spy, msg.clusterId).ok, true);
    assert.deepEqual(calls, [[hex(good.subarray(0, 29)), hex(good.subarray(29))]]);
    // Rejected before the tag: no HMAC is computed for another cluster's traffic.
    calls.length = 0;
    assert.equal(decodeHeartbeat(good, spy, 1).ok, false);
    assert.deepEqual(calls, []);
  });
});
