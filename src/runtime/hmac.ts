// The cluster key's MessageAuthenticator: HMAC-SHA256 over node:crypto.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';
import { MAC_TAG_BYTES, type MessageAuthenticator } from '../core/ports/mac.js';

/** 32 bytes: the strength of SHA-256. A shorter key would be the weakest link. */
export const MIN_KEY_BYTES = 32;

export class HmacSha256Authenticator implements MessageAuthenticator {
  // A KeyObject holds its own copy: changing the caller's array later changes nothing, and
  // the key does not sit in a JS array that a heap dump or a stray log would show.
  readonly #key: KeyObject;

  /** Throws InvalidArgumentError if `key` is shorter than MIN_KEY_BYTES. */
  constructor(key: Uint8Array) {
    if (key.length < MIN_KEY_BYTES) {
      // The value is deliberately not shown: it is (part of) a secret.
      throw new InvalidArgumentError(
        'key',
        `${key.length} bytes`,
        `a key of at least ${MIN_KEY_BYTES} bytes`,
      );
    }
    this.#key = createSecretKey(key);
  }

  sign(data: Uint8Array): Uint8Array {
    const tag = createHmac('sha256', this.#key).update(data).digest();
    return new Uint8Array(tag.buffer, tag.byteOffset, tag.byteLength);
  }

  verify(data: Uint8Array, tag: Uint8Array): boolean {
    // timingSafeEqual throws on a length mismatch; the length is no secret, so checking it
    // first leaks nothing.
    if (tag.length !== MAC_TAG_BYTES) return false;
    return timingSafeEqual(this.sign(data), tag);
  }
}
