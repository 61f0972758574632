import { describe, expect, it } from 'vitest';
import { decidePromotion, type PromotionInput } from './compare.js';
import type { SliceMetrics } from './slices.js';

const slice = (value: string | null, rows: number, metric: number, name = 'roc_auc'): SliceMetrics => ({
  feature: 'plan',
  value,
  rows,
  gated: rows >= 30,
  metrics: { [name]: metric },
});

const base: PromotionInput = {
  primaryMetric: 'roc_auc',
  minimum: 0.7,
  minImprovement: 0,
  candidate: { roc_auc: 0.82 },
  champion: { version: 3, metrics: { roc_auc: 0.8 } },
};

describe('decidePromotion: no regression on any slice', () => {
  it('promotes when every gated slice is within the tolerance of the champion', () => {
    const d = decidePromotion({
      ...base,
      slices: {
        maxRegression: 0.02,
        candidate: [slice('basic', 100, 0.85), slice('pro', 40, 0.79), slice(null, 5, 0.5)],
        champion: [slice('basic', 100, 0.84), slice('pro', 40, 0.8), slice(null, 5, 0.9)],
      },
    });
    expect(d.promote).toBe(true);
    expect(d.evidence.slices).toEqual({ maxRegression: 0.02, judged: 2, failed: 0, reportedOnly: 1 });
    expect(d.reasons.at(-1)).toBe(
      'no slice regresses on roc_auc vs champion v3 by more than 0.020: 2 slices judged (1 more reported only)',
    );
    const checks = d.evidence.checks.filter((c) => c.kind === 'slice_regression');
    expect(checks.map((c) => c.reason)).toEqual([
      'slice plan=basic (100 rows): roc_auc 0.850 vs champion v3 0.840, no regression',
      'slice plan=pro (40 rows): roc_auc 0.790 vs champion v3 0.800, regression 0.010 within 0.020',
      'slice plan=(missing) (5 rows): roc_auc 0.500 regresses from champion v3 0.900 by 0.400 (tolerated 0.020); ' +
        'below minRows, reported only',
    ]);
    expect(checks[1]).toMatchObject({
      slice: { feature: 'plan', value: 'pro', rows: 40 },
      observed: 0.79,
      comparator: '>=',
      threshold: expect.closeTo(0.78, 12) as number,
      baseline: 0.8,
      passed: true,
      gated: true,
    });
    expect(checks[2]).toMatchObject({ passed: false, gated: false });
  });

  it('rejects a candidate that is better overall but regresses on a gated slice', () => {
    const d = decidePromotion({
      ...base,
      slices: {
        maxRegression: 0.02,
        candidate: [slice('basic', 100, 0.9), slice('pro', 40, 0.7)],
        champion: [slice('basic', 100, 0.8), slice('pro', 40, 0.75)],
      },
    });
    expect(d.promote).toBe(false);
    expect(d.evidence.beatsChampion).toBe(true);
    expect(d.reasons.slice(2)).toEqual([
      'slice plan=pro (40 rows): roc_auc 0.700 regresses from champion v3 0.750 by 0.050 (tolerated 0.020)',
      '1 of 2 slices regress on roc_auc vs champion v3 by more than 0.020',
    ]);
  });

  it('treats a regression exactly at the tolerance as within it, and honours lower-is-better metrics', () => {
    const d = decidePromotion({
      primaryMetric: 'rmse',
      minimum: 10,
      minImprovement: 0,
      candidate: { rmse: 2 },
      champion: { version: 1, metrics: { rmse: 2.5 } },
      slices: {
        maxRegression: 0.2,
        candidate: [slice('a', 50, 3.3, 'rmse'), slice('b', 50, 1, 'rmse')],
        champion: [slice('a', 50, 3.1, 'rmse'), slice('b', 50, 1.3, 'rmse')],
      },
    });
    expect(d.promote).toBe(true);
    const a = d.evidence.checks.find((c) => c.slice?.value === 'a');
    expect(a).toMatchObject({ comparator: '<=', threshold: expect.closeTo(3.3, 12) as number, passed: true });
    const worse = decidePromotion({
      primaryMetric: 'rmse',
      minimum: 10,
      minImprovement: 0,
      candidate: { rmse: 2 },
      champion: { version: 1, metrics: { rmse: 2.5 } },
      slices: { maxRegression: 0.1, candidate: [slice('a', 50, 3.3, 'rmse')], champion: [slice('a', 50, 3.1, 'rmse')] },
    });
    expect(worse.promote).toBe(false);
  });

  it('reports slices without comparable values and ignores slices without a champion', () => {
    const d = decidePromotion({
      ...base,
      slices: {
        maxRegression: 0,
        candidate: [slice('basic', 100, Number.NaN), slice('new', 100, 0.9)],
        champion: [slice('basic', 100, 0.8)],
      },
    });
    expect(d.promote).toBe(true);
    expect(d.evidence.checks.slice(2).map((c) => c.reason)).toEqual([
      'slice plan=basic (100 rows): the candidate has no finite roc_auc here; reported only',
      'slice plan=new (100 rows): champion v3 has no finite roc_auc here; reported only',
    ]);
    const first = decidePromotion({
      ...base,
      champion: null,
      slices: { maxRegression: 0, candidate: [slice('basic', 100, 0.1)], champion: null },
    });
    expect(first.promote).toBe(true);
    expect(first.evidence.slices).toBeNull();
    expect(first.evidence.checks).toHaveLength(1);
  });
});
