import { describe, expect, it } from 'vitest';
import { createRng, permutation, shuffleInPlace } from './random.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xs = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(xs);
  });

  it('produces a stable stream across runs and platforms', () => {
    // Pinned values: a change here changes every generated dataset and split.
    const rng = createRng(42);
    expect(Array.from({ length: 4 }, () => rng.uint32())).toMatchInlineSnapshot(`
      [
        2837322924,
        544945897,
        479756282,
        3500138142,
      ]
    `);
  });

  it('folds both halves of large seeds', () => {
    expect(createRng(2 ** 32 + 1).uint32()).not.toBe(createRng(1).uint32());
    expect(createRng(-1).uint32()).not.toBe(createRng(1).uint32());
  });

  it('draws uniform floats in [0, 1) with the right mean', () => {
    const rng = createRng(1);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = rng.next();
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });

  it('draws normals with the requested mean and sd', () => {
    const rng = createRng(7);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal(3, 2);
      s += z;
      s2 += z * z;
    }
    const mean = s / n;
    expect(mean).toBeCloseTo(3, 1);
    expect(Math.sqrt(s2 / n - mean * mean)).toBeCloseTo(2, 1);
  });

  it('int stays in range', () => {
    const rng = createRng(3);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.int(6));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('permutation / shuffleInPlace', () => {
  it('returns a deterministic permutation of 0..n-1', () => {
    const p = permutation(100, createRng(5));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...permutation(100, createRng(5))]).toEqual([...p]);
    expect([...p]).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('shuffles plain arrays in place', () => {
    const arr = ['a', 'b', 'c', 'd', 'e'];
    const same = shuffleInPlace(arr, createRng(9));
    expect(same).toBe(arr);
    expect([...arr].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('handles empty and single-element inputs', () => {
    expect(permutation(0, createRng(1)).length).toBe(0);
    expect([...permutation(1, createRng(1))]).toEqual([0]);
  });
});
