// Message authentication as a seam. The core builds and checks authenticated messages but
// holds no key and computes no hash itself: it is handed an authenticator made from the
// cluster key (runtime/hmac.ts), so it stays pure and a test can pass any implementation.

/** Bytes of a tag: an HMAC-SHA256 output, untruncated. */
export const MAC_TAG_BYTES = 32;

export interface MessageAuthenticator {
  /** The MAC_TAG_BYTES-byte tag of `data` under the cluster key. Does not keep `data`. */
  sign(data: Uint8Array): Uint8Array;
  /**
   * True if `tag` is the tag of `data`. Constant-time in the content of `tag` (a comparison
   * that stopped at the first wrong byte would let a forger find a tag byte by byte); a tag
   * of the wrong length is false, never an exception.
   */
  verify(data: Uint8Array, tag: Uint8Array): boolean;
}
