import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { SeededRandom } from './random.js';

function draw(random: SeededRandom, n: number): number[] {
  return Array.from({ length: n }, () => random.nextUint32());
}

describe('SeededRandom', () => {
  it('reproduces golden sequences (computed by an independent implementation)', () => {
    // If these change, every recorded simulation seed replays differently: do it on purpose.
    assert.deepEqual(
      draw(new SeededRandom(42), 5),
      [3918463160, 565969607, 1551534568, 313959707, 532025070],
    );
    assert.deepEqual(
      draw(new SeededRandom('haven'), 5),
      [4265106563, 4173347502, 3882099414, 4088247554, 3836133649],
    );
    assert.deepEqual(
      draw(new SeededRandom(42).fork('node1'), 5),
      [2222915637, 2213382625, 1562402353, 3802491665, 239329870],
    );
    // Non-ASCII seeds hash UTF-16 code units, surrogate pairs included.
    assert.deepEqual(draw(new SeededRandom('é😀'), 3), [3655452850, 2514032858, 4116456453]);
  });

  it('gives the same sequence for the same seed and different ones otherwise', () => {
    assert.deepEqual(draw(new SeededRandom(7), 100), draw(new SeededRandom(7), 100));
    assert.deepEqual(draw(new SeededRandom('x'), 100), draw(new SeededRandom('x'), 100));
    assert.notDeepEqual(draw(new SeededRandom(7), 10), draw(new SeededRandom(8), 10));
    assert.notDeepEqual(draw(new SeededRandom(7), 10), draw(new SeededRandom('7'), 10));
  });

  it('rejects seeds that are not 32-bit unsigned integers', () => {
    for (const seed of [-1, 2 ** 32, 1.5, Number.NaN]) {
      assert.throws(() => new SeededRandom(seed), InvalidArgumentError);
    }
    assert.doesNotThrow(() => new SeededRandom(0xffff_ffff));
  });

  it('forks deterministically, independently of how much the parent drew', () => {
    const a = new SeededRandom(1);
    const b = new SeededRandom(1);
    draw(b, 1000);
    assert.deepEqual(draw(a.fork('n1'), 50), draw(b.fork('n1'), 50));
    // Forking does not advance the parent.
    const c = new SeededRandom(1);
    c.fork('n1');
    assert.deepEqual(draw(c, 10), draw(new SeededRandom(1), 10));
  });

  it('gives uncorrelated streams to different labels, seeds and paths', () => {
    const root = new SeededRandom(3);
    const streams = [
      root,
      root.fork('n1'),
      root.fork('n2'),
      root.fork('n1').fork('x'),
      root.fork('n1x'),
      new SeededRandom('n1'),
      // A string seed cannot spell a forked path.
      new SeededRandom('#3/2:n1'),
    ].map((r) => Array.from({ length: 4000 }, () => r.nextFloat()));
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) {
        const r = correlation(streams[i]!, streams[j]!);
        // 4000 samples: |r| of independent streams is ~0.016 (1 sigma); 0.08 is 5 sigma.
        assert.ok(Math.abs(r) < 0.08, `streams ${i} and ${j} correlate: ${r}`);
        assert.notDeepEqual(streams[i]!.slice(0, 4), streams[j]!.slice(0, 4));
      }
    }
  });

  it('draws floats in [0, 1) with a sane distribution', () => {
    const random = new SeededRandom(11);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = random.nextFloat();
      assert.ok(x >= 0 && x < 1, `out of range: ${x}`);
      sum += x;
      buckets[Math.floor(x * 10)]!++;
    }
    assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
    // Chi-square with 9 degrees of freedom: 27.9 is the 0.1% critical value.
    const expected = n / 10;
    const chi2 = buckets.reduce((acc, b) => acc + (b - expected) ** 2 / expected, 0);
    assert.ok(chi2 < 27.9, `chi-square ${chi2}: ${buckets.join(' ')}`);
  });

  it('draws integers in range without bias', () => {
    const random = new SeededRandom(5);
    const counts = new Array<number>(3).fill(0);
    for (let i = 0; i < 30_000; i++) counts[random.int(3)]!++;
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, counts.join(' '));
    assert.equal(random.int(1), 0);
    const big = random.int(2 ** 32);
    assert.ok(Number.isInteger(big) && big >= 0 && big < 2 ** 32);
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.POSITIVE_INFINITY]) {
      assert.throws(() => random.int(bad), InvalidArgumentError);
    }
  });

  it('picks elements and shuffles a copy', () => {
    const random = new SeededRandom(9);
    const items = ['a', 'b', 'c', 'd'] as const;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(random.pick(items));
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c', 'd']);
    assert.throws(() => random.pick([]), InvalidArgumentError);

    const original = [1, 2, 3, 4, 5, 6, 7, 8];
    const shuffled = random.shuffle(original);
    assert.deepEqual(original, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(
      [...shuffled].sort((x, y) => x - y),
      original,
    );
    assert.deepEqual(random.shuffle([]), []);

    // Each of the 6 permutations of 3 elements about equally often.
    const perms = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = random.shuffle(['x', 'y', 'z']).join('');
      perms.set(key, (perms.get(key) ?? 0) + 1);
    }
    assert.equal(perms.size, 6);
    for (const [perm, count] of perms) assert.ok(Math.abs(count - 1000) < 150, `${perm}: ${count}`);
  });
});

function correlation(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}
