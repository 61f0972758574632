import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { sortedNonNaN } from './sort-float64.js';

/** The reference: V8's typed-array sort of the non-NaN values. */
function builtIn(values: Float64Array): Float64Array {
  return Float64Array.from(Array.from(values).filter((v) => !Number.isNaN(v))).sort();
}

function expectSameOrder(actual: Float64Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) throw new Error(`index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('sortedNonNaN', () => {
  const rng = createRng(11);
  const cases: Record<string, () => number> = {
    normal: () => 50 + 10 * rng.normal(),
    'mixed signs and magnitudes': () => rng.normal() * 10 ** rng.int(20) * (rng.bernoulli(0.5) ? -1 : 1),
    'few distinct integers': () => rng.int(4),
    'tiny and subnormal': () => (rng.bernoulli(0.5) ? 5e-324 * rng.int(1000) : -Number.MIN_VALUE * rng.int(3)),
  };
  for (const [name, draw] of Object.entries(cases)) {
    for (const n of [0, 1, 7, 2047, 2048, 50_000]) {
      it(`orders ${n} ${name} values like the built-in sort, NaN dropped`, () => {
        const values = new Float64Array(n);
        for (let i = 0; i < n; i++) values[i] = rng.bernoulli(0.03) ? NaN : draw();
        if (n > 10) values.set([0, -0, Infinity, -Infinity, NaN, -0], 3);
        const before = values.slice();
        expectSameOrder(sortedNonNaN(values), builtIn(values));
        expectSameOrder(values, before); // the input is untouched
      });
    }
  }

  it('handles a column where every value is the same (every pass skipped)', () => {
    const values = new Float64Array(10_000).fill(-2.5);
    expectSameOrder(sortedNonNaN(values), values);
  });

  it('sorts a subarray view without reading outside it', () => {
    const backing = new Float64Array(6000);
    for (let i = 0; i < backing.length; i++) backing[i] = backing.length - i;
    const view = backing.subarray(1000, 4000);
    const sorted = sortedNonNaN(view);
    expect(sorted[0]).toBe(2001);
    expect(sorted[sorted.length - 1]).toBe(5000);
    expect(sorted.length).toBe(3000);
  });
});
