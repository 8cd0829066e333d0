// A seeded pseudo-random generator: xoshiro128** (Blackman and Vigna), with 128 bits of state.
// Everything is 32-bit integer arithmetic (Math.imul, shifts), so a seed gives the same sequence
// on every platform and Node version. Not for cryptography.
import { InvalidArgumentError } from './errors.js';
import type { Random } from './ports/random.js';

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;
// Distinct seeds for the four hash lanes that fill the state (fractional digits of pi).
const LANE_SEEDS = [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344] as const;

export class SeededRandom implements Random {
  // The identity of this stream: the seed, then each fork label. Forks hash it, not the
  // current state, so a child stream does not depend on how much the parent has drawn:
  // adding one draw somewhere does not reshuffle every node of a simulation.
  #path = '';
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;

  /** `seed` is an integer in [0, 2^32) or any string. The same seed gives the same sequence. */
  constructor(seed: number | string) {
    if (typeof seed === 'number' && !(Number.isInteger(seed) && seed >= 0 && seed < TWO_POW_32)) {
      throw new InvalidArgumentError('seed', seed, 'an integer in [0, 2^32) or a string');
    }
    // The path grammar is unambiguous (the number 7 and the string "7" differ, and a string
    // seed can never spell a forked path), so distinct streams never share a path.
    this.#seedFromPath(typeof seed === 'number' ? `#${seed}` : `$${seed.length}:${seed}`);
  }

  /**
   * An independent stream derived from this stream's seed and `label` (a node name, say).
   * Deterministic, and it neither draws from nor depends on the parent's position: the same
   * label always gives the same child, so labels should be unique among siblings.
   */
  fork(label: string): SeededRandom {
    // Length-prefixed, so ("ab","c") and ("a","bc") derive different paths.
    const child = new SeededRandom(0);
    child.#seedFromPath(`${this.#path}/${label.length}:${label}`);
    return child;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  nextFloat(): number {
    // 53 random bits, the full precision of a double, from two draws.
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 0x400_0000 + low) / TWO_POW_53;
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > TWO_POW_32) {
      throw new InvalidArgumentError('maxExclusive', maxExclusive, 'an integer in [1, 2^32]');
    }
    // Rejection sampling: `x % n` alone would favour small values whenever n does not divide 2^32.
    const limit = TWO_POW_32 - (TWO_POW_32 % maxExclusive);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % maxExclusive;
    }
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new InvalidArgumentError('items', items, 'a non-empty array');
    return items[this.int(items.length)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    // Fisher-Yates, from the end.
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  #seedFromPath(path: string): void {
    this.#path = path;
    this.#s0 = hash32(path, LANE_SEEDS[0]);
    this.#s1 = hash32(path, LANE_SEEDS[1]);
    this.#s2 = hash32(path, LANE_SEEDS[2]);
    this.#s3 = hash32(path, LANE_SEEDS[3]);
    // The all-zero state is the one fixed point of xoshiro; astronomically unlikely, but cheap.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** MurmurHash3-style 32-bit hash of the UTF-16 code units of `text`. */
function hash32(text: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < text.length; i++) {
    let k = Math.imul(text.charCodeAt(i), 0xcc9e2d51);
    k = Math.imul(rotl(k, 15), 0x1b873593);
    h = (Math.imul(rotl(h ^ k, 13), 5) + 0xe6546b64) | 0;
  }
  h ^= text.length;
  // fmix32: every input bit affects every output bit.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
