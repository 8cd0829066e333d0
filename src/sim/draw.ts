// Small helpers to draw from a seeded stream. Each skips its draw when the answer is fixed
// (an empty range, a 0 % chance), so a model switched off costs nothing and consumes nothing.
import type { Random } from '../core/ports/random.js';

/** An inclusive range of integers, [min, max]. */
export type Range = readonly [min: number, max: number];

/** A uniformly drawn integer in the inclusive range (min when max <= min). */
export function uniform(random: Random, range: Range): number {
  const min = range[0];
  const max = range[1];
  return max <= min ? min : min + random.int(max - min + 1);
}

/** True with probability `percent` / 100 (to 2^-32: one draw, not a 53-bit float's two). */
export function chance(random: Random, percent: number): boolean {
  return percent > 0 && (percent >= 100 || random.nextUint32() < percent * UINT32_PER_PERCENT);
}

const UINT32_PER_PERCENT = 0x1_0000_0000 / 100;
