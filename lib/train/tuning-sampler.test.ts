import { describe, expect, it } from 'vitest';
import { describeParams, pickBestTrial, sampleTrials, trialHyperparameters, trialLabel } from './tuning-sampler.js';

const SPACE = {
  learningRate: { min: 0.001, max: 0.3, scale: 'log' as const, type: 'float' as const },
  epochs: { min: 5, max: 20, scale: 'linear' as const, type: 'int' as const },
  hiddenLayers: { values: [[16], [32, 16]] },
};

describe('tuning sampler', () => {
  it('draws random trials deterministically from the seed, inside the space', () => {
    const a = sampleTrials({ trials: 50, search: 'random', seed: 7, space: SPACE });
    expect(sampleTrials({ trials: 50, search: 'random', seed: 7, space: SPACE })).toEqual(a);
    expect(sampleTrials({ trials: 50, search: 'random', seed: 8, space: SPACE })).not.toEqual(a);
    expect(a.map((t) => t.number)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const { params } of a) {
      expect(Object.keys(params)).toEqual(['epochs', 'hiddenLayers', 'learningRate']);
      const lr = params['learningRate'] as number;
      expect(lr).toBeGreaterThanOrEqual(0.001);
      expect(lr).toBeLessThanOrEqual(0.3);
      expect(Number(lr.toPrecision(4))).toBe(lr);
      expect(Number.isInteger(params['epochs'])).toBe(true);
      expect(params['epochs']).toBeGreaterThanOrEqual(5);
      expect(params['epochs']).toBeLessThanOrEqual(20);
      expect([[16], [32, 16]]).toContainEqual(params['hiddenLayers']);
    }
    // Log scale: about half of the draws below the geometric midpoint (~0.0173), far more than a linear scale gives.
    const low = a.filter((t) => (t.params['learningRate'] as number) < Math.sqrt(0.001 * 0.3)).length;
    expect(low).toBeGreaterThan(15);
    expect(low).toBeLessThan(35);
    // Every integer of the range is reachable.
    const epochs = new Set(
      sampleTrials({ trials: 400, search: 'random', seed: 1, space: SPACE }).map((t) => t.params['epochs']),
    );
    expect(epochs.size).toBe(16);
  });

  it('enumerates a grid in order, or a seeded subset of it', () => {
    const space = { l2: { values: [0, 0.01] }, optimizer: { values: ['sgd', 'adam'] } };
    expect(sampleTrials({ trials: 4, search: 'grid', seed: 1, space }).map((t) => t.params)).toEqual([
      { l2: 0, optimizer: 'sgd' },
      { l2: 0, optimizer: 'adam' },
      { l2: 0.01, optimizer: 'sgd' },
      { l2: 0.01, optimizer: 'adam' },
    ]);
    const subset = sampleTrials({ trials: 3, search: 'grid', seed: 1, space });
    expect(subset).toHaveLength(3);
    expect(new Set(subset.map((t) => JSON.stringify(t.params))).size).toBe(3);
    expect(sampleTrials({ trials: 3, search: 'grid', seed: 1, space })).toEqual(subset);
    expect(() => sampleTrials({ trials: 2, search: 'grid', seed: 1, space: SPACE })).toThrow(/grid search needs/);
  });

  it('labels trials and merges their hyperparameters into the base ones', () => {
    const plan = { number: 3, params: { learningRate: 0.03, l2: 0.0001, hiddenLayers: [64, 32] } };
    expect(trialLabel(plan, 8)).toBe('Trial 3/8: learningRate=0.03 l2=0.0001 hiddenLayers=64,32');
    expect(describeParams({})).toBe('');
    expect(trialHyperparameters({ learningRate: 0.1, epochs: 30 }, { learningRate: 0.03 })).toEqual({
      learningRate: 0.03,
      epochs: 30,
    });
  });

  it('picks the best succeeded trial, ties to the lowest number', () => {
    const outcomes = [
      { number: 3, status: 'succeeded' as const, value: 0.4 },
      { number: 1, status: 'failed' as const, value: null },
      { number: 2, status: 'succeeded' as const, value: 0.4 },
      { number: 4, status: 'succeeded' as const, value: 0.5 },
      { number: 5, status: 'succeeded' as const, value: Number.NaN },
    ];
    expect(pickBestTrial(outcomes, 'minimize')?.number).toBe(2);
    expect(pickBestTrial(outcomes, 'maximize')?.number).toBe(4);
    expect(
      pickBestTrial(
        outcomes.filter((o) => o.status === 'failed'),
        'minimize',
      ),
    ).toBeNull();
  });
});
