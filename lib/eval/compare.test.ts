import { describe, expect, it } from 'vitest';
import { decidePromotion } from './compare.js';

describe('decidePromotion', () => {
  it('judges the first model on the floor alone', () => {
    const pass = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0.005,
      candidate: { roc_auc: 0.812 },
      champion: null,
    });
    expect(pass.promote).toBe(true);
    expect(pass.reasons).toEqual([
      'roc_auc 0.812 >= minimum 0.700',
      'no champion yet: the first model is judged on the minimum alone',
    ]);
    expect(pass.evidence).toMatchObject({ candidate: 0.812, meetsMinimum: true, champion: null, beatsChampion: null });

    const fail = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0,
      candidate: { roc_auc: 0.65 },
      champion: null,
    });
    expect(fail.promote).toBe(false);
    expect(fail.reasons[0]).toBe('roc_auc 0.650 < minimum 0.700');
  });

  it('requires the minimum improvement over the champion', () => {
    const champion = { version: 1, metrics: { roc_auc: 0.79 } };
    const yes = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0.005,
      candidate: { roc_auc: 0.812 },
      champion,
    });
    expect(yes.promote).toBe(true);
    expect(yes.reasons).toEqual([
      'roc_auc 0.812 >= minimum 0.700',
      'roc_auc 0.812 improves on champion v1 0.790 by 0.022 (required 0.005)',
    ]);
    expect(yes.evidence.improvement).toBeCloseTo(0.022, 12);

    const small = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0.005,
      candidate: { roc_auc: 0.792 },
      champion,
    });
    expect(small.promote).toBe(false);
    expect(small.reasons[1]).toBe('roc_auc 0.792 improves on champion v1 0.790 by only 0.002 (required 0.005)');

    const worse = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0,
      candidate: { roc_auc: 0.75 },
      champion,
    });
    expect(worse.promote).toBe(false);
    expect(worse.reasons[1]).toBe(
      'roc_auc 0.750 is worse than champion v1 0.790 by 0.040 (required improvement 0.000)',
    );
  });

  it('treats an improvement equal to the requirement as enough despite floating-point noise', () => {
    const d = decidePromotion({
      primaryMetric: 'accuracy',
      minimum: 0,
      minImprovement: 0.2,
      candidate: { accuracy: 0.3 },
      champion: { version: 4, metrics: { accuracy: 0.1 } },
    });
    expect(d.promote).toBe(true);
    expect(d.reasons[1]).toBe('accuracy 0.300 improves on champion v4 0.100 by 0.200 (required 0.200)');
    const tie = decidePromotion({
      primaryMetric: 'f1',
      minimum: 0.5,
      minImprovement: 0,
      candidate: { f1: 0.8 },
      champion: { version: 2, metrics: { f1: 0.8 } },
    });
    expect(tie.promote).toBe(true);
    expect(tie.reasons[1]).toBe('f1 0.800 matches champion v2 0.800 (required improvement 0.000)');
  });

  it('honours lower-is-better metrics: the minimum is a ceiling and improvement is a decrease', () => {
    const champion = { version: 3, metrics: { log_loss: 0.45 } };
    const better = decidePromotion({
      primaryMetric: 'log_loss',
      minimum: 0.5,
      minImprovement: 0.01,
      candidate: { log_loss: 0.41 },
      champion,
    });
    expect(better.promote).toBe(true);
    expect(better.evidence.direction).toBe('lower_is_better');
    expect(better.reasons).toEqual([
      'log_loss 0.410 <= maximum 0.500 (lower is better)',
      'log_loss 0.410 improves on champion v3 0.450 by 0.040 (required 0.010)',
    ]);
    const tooHigh = decidePromotion({
      primaryMetric: 'log_loss',
      minimum: 0.5,
      minImprovement: 0,
      candidate: { log_loss: 0.55 },
      champion: null,
    });
    expect(tooHigh.promote).toBe(false);
    expect(tooHigh.reasons[0]).toBe('log_loss 0.550 > maximum 0.500 (lower is better)');
    const worse = decidePromotion({
      primaryMetric: 'log_loss',
      minimum: 0.5,
      minImprovement: 0,
      candidate: { log_loss: 0.48 },
      champion,
    });
    expect(worse.promote).toBe(false);
  });

  it('shows more digits when 3 decimals would hide the difference', () => {
    const d = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0.001,
      candidate: { roc_auc: 0.8123 },
      champion: { version: 1, metrics: { roc_auc: 0.8121 } },
    });
    expect(d.promote).toBe(false);
    expect(d.reasons[1]).toBe('roc_auc 0.8123 improves on champion v1 0.8121 by only 0.0002 (required 0.0010)');
  });

  it('handles a missing candidate metric and a champion without the metric', () => {
    const none = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0,
      candidate: { roc_auc: Number.NaN },
      champion: null,
    });
    expect(none.promote).toBe(false);
    expect(none.reasons[0]).toMatch(/has no finite roc_auc/);
    const old = decidePromotion({
      primaryMetric: 'roc_auc',
      minimum: 0.7,
      minImprovement: 0.01,
      candidate: { roc_auc: 0.8 },
      champion: { version: 2, metrics: { accuracy: 0.9 } },
    });
    expect(old.promote).toBe(true);
    expect(old.reasons[1]).toBe('champion v2 has no roc_auc to compare with: judged on the minimum alone');
  });
});

