import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../core/errors.js';
import { HmacSha256Authenticator, MIN_KEY_BYTES } from './hmac.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 4231 test cases 6 and 7 (a 131-byte key). Cases 1-5 use keys shorter than the 32 bytes
// we insist on, so the constructor refuses them.
const rfcKey = new Uint8Array(131).fill(0xaa);
const case6 = text('Test Using Larger Than Block-Size Key - Hash Key First');
const case7 = text(
  'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.',
);

describe('HmacSha256Authenticator', () => {
  it('matches the RFC 4231 known answers', () => {
    const mac = new HmacSha256Authenticator(rfcKey);
    assert.equal(
      hex(mac.sign(case6)),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
    assert.equal(
      hex(mac.sign(case7)),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    );
  });

  it('verifies its own tags and nothing else', () => {
    const mac = new HmacSha256Authenticator(rfcKey);
    const tag = mac.sign(case6);
    assert.equal(tag.length, 32);
    assert.equal(mac.verify(case6, tag), true);
    assert.equal(mac.verify(case7, tag), false);
    for (let i = 0; i < tag.length; i++) {
      const bad = tag.slice();
      bad[i] = bad[i]! ^ 0x80;
      assert.equal(mac.verify(case6, bad), false, `byte ${i}`);
    }
    for (const n of [0, 16, 31, 33, 64]) {
      assert.equal(mac.verify(case6, new Uint8Array(n)), false, `${n}-byte tag`);
    }
    const other = new HmacSha256Authenticator(new Uint8Array(32).fill(1));
    assert.equal(other.verify(case6, tag), false);
  });

  it('refuses a key shorter than 32 bytes, without showing it', () => {
    assert.equal(MIN_KEY_BYTES, 32);
    assert.throws(
      () => new HmacSha256Authenticator(new Uint8Array(31).fill(7)),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message.includes('31 bytes') &&
        !e.message.includes('7,'),
    );
    assert.doesNotThrow(() => new HmacSha256Authenticator(new Uint8Array(32)));
  });

  it('keeps its own copy of the key', () => {
    const key = new Uint8Array(32).fill(3);
    const mac = new HmacSha256Authenticator(key);
    const before = hex(mac.sign(case6));
    key.fill(4);
    assert.equal(hex(mac.sign(case6)), before);
  });
});
