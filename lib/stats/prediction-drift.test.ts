import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { predictionDrift, predictionProfile } from './prediction-drift.js';

const scores = (n: number, seed: number, shift: number): number[] => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => 1 / (1 + Math.exp(-(rng.normal() + shift))));
};

describe('prediction drift', () => {
  const reference = JSON.parse(JSON.stringify(predictionProfile(scores(2000, 1, 0)))) as ReturnType<
    typeof predictionProfile
  >;

  it('is quiet when served outputs look like the holdout ones, and fires when they move', () => {
    const stable = predictionDrift(reference, scores(1500, 2, 0));
    expect(stable).toMatchObject({ method: 'wasserstein', threshold: 0.1, drifted: false });
    const moved = predictionDrift(reference, scores(1500, 3, 1));
    expect(moved.drifted).toBe(true);
    expect(moved.score).toBeGreaterThan(0.5);
  });

  it('uses KS for a small holdout', () => {
    const small = predictionProfile(scores(300, 4, 0));
    expect(predictionDrift(small, scores(500, 5, 0.8))).toMatchObject({ method: 'ks', drifted: true });
  });
});