describe('decidePromotion: relative improvement and evidence', () => {
  const champion = { version: 5, metrics: { roc_auc: 0.8, rmse: 2 } };

  it('requires the relative improvement too, as a fraction of the champion value', () => {
    const base = { primaryMetric: 'roc_auc' as const, minimum: 0.7, minImprovement: 0.005, champion };
    const yes = decidePromotion({ ...base, minRelativeImprovement: 0.02, candidate: { roc_auc: 0.82 } });
    expect(yes.promote).toBe(true);
    expect(yes.reasons[2]).toBe('roc_auc improves on champion v5 by 2.500% (required 2.000%)');
    expect(yes.evidence.relativeImprovement).toBeCloseTo(0.025, 12);
    const absoluteOnly = decidePromotion({ ...base, minRelativeImprovement: 0.02, candidate: { roc_auc: 0.81 } });
    expect(absoluteOnly.promote).toBe(false);
    expect(absoluteOnly.evidence.beatsChampion).toBe(false);
    expect(absoluteOnly.reasons.slice(1)).toEqual([
      'roc_auc 0.810 improves on champion v5 0.800 by 0.010 (required 0.005)',
      'roc_auc improves on champion v5 by only 1.250% (required 2.000%)',
    ]);
    const worse = decidePromotion({ ...base, minRelativeImprovement: 0.01, candidate: { roc_auc: 0.76 } });
    expect(worse.reasons[2]).toBe('roc_auc is worse than champion v5 by 5.000% (required improvement 1.000%)');
  });

  it('measures relative improvement of lower-is-better metrics as a decrease', () => {
    const d = decidePromotion({
      primaryMetric: 'rmse',
      minimum: 5,
      minImprovement: 0,
      minRelativeImprovement: 0.1,
      candidate: { rmse: 1.7 },
      champion,
    });
    expect(d.promote).toBe(true);
    expect(d.evidence.relativeImprovement).toBeCloseTo(0.15, 12);
    const check = d.evidence.checks.find((c) => c.kind === 'relative_improvement');
    expect(check).toMatchObject({
      observed: d.evidence.relativeImprovement,
      threshold: 0.1,
      baseline: 2,
      passed: true,
    });
  });

  it('skips the relative check (reported only) when the champion value is 0', () => {
    const d = decidePromotion({
      primaryMetric: 'f1',
      minimum: 0,
      minImprovement: 0,
      minRelativeImprovement: 0.5,
      candidate: { f1: 0.1 },
      champion: { version: 1, metrics: { f1: 0 } },
    });
    expect(d.promote).toBe(true);
    expect(d.evidence.relativeImprovement).toBeNull();
    expect(d.evidence.checks[2]).toMatchObject({ kind: 'relative_improvement', passed: null, gated: false });
    expect(d.reasons[2]).toBe('champion v1 f1 is 0: relative improvement is undefined; judged on the absolute one');
  });

  it('records every check with observed value, threshold, outcome and reason', () => {
    const d = decidePromotion({
      primaryMetric: 'log_loss',
      minimum: 0.5,
      minImprovement: 0.01,
      minRelativeImprovement: 0.05,
      candidate: { log_loss: 0.4 },
      champion: { version: 2, metrics: { log_loss: 0.45 } },
    });
    expect(d.evidence.checks).toEqual([
      {
        kind: 'minimum',
        metric: 'log_loss',
        observed: 0.4,
        comparator: '<=',
        threshold: 0.5,
        passed: true,
        gated: true,
        reason: d.reasons[0],
      },
      {
        kind: 'improvement',
        metric: 'log_loss',
        observed: expect.closeTo(0.05, 12) as number,
        comparator: '>=',
        threshold: 0.01,
        baseline: 0.45,
        passed: true,
        gated: true,
        reason: d.reasons[1],
      },
      {
        kind: 'relative_improvement',
        metric: 'log_loss',
        observed: expect.closeTo(0.05 / 0.45, 12) as number,
        comparator: '>=',
        threshold: 0.05,
        baseline: 0.45,
        passed: true,
        gated: true,
        reason: 'log_loss improves on champion v2 by 11.111% (required 5.000%)',
      },
    ]);
    expect(d.evidence.slices).toBeNull();
    const first = decidePromotion({
      primaryMetric: 'r2',
      minimum: 0.5,
      minImprovement: 0.01,
      minRelativeImprovement: 0.05,
      candidate: { r2: 0.4 },
      champion: null,
    });
    expect(first.promote).toBe(false);
    expect(first.evidence.checks.map((c) => [c.kind, c.passed])).toEqual([['minimum', false]]);
    const none = decidePromotion({ primaryMetric: 'r2', minimum: 0, minImprovement: 0, candidate: {}, champion: null });
    expect(none.evidence.checks).toMatchObject([{ kind: 'minimum', observed: null, passed: false }]);
  });
});
