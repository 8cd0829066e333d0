import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidArgumentError } from '../errors.js';
import {
  MAX_TAG_BYTES,
  SLOT_DECODE_FAILURES,
  SLOT_RECORD_BYTES,
  SLOT_STRIDE_BYTES,
  crc32c,
  decodeSlot,
  encodeSlot,
  planReads,
  regionBytes,
  slotOffset,
  type SlotAuthenticator,
  type SlotRecord,
} from './slot.js';

const record: SlotRecord = {
  clusterId: 4242,
  nodeId: 2,
  slot: 2,
  incarnation: 1_700_000_000_123,
  counter: 17,
  wallMs: 1_700_000_555_000,
};
const expected = { clusterId: 4242, slot: 2, nodeId: 2 };

function hmac(key: string): SlotAuthenticator {
  const sign = (data: Uint8Array): Uint8Array => createHmac('sha256', key).update(data).digest();
  return {
    sign,
    verify: (data, tag) => {
      const want = sign(data);
      return tag.length === want.length && timingSafeEqual(tag, want);
    },
  };
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A copy of `bytes` with the u32 at `offset` replaced and the checksum made valid again. */
function patchU32(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setUint32(offset, value);
  view.setUint32(SLOT_RECORD_BYTES - 4, crc32c(out.subarray(0, SLOT_RECORD_BYTES - 4)));
  return out;
}

describe('disk heartbeat slot format', () => {
  it('computes CRC-32C by the standard check value', () => {
    assert.equal(crc32c(ascii('123456789')), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
  });

  it('lays out slots one 4 KiB block apart, the record in the first 512 bytes', () => {
    assert.equal(SLOT_STRIDE_BYTES, 4096);
    assert.equal(slotOffset(0), 0);
    assert.equal(slotOffset(3), 3 * 4096);
    assert.equal(regionBytes(2), 3 * 4096);
    const bytes = encodeSlot(record);
    assert.equal(bytes.length, SLOT_RECORD_BYTES);
    assert.deepEqual(bytes.subarray(0, 8), ascii('HVNDISK1'));
    const view = new DataView(bytes.buffer);
    assert.equal(view.getUint16(8), 1, 'version');
    assert.equal(view.getUint16(10), 0, 'flags: untagged');
    assert.equal(view.getUint32(12), 4242);
    assert.equal(view.getUint32(16), 2);
    assert.equal(view.getUint32(20), 2);
    assert.equal(view.getBigUint64(24), 1_700_000_000_123n);
    assert.equal(view.getBigUint64(32), 17n);
    assert.equal(view.getBigUint64(40), 1_700_000_555_000n);
    assert.ok(
      bytes.subarray(48, 508).every((b) => b === 0),
      'no tag, reserved zero',
    );
    assert.equal(view.getUint32(508), crc32c(bytes.subarray(0, 508)));
  });

  it('round-trips a record, with and without a tag', () => {
    assert.deepEqual(decodeSlot(encodeSlot(record), expected), { ok: true, slot: record });
    const auth = hmac('k1');
    const tagged = encodeSlot(record, auth);
    assert.equal(tagged[48], 32, 'tag length');
    assert.deepEqual(decodeSlot(tagged, expected, auth), { ok: true, slot: record });
    // Without a node expectation, any node's record in the right slot is accepted.
    assert.ok(decodeSlot(encodeSlot(record), { clusterId: 4242, slot: 2 }).ok);
  });

  it('round-trips the extreme values', () => {
    const big = {
      clusterId: 0xffff_ffff,
      nodeId: 0xffff_ffff,
      slot: 65_535,
      incarnation: Number.MAX_SAFE_INTEGER,
      counter: Number.MAX_SAFE_INTEGER,
      wallMs: Number.MAX_SAFE_INTEGER,
    };
    assert.deepEqual(decodeSlot(encodeSlot(big), { clusterId: big.clusterId, slot: big.slot }), {
      ok: true,
      slot: big,
    });
  });

  it('refuses to encode out-of-range values (a bug of ours), and records a bad wall clock as 0', () => {
    for (const bad of [
      { clusterId: -1 },
      { nodeId: 2 ** 32 },
      { slot: 65_536 },
      { incarnation: 1.5 },
      { counter: 2 ** 53 },
      { counter: Number.NaN },
    ]) {
      assert.throws(
        () => encodeSlot({ ...record, ...bad }),
        InvalidArgumentError,
        JSON.stringify(bad),
      );
    }
    const r = decodeSlot(encodeSlot({ ...record, wallMs: -5 }), expected);
    assert.ok(r.ok);
    assert.equal(r.slot.wallMs, 0);
    const tooLong: SlotAuthenticator = {
      sign: () => new Uint8Array(MAX_TAG_BYTES + 1),
      verify: () => true,
    };
    assert.throws(() => encodeSlot(record, tooLong), InvalidArgumentError);
  });

  describe('rejects, with the reason', () => {
    const good = encodeSlot(record);
    const cases: [string, Uint8Array, string][] = [
      ['a short buffer', good.subarray(0, 511), 'bad-length'],
      ['a long buffer', new Uint8Array(513), 'bad-length'],
      ['a never-written (zeroed) slot', new Uint8Array(512), 'empty'],
      ['non-Haven data', new Uint8Array(512).fill(0x5a), 'bad-magic'],
      ['a newer format', patchU32(good, 8, 0x0002_0000), 'bad-version'],
      ['a flipped bit', Uint8Array.from(good, (b, i) => (i === 300 ? b ^ 4 : b)), 'bad-checksum'],
      [
        'a torn write (new head, zero tail)',
        new Uint8Array([...good.subarray(0, 256), ...new Uint8Array(256)]),
        'bad-checksum',
      ],
      ['an unknown flag', patchU32(good, 8, 0x0001_0002), 'bad-field'],
      ['another cluster', patchU32(good, 12, 99), 'wrong-cluster'],
      ['a record naming another slot', patchU32(good, 20, 3), 'wrong-slot'],
      ['another node', patchU32(good, 16, 5), 'wrong-node'],
    ];
    for (const [what, bytes, reason] of cases) {
      it(`${what}: ${reason}`, () => {
        const r = decodeSlot(bytes, expected);
        assert.equal(r.ok, false);
        assert.equal(r.reason, reason);
      });
    }

    it('a counter beyond 2^53: bad-field', () => {
      const bytes = good.slice();
      new DataView(bytes.buffer).setBigUint64(32, 2n ** 53n);
      const view = new DataView(bytes.buffer);
      view.setUint32(508, crc32c(bytes.subarray(0, 508)));
      assert.deepEqual(decodeSlot(bytes, expected), { ok: false, reason: 'bad-field' });
    });

    it('says what a wrong slot holds, for the operator', () => {
      const r = decodeSlot(patchU32(good, 16, 5), expected);
      assert.deepEqual(r, { ok: false, reason: 'wrong-node', record: { ...record, nodeId: 5 } });
      const c = decodeSlot(good, { ...expected, clusterId: 1 });
      assert.deepEqual(c, { ok: false, reason: 'wrong-cluster', record });
    });

    it('bad-mac: another key, a missing tag, an unexpected tag, a forged field, a throwing verifier', () => {
      const k1 = hmac('k1');
      const k2 = hmac('k2');
      const tagged = encodeSlot(record, k1);
      const reason = (bytes: Uint8Array, auth?: SlotAuthenticator): string => {
        const r = decodeSlot(bytes, expected, auth);
        return r.ok ? 'ok' : r.reason;
      };
      assert.equal(reason(tagged, k2), 'bad-mac');
      assert.equal(reason(good, k1), 'bad-mac');
      assert.equal(reason(tagged), 'bad-mac');
      // Someone without the key raises the counter and fixes the checksum: the tag fails.
      const forged = tagged.slice();
      new DataView(forged.buffer).setBigUint64(32, 18n);
      new DataView(forged.buffer).setUint32(508, crc32c(forged.subarray(0, 508)));
      assert.equal(reason(forged, k1), 'bad-mac');
      // A forged tag length hands the verifier a different tag.
      const shortened = tagged.slice();
      shortened[48] = 16;
      new DataView(shortened.buffer).setUint32(508, crc32c(shortened.subarray(0, 508)));
      assert.equal(reason(shortened, k1), 'bad-mac');
      const throwing: SlotAuthenticator = {
        sign: (data) => k1.sign(data),
        verify: () => {
          throw new Error('hsm unavailable');
        },
      };
      assert.equal(reason(tagged, throwing), 'bad-mac');
    });
  });

  describe('never throws, never accepts damage', () => {
    const recordArb = fc.record({
      clusterId: fc.integer({ min: 1, max: 65_535 }),
      nodeId: fc.integer({ min: 1, max: 1024 }),
      slot: fc.integer({ min: 0, max: 1023 }),
      incarnation: fc.maxSafeNat(),
      counter: fc.maxSafeNat(),
      wallMs: fc.maxSafeNat(),
    });
    const expectFor = (r: SlotRecord): { clusterId: number; slot: number; nodeId: number } => ({
      clusterId: r.clusterId,
      slot: r.slot,
      nodeId: r.nodeId,
    });

    it('rejects arbitrary bytes without throwing', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0, maxLength: 600 }),
          recordArb,
          fc.boolean(),
          (bytes, r, withMagic) => {
            const b = bytes.length >= 8 && withMagic ? bytes.slice() : bytes;
            if (b !== bytes) b.set(ascii('HVNDISK1'));
            // A random sector passing magic, checksum and tag is a 2^-288 event: never.
            assert.equal(decodeSlot(b, expectFor(r), hmac('k')).ok, false);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('rejects any record with 1 to 5 flipped bits (CRC-32C guarantees it at this size)', () => {
      fc.assert(
        fc.property(
          recordArb,
          fc.uniqueArray(fc.integer({ min: 0, max: SLOT_RECORD_BYTES * 8 - 1 }), {
            minLength: 1,
            maxLength: 5,
          }),
          fc.boolean(),
          (r, bits, tagged) => {
            const auth = tagged ? hmac('k') : undefined;
            const bytes = encodeSlot(r, auth);
            for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) ^ (1 << (bit & 7));
            const result = decodeSlot(bytes, expectFor(r), auth);
            assert.equal(result.ok, false);
            assert.ok(SLOT_DECODE_FAILURES.includes(result.reason));
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('a torn write reads as the old record, the new one, or is rejected', () => {
      fc.assert(
        fc.property(
          recordArb,
          fc.maxSafeNat(),
          fc.integer({ min: 0, max: SLOT_RECORD_BYTES }),
          (r, counter, cut) => {
            const before = encodeSlot(r);
            const after = encodeSlot({ ...r, counter });
            const torn = new Uint8Array([...after.subarray(0, cut), ...before.subarray(cut)]);
            const result = decodeSlot(torn, expectFor(r));
            if (result.ok)
              assert.ok(result.slot.counter === r.counter || result.slot.counter === counter);
          },
        ),
        { numRuns: 500 },
      );
    });
  });

  describe('planReads', () => {
    it('merges neighbouring slots into one read and splits distant ones', () => {
      assert.deepEqual(planReads([2, 1, 3, 1]), [
        { firstSlot: 1, slotCount: 3, offset: 4096, length: 3 * 4096 },
      ]);
      assert.deepEqual(
        planReads([0, 5, 100]).map((r) => [r.firstSlot, r.slotCount]),
        [
          [0, 6],
          [100, 1],
        ],
      );
      assert.deepEqual(
        planReads([0, 6]).map((r) => [r.firstSlot, r.slotCount]),
        [
          [0, 1],
          [6, 1],
        ],
      );
      assert.deepEqual(planReads([]), []);
    });

    it('caps a read at maxRunSlots', () => {
      const slots = Array.from({ length: 70 }, (_, i) => i);
      assert.deepEqual(
        planReads(slots).map((r) => r.slotCount),
        [32, 32, 6],
      );
    });

    it('rejects a slot out of range', () => {
      assert.throws(() => planReads([70_000]), InvalidArgumentError);
    });
  });
});
