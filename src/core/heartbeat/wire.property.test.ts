// Property tests: decoding never throws and never accepts what was not signed with the key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HmacSha256Authenticator } from '../../runtime/hmac.js';
import {
  HEARTBEAT_BYTES,
  WIRE_REJECT_REASONS,
  decodeHeartbeat,
  encodeHeartbeat,
  type DecodeResult,
  type HeartbeatMessage,
} from './wire.js';

const mac = new HmacSha256Authenticator(new Uint8Array(32).fill(0x5a));
const CLUSTER = 42;

const u16 = fc.integer({ min: 0, max: 0xffff });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const messageArb: fc.Arbitrary<HeartbeatMessage> = fc.record({
  clusterId: u16,
  fromNode: u16,
  fromInterface: u16,
  network: u16,
  incarnation: u64,
  seq: u64,
});

function wellFormed(r: DecodeResult): boolean {
  return r.ok || WIRE_REJECT_REASONS.includes(r.reason);
}

describe('heartbeat wire format: properties', () => {
  it('round-trips every message', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        assert.deepEqual(decodeHeartbeat(encodeHeartbeat(m, mac), mac, m.clusterId), {
          ok: true,
          msg: { ...m },
        });
      }),
    );
  });

  it('never throws and never accepts arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer(), (bytes, clusterId) => {
        const r = decodeHeartbeat(bytes, mac, clusterId);
        assert.ok(wellFormed(r));
        assert.equal(r.ok, false);
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts arbitrary bytes behind a valid prefix and cluster id (they reach the tag)', () => {
    const prefix = [0x48, 0x56, 0x4e, 1, 1, 0, CLUSTER];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 54, maxLength: 54 }), (rest) => {
        const bytes = Uint8Array.from([...prefix, ...rest]);
        assert.deepEqual(decodeHeartbeat(bytes, mac, CLUSTER), { ok: false, reason: 'bad-mac' });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects every mutation of a valid packet: changed bytes, cuts, additions', () => {
    const mutationArb = fc.oneof(
      // XOR a non-zero value into one to four positions.
      fc
        .array(fc.tuple(fc.nat(HEARTBEAT_BYTES - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        })
        .map((edits) => (p: Uint8Array): Uint8Array => {
          const copy = p.slice();
          // Two edits of one position may cancel out: apply the last per position only.
          for (const [at, x] of new Map(edits)) copy[at] = copy[at]! ^ x;
          return copy;
        }),
      fc.nat(HEARTBEAT_BYTES - 1).map((n) => (p: Uint8Array) => p.subarray(0, n)),
      fc
        .uint8Array({ minLength: 1, maxLength: 32 })
        .map((tail) => (p: Uint8Array) => Uint8Array.from([...p, ...tail])),
    );
    fc.assert(
      fc.property(messageArb, mutationArb, (m, mutate) => {
        const r = decodeHeartbeat(mutate(encodeHeartbeat(m, mac)), mac, m.clusterId);
        assert.ok(wellFormed(r));
        assert.equal(r.ok, false);
      }),
      { numRuns: 2000 },
    );
  });
});
