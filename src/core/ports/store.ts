// The node's local durable state (active configuration, epoch, event log checkpoints) as a
// seam: a flat namespace of keys to byte strings, each written atomically.
import { InvalidStoreKeyError } from '../errors.js';

export interface DurableStore {
  /** The bytes last written under `key`, or undefined if there are none. */
  read(key: string): Promise<Uint8Array | undefined>;
  /**
   * Replaces the value of `key`. When the promise resolves the new value survives a crash or
   * power loss; if the process dies before, a later read sees either the old or the new value,
   * never a mix.
   */
  writeAtomic(key: string, data: Uint8Array): Promise<void>;
  /** The keys that start with `prefix` (default: all), sorted by code unit. */
  list(prefix?: string): Promise<string[]>;
  /** Deletes `key`, durably. Removing a key that does not exist is not an error. */
  remove(key: string): Promise<void>;
}

/** Long enough for any name we need, short enough that key + temp suffix fit in NAME_MAX (255). */
export const MAX_STORE_KEY_LENGTH = 200;

const NOT_KEY_CHAR = /[^A-Za-z0-9._-]/;

/**
 * Throws `InvalidStoreKeyError` unless `key` is a safe file name: 1 to 200 characters from
 * [A-Za-z0-9._-], no "..", and no leading "." (hidden names are reserved for the store's own
 * temporary files, so a key can never collide with one).
 */
export function validateStoreKey(key: string): void {
  if (key.length === 0) throw new InvalidStoreKeyError(key, 'it is empty');
  if (key.length > MAX_STORE_KEY_LENGTH) {
    throw new InvalidStoreKeyError(key, `it is longer than ${MAX_STORE_KEY_LENGTH} characters`);
  }
  checkChars(key);
  if (key.includes('..')) throw new InvalidStoreKeyError(key, 'it contains ".."');
  if (key.startsWith('.')) throw new InvalidStoreKeyError(key, 'it starts with "."');
}

/** A list prefix may be empty or partial, but only made of key characters. */
export function validateStoreKeyPrefix(prefix: string): void {
  checkChars(prefix);
}

/** True if `name` is a valid key: lets a store skip foreign and temporary files. */
export function isValidStoreKey(name: string): boolean {
  try {
    validateStoreKey(name);
    return true;
  } catch {
    return false;
  }
}

function checkChars(key: string): void {
  const bad = NOT_KEY_CHAR.exec(key)?.[0];
  if (bad === undefined) return;
  // Name the offending character: "/" and NUL deserve to be recognisable in the message.
  const shown = bad === '\0' ? 'NUL' : bad === '/' ? '"/"' : JSON.stringify(bad);
  throw new InvalidStoreKeyError(key, `it contains ${shown}; allowed: A-Z a-z 0-9 . _ -`);
}
