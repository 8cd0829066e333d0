// Randomness as a seam: the core draws from a seeded stream, never from Math.random, so a
// simulated run is replayed exactly from its seed.

export interface Random {
  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number;

  /** A uniformly distributed float in [0, 1). */
  nextFloat(): number;

  /** A uniformly distributed integer in [0, maxExclusive); maxExclusive is an integer in [1, 2^32]. */
  int(maxExclusive: number): number;

  /** One element of a non-empty array, each equally likely. */
  pick<T>(items: readonly T[]): T;

  /** A shuffled copy of `items` (every permutation equally likely); `items` is untouched. */
  shuffle<T>(items: readonly T[]): T[];
}
